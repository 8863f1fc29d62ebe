import Glibc

/// A snapshot's files below the paths too long for libgit2's scan (`DeepWorkTree`), recorded in
/// the index as the scan records the others: a file whose stat matches its entry is not read
/// again; any other is written as an object (from its open folder) and its entry updated; entries
/// there that the work tree no longer has are removed. One file at a time, on the calling thread:
/// such paths are rare, and the usual dataset never comes here.
struct DeepSnapshotFiles {
    private(set) var skippedRepositories: [String] = []
    private(set) var specialFiles: [(path: String, kind: String)] = []
    /// The latest modification time among the files written (the index is written after it).
    private(set) var newestModification: timespec?

    /// Records what lies at and below `roots` (work tree paths libgit2 reported unreachable) in
    /// `index`.
    static func record(_ roots: [String], in dataset: Dataset, index: GitIndex) throws -> DeepSnapshotFiles {
        var result = DeepSnapshotFiles()
        let entries = roots.flatMap { index.entries(under: $0) }
        var byPath: [[UInt8]: GitIndexEntry] = [:]
        for entry in entries where entry.stage == 0 { byPath[PathBytes.bytes(entry.path)] = entry }
        let indexWritten = WorkTreeDiff.modificationTime(of: dataset.gitDir + "/index")
        let writer = LooseObjectWriter(gitDir: dataset.gitDir)
        let workspace = Workspace()
        var seen = Set<[UInt8]>()
        var walker = DeepWorkTree(dataset: dataset, tracked: entries.map(\.path))
        try walker.walk(roots) { folder, name, file in
            guard !Dataset.isInternalPath(file.path) else { return }
            let key = PathBytes.bytes(file.path)
            if let entry = byPath[key], entry.matches(file.info, indexWritten: indexWritten) {
                seen.insert(key)
                return
            }
            guard let written = try writer.write(name, in: folder, shownAs: file.path, relativePath: file.path,
                                                 workspace: workspace) else { return }
            try dataset.wrapGit { try index.add(path: file.path, id: written.id, mode: written.mode, stat: written.info) }
            seen.insert(key)
            let modified = written.info.st_mtim
            if result.newestModification.map({ ($0.tv_sec, $0.tv_nsec) < (modified.tv_sec, modified.tv_nsec) }) ?? true {
                result.newestModification = modified
            }
        }
        for entry in entries where !seen.contains(PathBytes.bytes(entry.path)) {
            try dataset.wrapGit { try index.remove(path: entry.path) }
        }
        result.skippedRepositories = walker.skippedRepositories
        result.specialFiles = walker.specialFiles
        return result
    }
}

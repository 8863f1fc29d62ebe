/// The snapshot writer on libgit2's index: `add_all` + `update_all` + `write_tree`. It hashes only
/// files whose stat changed since the last snapshot, and compresses every new blob with zlib's
/// default level (~30-46 MB/s on media). Commands use `FastSnapshotWriter`; this one stays as the
/// reference its trees are tested against.
public struct IndexSnapshotWriter: SnapshotWriter {
    public init() {}

    public func writeTree(of dataset: Dataset, progress: ProgressSink?) throws -> WrittenTree {
        try dataset.ensureTrustworthyIndex()
        return try dataset.wrapGit {
            // Holding the dataset lock, an index.lock can only be a killed writer's leftover.
            StaleGitLock.remove(dataset.gitDir + "/index.lock")
            let index = try dataset.repository.index()
            var skipped: [String] = []
            let rootBytes = PathBytes.byteCount(dataset.root)
            try index.addAll(filter: { path in
                // libgit2 names a folder holding its own `.git` with a trailing slash, and refuses
                // to add it as a file.
                if path.hasSuffix("/") {
                    skipped.append(String(path.dropLast()))
                    return false
                }
                // Past PATH_MAX libgit2 reaches nothing: `DeepSnapshotFiles` records what is there.
                return !Dataset.isInternalPath(path) && !PathLimit.isDeep(path, rootBytes: rootBytes)
            }, onVisit: { visited in
                progress?.report(OperationProgress(phase: "scanning files", filesDone: visited))
            })
            var special: [(path: String, kind: String)] = []
            let unreached = try dataset.repository.diffIndexToWorkTree(index).unreached
            if !unreached.isEmpty {
                let deep = try DeepSnapshotFiles.record(unreached, in: dataset, index: index)
                skipped += deep.skippedRepositories
                special = deep.specialFiles
            }
            let counts = try index.removeInternalEntries()
            let tree = try index.writeTree()
            try index.write()
            return WrittenTree(tree: tree, counts: counts, fileCount: index.entryCount,
                               skippedRepositories: skipped, skippedSpecialFiles: special)
        }
    }
}

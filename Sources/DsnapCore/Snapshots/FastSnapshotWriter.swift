import FoundationEssentials
import Glibc

/// dsnap's own snapshot writer. libgit2's index diff finds what changed (the index is a stat
/// cache, so unchanged files are not read, and ignore rules apply); the changed files are then
/// hashed and written as loose objects on every core at once, media stored uncompressed in zlib
/// "stored" blocks. The index is updated with the stat of each file as it was read.
public struct FastSnapshotWriter: SnapshotWriter {
    public init() {}

    /// From this many new or changed files on, new objects are packed. Measured on D3 (200,000
    /// small files): loose objects cost one file creation each, the dominant cost on slow disks.
    static let packThreshold = 1000

    public func writeTree(of dataset: Dataset, progress: ProgressSink?) throws -> WrittenTree {
        StaleGitLock.remove(dataset.gitDir + "/index.lock")
        // Nothing changed since the index was written (a named checkpoint, or a commit right after
        // a restore): its cached tree is the snapshot, and libgit2 need not load the index at all.
        if let index = StatCacheCheck.clean(dataset), let tree = index.cachedRootTree {
            return WrittenTree(tree: tree, counts: index.mediaCounts, fileCount: index.count, skippedRepositories: [])
        }
        let repository = dataset.repository
        let index = try dataset.wrapGit { try repository.index() }
        let deltas = try dataset.wrapGit { try repository.diffIndexToWorkTree(index) }

        var skipped: [String] = []
        var toWrite: [String] = []
        for delta in deltas {
            let path = delta.status == .deleted ? delta.oldPath : delta.newPath
            // libgit2 names a folder that is a git repository of its own with a trailing slash.
            if path.hasSuffix("/") {
                skipped.append(String(path.dropLast()))
                continue
            }
            if Dataset.isInternalPath(path) { continue }
            if delta.status == .deleted {
                try dataset.wrapGit { try index.remove(path: path) }
            } else {
                toWrite.append(path)
            }
        }

        // Many new files: their objects go into packs (one per core) rather than one file each.
        let writer = LooseObjectWriter(gitDir: dataset.gitDir, packNewObjects: toWrite.count >= Self.packThreshold)
        TemporaryObject.removeLeftovers(in: writer.objectsDirectory)
        let root = dataset.root
        let paths = toWrite
        let written: [LooseObjectWriter.Written?]
        do {
            written = try ParallelWork.run(
                paths.count, phase: "writing objects", progress: progress, makeState: { Workspace() }
            ) { position, workspace in
                let result = try writer.write(fileAt: root + "/" + paths[position], relativePath: paths[position],
                                              workspace: workspace)
                return (result, result?.bytes ?? 0)
            }
            try writer.packing.finishAll()
        } catch {
            writer.packing.discardAll()
            throw error
        }
        for (path, result) in zip(toWrite, written) {
            guard let result else {
                // Not a regular file or a link any more (it vanished, or is a fifo): not content.
                try dataset.wrapGit { try index.remove(path: path) }
                continue
            }
            try dataset.wrapGit { try index.add(path: path, id: result.id, mode: result.mode, stat: result.info) }
        }
        // A `.gitignore` in the dataset could re-include `.dsnap`: it is never snapshotted.
        var filePaths = index.regularFilePaths
        for path in filePaths where Dataset.isInternalPath(path) {
            try dataset.wrapGit { try index.remove(path: path) }
        }
        filePaths.removeAll(where: Dataset.isInternalPath)
        let tree = try dataset.wrapGit { try index.writeTree() }
        // Written even when nothing changed: the write stores the tree cache the fast path above
        // needs (a restore or an older dsnap may have left it invalid). Written after the clock
        // passed the files just read, so none of them is "racy" for the next status.
        let newest = written.compactMap { $0?.info.st_mtim }.max { ($0.tv_sec, $0.tv_nsec) < ($1.tv_sec, $1.tv_nsec) }
        if let newest { StatCacheCheck.waitForClock(toPass: newest) }
        try dataset.wrapGit { try index.write() }
        return WrittenTree(tree: tree, counts: MediaCounts(paths: filePaths),
                           fileCount: index.entryCount, skippedRepositories: skipped)
    }
}

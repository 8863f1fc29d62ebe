import FoundationEssentials
import Glibc

/// dsnap's own snapshot writer. libgit2's index diff finds what changed (the index is a stat
/// cache, so unchanged files are not read, and ignore rules apply); each changed file is hashed
/// and written on every core at once while the scan goes on, media stored uncompressed in zlib
/// "stored" blocks, while a background sync keeps the disk writing. The index is updated with the
/// stat of each file as it was read.
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
        let objectsDirectory = dataset.gitDir + "/objects"
        TemporaryObject.removeLeftovers(in: objectsDirectory)

        // Files are written while the scan is still finding them. Many new files (at least
        // `packThreshold`): their small objects go into packs (one per core), not one file each.
        var writer: LooseObjectWriter?
        let gitDir = dataset.gitDir
        let root = dataset.root
        let work = StreamingWork<String, LooseObjectWriter.Written?, Workspace>(
            phase: "writing objects", progress: progress, startAfter: Self.packThreshold,
            makeState: { Workspace() }
        ) { many in
            let made = LooseObjectWriter(gitDir: gitDir, packNewObjects: many)
            writer = made
            return { path, workspace in
                let result = try made.write(fileAt: root + "/" + path, relativePath: path, workspace: workspace)
                return (result, result?.bytes ?? 0)
            }
        }
        var skipped: [String] = []
        var deleted: [String] = []
        let writeBack = BackgroundWriteBack(containing: objectsDirectory)
        let toWrite: [String]
        let written: [LooseObjectWriter.Written?]
        do {
            do {
                try dataset.wrapGit {
                    try repository.scanIndexToWorkTree(index) { status, path in
                        if path.hasSuffix("/") {
                            // libgit2 names a folder that is a git repository of its own with a trailing slash.
                            skipped.append(String(path.dropLast()))
                            return true
                        }
                        guard !Dataset.isInternalPath(path) else { return true }
                        if status == .deleted {
                            deleted.append(path)
                            return true
                        }
                        return work.add(path)  // false once a write failed: the scan stops
                    }
                }
            } catch {
                work.cancel()
                throw work.failure ?? error
            }
            (toWrite, written) = try work.finish()
            try writer?.packing.finishAll()
        } catch {
            writeBack.stop()
            writer?.packing.discardAll()
            throw error
        }
        writeBack.stop()
        for path in deleted {
            try dataset.wrapGit { try index.remove(path: path) }
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

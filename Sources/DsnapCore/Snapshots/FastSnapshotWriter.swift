import FoundationEssentials
import Glibc

/// dsnap's own snapshot writer. libgit2's index diff finds what changed (the index is a stat
/// cache, so unchanged files are not read, and ignore rules apply); each changed file is hashed
/// and written on every core at once while the scan goes on, media stored uncompressed in zlib
/// "stored" blocks, while a background sync keeps the disk writing. The index is updated with the
/// stat of each file as it was read.
public struct FastSnapshotWriter: SnapshotWriter {
    public init() {}

    /// From this many new or changed files on, new objects are packed: loose objects cost one file
    /// creation each, the dominant cost of many small files on a slow disk.
    static let packThreshold = 1000

    public func writeTree(of dataset: Dataset, progress: ProgressSink?) throws -> WrittenTree {
        StaleGitLock.remove(dataset.gitDir + "/index.lock")
        // Nothing changed since the index was written (a named checkpoint, or a commit right after
        // a restore): its cached tree is the snapshot, and libgit2 need not load the index at all.
        if let index = StatCacheCheck.clean(dataset), let tree = index.cachedRootTree {
            return WrittenTree(tree: tree, counts: index.mediaCounts, fileCount: index.count, skippedRepositories: [])
        }
        // Past the fast path (whose index read in place has no bits that hide an edit): an index
        // that hides edits would leave them out of the snapshot.
        try dataset.ensureTrustworthyIndex()
        // Before anything is recorded: what the scan below would leave out in silence refuses
        // the snapshot (or, for fifos and the like, is listed for a warning).
        let audit = try WorkTreeAudit.run(dataset)
        let repository = dataset.repository
        let index = try dataset.wrapGit { try repository.index() }
        let objectsDirectory = dataset.gitDir + "/objects"
        TemporaryObject.removeLeftovers(in: objectsDirectory)

        // Files are written while the scan is still finding them, and the index learns each
        // result (in scan order) while the scan and the writing go on. libgit2's diff iterates a
        // snapshot of the index, so adding entries meanwhile is safe; entries it replaces or
        // removes (a file that became a folder) stay readable for the diff until it ends.
        // Many new files (at least `packThreshold`): their small objects go into packs (one per
        // core), not one file each.
        var writer: LooseObjectWriter?
        let writtenPages = WrittenPages()
        let gitDir = dataset.gitDir
        let root = dataset.root
        var newest: timespec?
        let counter = ByteCounter()
        let work = StreamingWork<String, LooseObjectWriter.Written?, Workspace>(
            phase: "snapshotting", progress: progress, bytes: counter, startAfter: Self.packThreshold,
            makeState: { Workspace() },
            receive: { path, result in
                guard let result else {
                    // Not a regular file or a link any more (it vanished, or is a fifo): not content.
                    try dataset.wrapGit { try index.remove(path: path) }
                    return
                }
                try dataset.wrapGit { try index.add(path: path, id: result.id, mode: result.mode, stat: result.info) }
                let modified = result.info.st_mtim
                if newest.map({ ($0.tv_sec, $0.tv_nsec) < (modified.tv_sec, modified.tv_nsec) }) ?? true {
                    newest = modified
                }
            }
        ) { many in
            let made = LooseObjectWriter(gitDir: gitDir, packNewObjects: many, writtenPages: writtenPages)
            writer = made
            return { path, workspace in
                try made.write(fileAt: root + "/" + path, relativePath: path, workspace: workspace, counter: counter)
            }
        }
        var skipped: [String] = []
        var deleted: [String] = []
        let writeBack = BackgroundWriteBack(containing: objectsDirectory, writtenPages: writtenPages)
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
            try work.finish()
            try writer?.packing.finishAll()
        } catch {
            try? writeBack.stop()
            writer?.packing.discardAll()
            // The index in memory (libgit2 shares it with later users of this repository) names
            // objects that were just discarded.
            try? index.discardChanges()
            throw error
        }
        do {
            try writeBack.stop()
        } catch {
            writer?.packing.discardAll()
            try? index.discardChanges()
            throw error
        }
        // After the additions: a path may have been replaced by a folder (or the reverse), and
        // removing an entry that is gone already is nothing.
        for path in deleted {
            try dataset.wrapGit { try index.remove(path: path) }
        }
        // Internal paths were never added above; an index written by other means may hold some.
        let counts = try dataset.wrapGit { try index.removeInternalEntries() }
        let tree = try dataset.wrapGit { try index.writeTree() }
        // Written even when nothing changed: the write stores the tree cache the fast path above
        // needs (a restore or an older dsnap may have left it invalid). Written after the clock
        // passed the files just read, so none of them is "racy" for the next status.
        if let newest { StatCacheCheck.waitForClock(toPass: newest) }
        try dataset.wrapGit { try index.write() }
        return WrittenTree(tree: tree, counts: counts, fileCount: index.entryCount, skippedRepositories: skipped,
                           skippedSpecialFiles: audit.specialFiles)
    }
}

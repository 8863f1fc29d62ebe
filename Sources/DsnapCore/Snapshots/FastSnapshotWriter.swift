import FoundationEssentials
import Glibc

/// dsnap's own snapshot writer. libgit2's index diff finds what changed (the index is a stat
/// cache, so unchanged files are not read, and ignore rules apply); each changed file is hashed
/// and written on every core at once while the scan goes on, media stored uncompressed in zlib
/// "stored" blocks, while a background sync keeps the disk writing. The index is updated with the
/// stat of each file as it was read.
///
/// The steps, in order: `unchangedTree` (nothing changed: the index's cached tree is the
/// snapshot), `writeChangedFiles` (scan, write objects, record them in the index), and
/// `recordTree` (deletions, the tree objects, the index file). Only the object writing runs on
/// the workers, and it shares nothing mutable with the rest: each job gets a path and returns
/// what the file became; the index learns it on the calling thread.
public struct FastSnapshotWriter: SnapshotWriter {
    public init() {}

    /// From this many new or changed files on, new objects are packed: loose objects cost one file
    /// creation each, the dominant cost of many small files on a slow disk.
    static let packThreshold = 1000

    /// Paths found but not yet taken by a writer, at most: the scan (stat only) outruns the
    /// writing, and a million paths waiting would be tens of megabytes.
    static let maxWaiting = 16_384

    typealias Work = StreamingWork<String, LooseObjectWriter.Written?, Workspace>

    public func writeTree(of dataset: Dataset, progress: ProgressSink?) throws -> WrittenTree {
        StaleGitLock.remove(dataset.gitDir + "/index.lock")
        if let unchanged = Self.unchangedTree(of: dataset) { return unchanged }
        // Past the fast path (whose index read in place has no bits that hide an edit): an index
        // that hides edits would leave them out of the snapshot.
        try dataset.ensureTrustworthyIndex()
        // Before anything is recorded: what the scan below would leave out in silence refuses
        // the snapshot (or, for fifos and the like, is listed for a warning).
        let audit = try WorkTreeAudit.run(dataset)
        let index = try dataset.wrapGit { try dataset.repository.index() }
        TemporaryObject.removeLeftovers(in: dataset.gitDir + "/objects")
        var scan = try Self.writeChangedFiles(of: dataset, into: index, progress: progress)
        if !scan.unreached.isEmpty {
            do {
                scan.deep = try DeepSnapshotFiles.record(scan.unreached, in: dataset, index: index)
            } catch {
                try? index.discardChanges()
                throw error
            }
        }
        return try Self.recordTree(of: dataset, index: index, scan: scan, audit: audit)
    }

    /// Nothing changed since the index was written (a named checkpoint, or a commit right after a
    /// restore): its cached tree is the snapshot, and libgit2 need not load the index at all.
    static func unchangedTree(of dataset: Dataset) -> WrittenTree? {
        guard let index = StatCacheCheck.clean(dataset), let tree = index.cachedRootTree else { return nil }
        return WrittenTree(tree: tree, counts: index.mediaCounts, fileCount: index.count, skippedRepositories: [])
    }

    /// What the scan found besides files to write.
    struct Scan {
        /// Folders that are git repositories of their own (left out, for a warning).
        var skippedRepositories: [String] = []
        /// Paths in the index that the work tree no longer has.
        var deleted: [String] = []
        /// The latest modification time among the files written: the index is written after it.
        var newestModification: timespec?
        /// Entries too long for libgit2 to reach (`WorkTreeDeltas.unreached`): what lies there is
        /// recorded by `DeepSnapshotFiles`, and the scan's deletions there are not deletions.
        var unreached: [String] = []
        var deep = DeepSnapshotFiles()
    }

    /// Scans the work tree against the index and writes each new or changed file as an object
    /// while the scan goes on; the index learns each result. On failure the objects written are
    /// discarded and the index in memory forgets its changes.
    static func writeChangedFiles(of dataset: Dataset, into index: GitIndex, progress: ProgressSink?) throws -> Scan {
        let writtenPages = WrittenPages()
        let counter = ByteCounter()
        let objects = SnapshotObjects(gitDir: dataset.gitDir, root: dataset.root, writtenPages: writtenPages,
                                      counter: counter)
        let recorder = IndexRecorder(dataset: dataset, index: index)
        let work = Work(phase: "snapshotting", progress: progress, bytes: counter, startAfter: packThreshold,
                        maxWaiting: maxWaiting, makeState: { Workspace() }, receive: recorder.record,
                        makeJob: objects.makeJob)
        let writeBack = BackgroundWriteBack(containing: dataset.gitDir + "/objects", writtenPages: writtenPages)
        var scan: Scan
        do {
            scan = try scanWorkTree(of: dataset, index: index, feeding: work)
            try work.finish()
            try objects.finishPacks()
            try writeBack.stop()
        } catch {
            try? writeBack.stop()
            objects.discardPacks()
            // The index in memory (libgit2 shares it with later users of this repository) names
            // objects that were just discarded.
            try? index.discardChanges()
            throw error
        }
        scan.newestModification = recorder.newestModification
        return scan
    }

    /// Walks libgit2's index-to-work-tree diff, handing each new or modified file to `work`.
    /// libgit2 iterates a snapshot of the index, so `work` adding entries meanwhile is safe;
    /// entries it replaces or removes (a file that became a folder) stay readable for the diff
    /// until it ends.
    static func scanWorkTree(of dataset: Dataset, index: GitIndex, feeding work: Work) throws -> Scan {
        var scan = Scan()
        do {
            scan.unreached = try dataset.wrapGit {
                try dataset.repository.scanIndexToWorkTree(index) { status, path in
                    if path.hasSuffix("/") {
                        // libgit2 names a folder that is a git repository of its own with a trailing slash.
                        scan.skippedRepositories.append(String(path.dropLast()))
                        return true
                    }
                    guard !Dataset.isInternalPath(path) else { return true }
                    if status == .deleted {
                        scan.deleted.append(path)
                        return true
                    }
                    return work.add(path)  // false once a write failed: the scan stops
                }
            }
        } catch {
            work.cancel()
            throw work.failure ?? error
        }
        return scan
    }

    /// Records deletions, writes the tree objects and the index file; returns the snapshot's tree.
    static func recordTree(of dataset: Dataset, index: GitIndex, scan: Scan, audit: WorkTreeAudit) throws -> WrittenTree {
        // After the additions: a path may have been replaced by a folder (or the reverse), and
        // removing an entry that is gone already is nothing.
        let unreached = scan.unreached.map(PathBytes.bytes)
        for path in scan.deleted {
            let key = PathBytes.bytes(path)
            // Below an unreachable entry: `DeepSnapshotFiles` saw what is there.
            if unreached.contains(where: { key.starts(with: $0) && (key.count == $0.count || key[$0.count] == UInt8(ascii: "/")) }) {
                continue
            }
            try dataset.wrapGit { try index.remove(path: path) }
        }
        // Internal paths were never added; an index written by other means may hold some.
        let counts = try dataset.wrapGit { try index.removeInternalEntries() }
        let tree = try dataset.wrapGit { try index.writeTree() }
        // Written even when nothing changed: the write stores the tree cache the fast path needs
        // (a restore or an older dsnap may have left it invalid). Written after the clock passed
        // the files just read, so none of them is "racy" for the next status.
        if let newest = [scan.newestModification, scan.deep.newestModification].compactMap({ $0 })
            .max(by: { ($0.tv_sec, $0.tv_nsec) < ($1.tv_sec, $1.tv_nsec) }) {
            StatCacheCheck.waitForClock(toPass: newest)
        }
        try dataset.wrapGit { try index.write() }
        return WrittenTree(tree: tree, counts: counts, fileCount: index.entryCount,
                           skippedRepositories: scan.skippedRepositories + scan.deep.skippedRepositories,
                           skippedSpecialFiles: (audit.specialFiles + scan.deep.specialFiles).sorted { $0.path < $1.path })
    }
}

/// The object writing of one snapshot. Its writer is chosen when the workers start, once it is
/// known whether many files are coming (then small objects are packed); the jobs get that writer
/// as an immutable value. The packs are finished or discarded from the calling thread.
private final class SnapshotObjects {
    private let gitDir: String
    private let root: String
    private let writtenPages: WrittenPages
    /// Bytes read so far, for the progress line (counted by the workers, read by the caller).
    private let counter: ByteCounter
    private var writer: LooseObjectWriter?

    init(gitDir: String, root: String, writtenPages: WrittenPages, counter: ByteCounter) {
        self.gitDir = gitDir
        self.root = root
        self.writtenPages = writtenPages
        self.counter = counter
    }

    func makeJob(many: Bool) -> FastSnapshotWriter.Work.Job {
        let writer = LooseObjectWriter(gitDir: gitDir, packNewObjects: many, writtenPages: writtenPages)
        self.writer = writer
        let root = self.root
        let counter = self.counter
        return { path, workspace in
            try Self.write(path, under: root, with: writer, workspace: workspace, counter: counter)
        }
    }

    /// One job: the file at `path` as an object, or nil when it is no longer a regular file or link.
    private static func write(_ path: String, under root: String, with writer: LooseObjectWriter,
                              workspace: Workspace, counter: ByteCounter) throws -> LooseObjectWriter.Written? {
        try writer.write(fileAt: root + "/" + path, relativePath: path, workspace: workspace, counter: counter)
    }

    func finishPacks() throws {
        try writer?.packing.finishAll()
    }

    func discardPacks() {
        writer?.packing.discardAll()
    }
}

/// The index learning what each file became, in scan order, on the calling thread.
private final class IndexRecorder {
    private let dataset: Dataset
    private let index: GitIndex
    private(set) var newestModification: timespec?

    init(dataset: Dataset, index: GitIndex) {
        self.dataset = dataset
        self.index = index
    }

    func record(_ path: String, _ written: LooseObjectWriter.Written?) throws {
        guard let written else {
            // Not a regular file or a link any more (it vanished, or is a fifo): not content.
            try dataset.wrapGit { try index.remove(path: path) }
            return
        }
        try dataset.wrapGit { try index.add(path: path, id: written.id, mode: written.mode, stat: written.info) }
        let modified = written.info.st_mtim
        if newestModification.map({ ($0.tv_sec, $0.tv_nsec) < (modified.tv_sec, modified.tv_nsec) }) ?? true {
            newestModification = modified
        }
    }
}

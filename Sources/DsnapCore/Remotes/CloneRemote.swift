import Dispatch
import FoundationEssentials
import Glibc

/// `dsnap clone URL [DEST]`: a new dataset from a remote's catalog, its work tree at the
/// remote's current snapshot (the same snapshot, same id: nothing new is recorded), the remote
/// registered as `origin`. Built in a hidden folder beside DEST and renamed into place, as a
/// local clone is, so an interrupted clone leaves nothing half-made.
public enum CloneRemote {
    public struct Result: Sendable {
        public let path: String
        public let datasetName: String
        public let url: String
        public let snapshot: Snapshot
        public let stats: CheckoutStats
        public let merge: CatalogMergeReport
        /// Live snapshots the clone lists (`dsnap log`).
        public let liveSnapshots: Int
    }

    public static func run(url given: String, to destination: String?, name: String?, workingDirectory: String,
                           checkout: WorkTreeCheckout, context: OperationContext,
                           progress: ProgressSink? = nil) throws -> Result {
        let url = RemoteURL.normalized(given, from: workingDirectory)
        let target = try CloneDataset.checkedDestination(
            destination.map { RemoteURL.absolutePath($0, from: workingDirectory) }
                ?? workingDirectory + "/" + RemoteURL.defaultFolderName(url))
        let parent = target.parentPath
        let base = target.lastPathComponent
        CloneDataset.removeAbandonedTemporaries(in: parent, for: base)
        let temporary = parent + "/.\(base).dsnap-clone-\(getpid())"
        InterruptCleanup.remember(temporary)
        defer { InterruptCleanup.forget(temporary) }
        do {
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        } catch {
            throw StorageError.fromErrno(access(parent, W_OK) == 0 ? EIO : EACCES, path: parent)
        }
        do {
            let result = try build(in: temporary, url: url, target: target, name: name, checkout: checkout,
                                   context: context, progress: progress)
            Leftovers.remove(in: temporary + "/" + Dataset.gitDirName)
            try CloneDataset.moveIntoPlace(temporary, target)
            if let unsynced = result.unsynced {
                try UnsyncedWorkTree.finish(token: unsynced, root: target, gitDir: target + "/" + Dataset.gitDirName,
                                            flush: context.workTreeFlush)
            }
            return result.result
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    private static func build(in temporary: String, url: String, target: String, name: String?,
                              checkout: WorkTreeCheckout, context: OperationContext,
                              progress: ProgressSink?) throws -> (result: Result, unsynced: String?) {
        let repository = try DatasetSetup.createRepository(root: temporary, name: name ?? target.lastPathComponent)
        do {
            try repository.addRemote("origin", url: url)
        } catch let failure as GitFailure {
            throw failure.asDsnapError(path: temporary)
        }
        var dataset = try Dataset.open(root: temporary)
        let session = try RemoteSession(name: "origin", in: dataset)
        // Nothing here is seen before the rename into place, and a crash leaves this folder for
        // the next clone to sweep: the objects and refs need be on disk only by then. They are
        // flushed once, in the background while the work tree is written, instead of after the
        // fetch and again after the merge, each a wait for the disk on the way.
        try session.fetch(into: dataset, progress: progress, durably: false)
        progress?.finish()
        // The remote's name for the dataset, unless the user gave one.
        if name == nil, let info = try dataset.wrapGit({ try dataset.repository.resolve(reference: session.refs.datasetInfo) }),
           let remoteName = PushCatalog.datasetName(inInfo: info, of: dataset) {
            try dataset.wrapGit { try dataset.repository.setConfig(Dataset.nameKey, remoteName) }
            dataset = try Dataset.open(root: temporary)
        }
        let merge = try CatalogMerge.run(session.refs, in: dataset, context: context, durably: false)
        let remoteCurrent = try dataset.wrapGit { try dataset.repository.resolve(reference: session.refs.current) }
        // The remote's current snapshot becomes current here, even if a record deleted it: the
        // current snapshot is never hidden.
        if let remoteCurrent, try dataset.wrapGit({
            try dataset.repository.resolve(reference: SnapshotCatalog.snapshotRefPrefix + remoteCurrent.hex) != nil
        }) {
            try dataset.wrapGit { try dataset.repository.deleteReference(SnapshotCatalog.deletedRefPrefix + remoteCurrent.hex) }
        }
        let snapshots = try SnapshotCatalog(dataset: dataset).snapshots(.live)
        guard let chosen = snapshots.first(where: { $0.id == remoteCurrent }) ?? snapshots.first else {
            throw RemoteError.empty(name: "origin", url: url)
        }
        let plan = try checkout.plan(chosen.tree, in: dataset, workTreeMatchesIndex: true)
        try dataset.wrapGit {
            try dataset.repository.setReference(Dataset.branch, to: chosen.id, message: "dsnap: clone \(url)")
        }
        let flush = BackgroundFlush(containing: dataset.gitDir)
        let unsynced: String
        let stats: CheckoutStats
        do {
            unsynced = try UnsyncedWorkTree.begin(gitDir: dataset.gitDir, operation: "clone \(chosen.id.hex)")
            stats = try checkout.apply(plan, in: dataset, progress: progress)
        } catch {
            _ = try? flush.wait()
            throw error
        }
        try flush.wait()
        let current = try SnapshotCatalog(dataset: dataset).snapshot(chosen.id)
        return (Result(path: target, datasetName: dataset.name, url: url, snapshot: current, stats: stats, merge: merge,
                       liveSnapshots: snapshots.count),
                unsynced)
    }
}

/// A flush of the file system holding a folder, on a thread of its own: the catalog a clone
/// received reaches the disk while its work tree is written (the work tree's own flush comes
/// after, `UnsyncedWorkTree`). Everything written before it starts is on disk once `wait` returns.
private final class BackgroundFlush: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var failure: Error?

    init(containing path: String) {
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                try FileSystemSync.sync(containing: path)
            } catch {
                self.failure = error
            }
            self.done.signal()
        }
    }

    func wait() throws {
        done.wait()
        if let failure { throw failure }
    }
}

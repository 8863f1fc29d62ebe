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
        try session.fetch(into: dataset, progress: progress)
        progress?.finish()
        // The remote's name for the dataset, unless the user gave one.
        if name == nil, let info = try dataset.wrapGit({ try dataset.repository.resolve(reference: session.refs.datasetInfo) }),
           let remoteName = PushCatalog.datasetName(inInfo: info, of: dataset) {
            try dataset.wrapGit { try dataset.repository.setConfig(Dataset.nameKey, remoteName) }
            dataset = try Dataset.open(root: temporary)
        }
        let merge = try CatalogMerge.run(session.refs, in: dataset, context: context)
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
        let unsynced = try UnsyncedWorkTree.begin(gitDir: dataset.gitDir, operation: "clone \(chosen.id.hex)")
        let stats = try checkout.apply(plan, in: dataset, progress: progress)
        let current = try SnapshotCatalog(dataset: dataset).snapshot(chosen.id)
        return (Result(path: target, datasetName: dataset.name, url: url, snapshot: current, stats: stats, merge: merge,
                       liveSnapshots: snapshots.count),
                unsynced)
    }
}

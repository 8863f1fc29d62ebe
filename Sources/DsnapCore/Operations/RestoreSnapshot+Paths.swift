import Glibc

/// What a partial restore did.
public struct PartialRestoreResult: Sendable {
    /// The snapshot the paths were restored from; not made current.
    public let source: Snapshot
    /// The paths restored, from the dataset folder ("" is the whole dataset).
    public let paths: [String]
    /// The snapshot that saved the work tree before its changes in `paths` were discarded.
    public let autosave: Snapshot?
    public let stats: CheckoutStats
}

extension RestoreSnapshot {
    /// `dsnap restore SNAP -- PATH...`: makes those files and folders byte-identical to the
    /// snapshot's, as `git restore --source=SNAP -- PATH...` does (files under a folder that the
    /// snapshot lacks are removed; ignored files stay), leaving the current snapshot where it is:
    /// `status` then lists what was restored as changes.
    ///
    /// With restore's safety: uncommitted changes in those paths refuse it unless `discard` (or
    /// SNAP is `current`), and then the whole work tree is first autosaved, without moving the
    /// current snapshot; the whole snapshot tree is checked before anything is written; each file
    /// is replaced atomically. No restore marker: a partial restore killed half-way leaves files
    /// that are each old or new, whole, with the same current snapshot, which is nothing but
    /// uncommitted changes (that `status` lists and `restore current -- PATH` undoes).
    public static func performPartial(_ reference: String, paths: [String], discard: Bool, in dataset: Dataset,
                                      writer: SnapshotWriter, checkout: WorkTreeCheckout,
                                      context: OperationContext,
                                      progress: ProgressSink? = nil) throws -> PartialRestoreResult {
        let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: "restore", context: context)
        defer { withExtendedLifetime(lock) {} }
        try MergeSnapshot.refuseWhileMerging(in: dataset)
        let catalog = SnapshotCatalog(dataset: dataset)
        let snapshot = try catalog.resolve(reference)
        // The dataset folder among the paths means all of it; libgit2 reads no paths as all too.
        let limited = paths.contains("") ? [] : paths
        // A full restore's business: the work tree is half-way to another snapshot, or its stat
        // data may lie; a partial restore on top would compare against the wrong state.
        if let pending = RestoreMarker.target(in: dataset) { throw RestoreError.interrupted(target: pending.hex) }
        if let lost = UnsyncedWorkTree.fromEarlierBoot(gitDir: dataset.gitDir).first {
            throw RestoreError.unsyncedBeforeRestart(operation: lost.operation)
        }
        let currentTree = try catalog.currentID().map { id in try dataset.wrapGit { try dataset.repository.commit(id).tree } }
        for path in limited {
            try requireKnown(path, reference: reference, snapshot: snapshot, currentTree: currentTree,
                             catalog: catalog, root: dataset.root)
        }
        // The plan first, as a whole restore's: a hostile snapshot is named as such even when
        // changes would block it too.
        let plan = try checkout.plan(snapshot.tree, in: dataset, workTreeMatchesIndex: false, paths: limited)
        let changes = try ReadStatus.changes(in: dataset, since: currentTree, paths: limited)
        if !changes.isEmpty && !discard && reference != "current" {
            throw RestoreError.uncommittedChangesInPaths(paths: changes.prefix(10).map(\.path), total: changes.count)
        }

        let recorder = TaskRecorder(type: .restore, snapshotID: snapshot.id.hex, datasetName: dataset.name,
                                    gitDir: dataset.gitDir, context: context, forward: progress)
        defer { recorder.finish() }
        return try recorder.run(context: context) {
            UnsyncedWorkTree.settle(root: dataset.root, gitDir: dataset.gitDir)
            ReplacedFiles.delete(gitDir: dataset.gitDir)
            let what = limited.count == 1 ? "'\(limited[0])'" : limited.isEmpty ? "every path" : "\(limited.count) paths"
            // The whole work tree, as any restore's autosave; HEAD stays.
            let autosave = try TakeSnapshot.autosave(
                changes.count, name: "autosave before restoring \(what) from \(snapshot.id.hex.prefix(12))",
                savedBy: "in the restored paths, saved by dsnap restore", makeCurrent: false, in: dataset, writer: writer,
                context: context)
            let unsynced = plan.writes.isEmpty ? nil
                : try UnsyncedWorkTree.begin(gitDir: dataset.gitDir, operation: "restore \(snapshot.id.short) -- paths")
            // The autosave read the work tree but changed none of it: the plan still holds.
            let stats = try checkout.apply(plan, in: dataset, progress: recorder)
            if let unsynced {
                try UnsyncedWorkTree.finish(token: unsynced, root: dataset.root, gitDir: dataset.gitDir,
                                            flush: context.workTreeFlush)
            }
            return PartialRestoreResult(source: try catalog.snapshot(snapshot.id), paths: paths,
                                        autosave: try autosave.map { try catalog.snapshot($0.id) }, stats: stats)
        }
    }

    /// Refuses a path that the snapshot, the current snapshot and the work tree all lack: there
    /// is nothing to restore there, and a typing slip should not pass for success.
    private static func requireKnown(_ path: String, reference: String, snapshot: Snapshot, currentTree: GitOID?,
                                     catalog: SnapshotCatalog, root: String) throws {
        if try catalog.contains(path, in: snapshot.tree) || catalog.contains(path, in: currentTree) { return }
        // Never through a link: a path below one is not in the work tree.
        var info = stat()
        if AtomicCheckout.parentsAreFolders(of: path, root: root) {
            if PathLimit.isDeep(path, rootBytes: PathBytes.byteCount(root)) {
                let folder = PathLimit.openFolder(path.parentPath, under: root)
                defer { if folder >= 0 { close(folder) } }
                if folder >= 0, fstatat(folder, PathBytes.cString(path.lastPathComponent), &info, AT_SYMLINK_NOFOLLOW) == 0 { return }
            } else if lstat(PathBytes.cString(root + "/" + path), &info) == 0 {
                return
            }
        }
        do {
            _ = try catalog.content(at: path, of: snapshot, reference: reference)
        } catch let SnapshotPathError.notFound(_, _, folder, nearest) {
            throw SnapshotPathError.notFoundAnywhere(path: path, snapshot: reference, folder: folder, nearest: nearest)
        }
        // Not reached: the look-up above fails for a path `contains` did not find.
        throw SnapshotPathError.notFoundAnywhere(path: path, snapshot: reference, folder: path.parentPath, nearest: [])
    }
}

/// What a restore did.
public struct RestoreResult: Sendable {
    public let target: Snapshot
    /// The snapshot that saved the changes this restore discarded, if there were any.
    public let autosave: Snapshot?
    public let stats: CheckoutStats
    /// True when this run finished a restore an earlier, interrupted run had started.
    public let continued: Bool
}

/// `dsnap restore`: makes the work tree byte-identical to a snapshot and makes it current, never
/// losing data: uncommitted changes are refused, or (with `discard`) saved as an autosave snapshot
/// first.
///
/// Two steps under the lock, so a refused restore changes nothing and leaves no task behind:
/// `plan` checks, `execute` acts.
public enum RestoreSnapshot {
    /// `dsnap restore` whole, as any caller runs it: under the dataset's exclusive lock, planned,
    /// then executed as a RESTORE task of the journal with its progress forwarded to `progress`.
    public static func perform(_ target: Target, discard: Bool, in dataset: Dataset, writer: SnapshotWriter,
                               checkout: WorkTreeCheckout, context: OperationContext,
                               progress: ProgressSink? = nil) throws -> RestoreResult {
        let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: "restore", context: context)
        defer { withExtendedLifetime(lock) {} }
        return try recorded(target, discard: discard, in: dataset, writer: writer, checkout: checkout,
                            context: context, progress: progress)
    }

    /// Plans the restore, then executes it as a RESTORE task of the journal (a refused plan is
    /// no task). The caller holds the exclusive lock: `perform`, or a run restoring its checkpoint.
    static func recorded(_ target: Target, discard: Bool, in dataset: Dataset, writer: SnapshotWriter,
                         checkout: WorkTreeCheckout, context: OperationContext,
                         progress: ProgressSink?) throws -> RestoreResult {
        try accepted(target, discard: discard, in: dataset, writer: writer, checkout: checkout, context: context,
                     holding: nil, progress: progress).execute()
    }

    /// What to restore: a snapshot reference (`current` discards changes), or the interrupted restore.
    public enum Target: Sendable, Equatable {
        case snapshot(String)
        case continueInterrupted
    }

    /// A restore that passed its checks.
    struct Plan: Sendable {
        public let snapshot: Snapshot
        /// Uncommitted changes to autosave before restoring (empty when continuing).
        let changes: [WorkTreeChange]
        let continuing: Bool
        let checkout: CheckoutPlan
        /// Markers of files an earlier boot may have lost: this restore checked every file, and
        /// removes them when it is done.
        let unsyncedBeforeRestart: [UnsyncedWorkTree.Marker]
    }

    /// Resolves the target and checks that the restore may go ahead, the snapshot's paths included.
    /// Writes nothing, except, after a restart that may have lost files a restore or clone wrote,
    /// the index without its stat data, so that every file is compared by content.
    static func plan(_ target: Target, discard: Bool, in dataset: Dataset,
                     checkout: WorkTreeCheckout) throws -> Plan {
        try MergeSnapshot.refuseWhileMerging(in: dataset)
        let catalog = SnapshotCatalog(dataset: dataset)
        let pending = RestoreMarker.target(in: dataset)
        let snapshot: Snapshot
        switch target {
        case .continueInterrupted:
            guard let pending else { throw RestoreError.nothingToContinue }
            snapshot = try catalog.snapshot(pending)
        case let .snapshot(reference):
            snapshot = try catalog.resolve(reference)
        }
        let unsynced = UnsyncedWorkTree.fromEarlierBoot(gitDir: dataset.gitDir)
        if !unsynced.isEmpty {
            // The stat data describes files as written, not as the disk kept them.
            let current = try catalog.currentID().map { try catalog.snapshot($0).tree }
            try dataset.wrapGit {
                let index = try dataset.repository.index()
                try index.reset(to: current)
                try index.write()
            }
        }
        // After an interrupted restore the full comparison runs: it also finds the temporary
        // files that restore left behind.
        let clean = try pending == nil && unsynced.isEmpty && ReadStatus.workTreeMatchesIndexAndCurrent(in: dataset)
        let checkoutPlan = try checkout.plan(snapshot.tree, in: dataset, workTreeMatchesIndex: clean)
        let changes = clean ? [] : try ReadStatus.changes(in: dataset, knownChanged: pending == nil && unsynced.isEmpty)
        // After an interrupted restore, what differs is mostly its own half-done work, which any
        // restore may replace; but someone may have edited files since, so it is autosaved too.
        guard pending == nil else {
            return Plan(snapshot: snapshot, changes: changes, continuing: true, checkout: checkoutPlan,
                        unsyncedBeforeRestart: unsynced)
        }
        if !changes.isEmpty && !discard && target != .snapshot("current") {
            throw RestoreError.uncommittedChanges(paths: changes.prefix(10).map(\.path), total: changes.count)
        }
        return Plan(snapshot: snapshot, changes: changes, continuing: false, checkout: checkoutPlan,
                    unsyncedBeforeRestart: unsynced)
    }

    /// Autosaves the changes (if any), then writes the marker, the files and HEAD, in that order:
    /// a process killed anywhere leaves a marker that the next restore finishes from. The files
    /// reach the disk after it returns (`context.workTreeFlush`; see `UnsyncedWorkTree`).
    static func execute(_ plan: Plan, in dataset: Dataset, writer: SnapshotWriter,
                        checkout: WorkTreeCheckout, context: OperationContext,
                        progress: ProgressSink? = nil,
                        onAutosave: (Snapshot) -> Void = { _ in }) throws -> RestoreResult {
        let snapshot = plan.snapshot
        UnsyncedWorkTree.settle(root: dataset.root, gitDir: dataset.gitDir)
        // Files an earlier restore replaced and did not get to delete (it failed, or its flush
        // could not): their content is in a snapshot or an autosave, and this restore holds the lock.
        ReplacedFiles.delete(gitDir: dataset.gitDir)
        let autosave = try TakeSnapshot.autosave(
            plan.changes.count,
            name: (plan.continuing ? "autosave while finishing restore to " : "autosave before restore to ")
                + snapshot.id.hex.prefix(12),
            savedBy: "saved by dsnap restore", in: dataset, writer: writer, context: context)
        autosave.map(onAutosave)
        try RestoreMarker.set(snapshot.id, in: dataset)
        let unsynced = plan.checkout.writes.isEmpty ? nil
            : try UnsyncedWorkTree.begin(gitDir: dataset.gitDir, operation: "restore \(snapshot.id.short)")
        // The autosave read the work tree but changed none of it: the plan still holds.
        let stats = try checkout.apply(plan.checkout, in: dataset, progress: progress)
        try dataset.wrapGit {
            StaleGitLock.remove(dataset.gitDir + "/" + Dataset.branch + ".lock")
            try dataset.repository.setReference(Dataset.branch, to: snapshot.id,
                                                message: "dsnap: restore \(snapshot.id.hex)")
        }
        RestoreMarker.clear(in: dataset)
        UnsyncedWorkTree.clear(plan.unsyncedBeforeRestart, gitDir: dataset.gitDir)
        if let unsynced {
            try UnsyncedWorkTree.finish(token: unsynced, root: dataset.root, gitDir: dataset.gitDir,
                                    flush: context.workTreeFlush)
        }
        let catalog = SnapshotCatalog(dataset: dataset)
        // Re-read both: the autosave was current when taken, and no longer is.
        return RestoreResult(target: try catalog.snapshot(snapshot.id),
                             autosave: try autosave.map { try catalog.snapshot($0.id) },
                             stats: stats, continued: plan.continuing)
    }
}

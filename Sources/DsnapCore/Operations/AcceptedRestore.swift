/// A restore that passed its checks and holds the dataset's exclusive lock, its RESTORE task
/// already in the journal, its work not yet done: what `dsnap serve` answers 202 for before the
/// work runs on another thread, as the API's restore is asynchronous.
///
/// Everything a restore can refuse (no such snapshot, another operation running, a snapshot that
/// cannot be applied) is refused by `RestoreSnapshot.accept`, before the caller answers; what
/// `execute` meets afterwards (a full disk, a kill) ends the task FAILED and is recovered exactly as
/// a `dsnap restore` that met it.
public final class AcceptedRestore: @unchecked Sendable {
    /// The snapshot being restored.
    public let snapshot: Snapshot
    /// The RESTORE task's id in the dataset's journal.
    public let taskID: String

    /// Nil when the caller holds the lock itself (`dsnap restore`, a run restoring its checkpoint).
    private var lock: DatasetLock?
    private let plan: RestoreSnapshot.Plan
    private let recorder: TaskRecorder
    private let dataset: Dataset
    private let writer: SnapshotWriter
    private let checkout: WorkTreeCheckout
    private let context: OperationContext

    init(lock: DatasetLock?, plan: RestoreSnapshot.Plan, recorder: TaskRecorder, dataset: Dataset,
         writer: SnapshotWriter, checkout: WorkTreeCheckout, context: OperationContext) {
        self.lock = lock
        self.plan = plan
        self.recorder = recorder
        self.dataset = dataset
        self.writer = writer
        self.checkout = checkout
        self.context = context
        self.snapshot = plan.snapshot
        self.taskID = recorder.id
    }

    /// Runs the restore to its end (once, on any one thread), then releases the lock it holds. The
    /// outcome is also in the task: COMPLETED, or FAILED with the error's message.
    public func execute() throws -> RestoreResult {
        defer {
            recorder.finish()
            lock = nil  // released now, not whenever the last reference to this goes
        }
        let recorder = self.recorder
        return try recorder.run(context: context) {
            try RestoreSnapshot.execute(plan, in: dataset, writer: writer, checkout: checkout, context: context,
                                        progress: recorder, onAutosave: { recorder.setAutosave($0.id) })
        }
    }
}

extension RestoreSnapshot {
    /// Takes the lock, plans the restore and records its task, returning before any file is
    /// written; the caller runs `execute` on the returned value, typically on another thread.
    public static func accept(_ target: Target, discard: Bool, in dataset: Dataset, writer: SnapshotWriter,
                              checkout: WorkTreeCheckout, context: OperationContext) throws -> AcceptedRestore {
        let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: "restore", context: context)
        return try accepted(target, discard: discard, in: dataset, writer: writer, checkout: checkout,
                            context: context, holding: lock, progress: nil)
    }

    /// Plans the restore and records its task (a refused plan is no task); `lock` is the one the
    /// restore releases when done, nil when the caller holds it.
    static func accepted(_ target: Target, discard: Bool, in dataset: Dataset, writer: SnapshotWriter,
                         checkout: WorkTreeCheckout, context: OperationContext, holding lock: DatasetLock?,
                         progress: ProgressSink?) throws -> AcceptedRestore {
        let plan = try plan(target, discard: discard, in: dataset, checkout: checkout)
        let recorder = TaskRecorder(type: .restore, snapshotID: plan.snapshot.id.hex, datasetName: dataset.name,
                                    gitDir: dataset.gitDir, context: context, forward: progress)
        return AcceptedRestore(lock: lock, plan: plan, recorder: recorder, dataset: dataset, writer: writer,
                               checkout: checkout, context: context)
    }
}

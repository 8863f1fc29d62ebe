import FoundationEssentials

/// A clone that passed its checks, its hidden folder made and its task recorded, nothing copied
/// yet (see `CloneDataset.accept`). `execute` builds it, once, on any one thread.
public final class AcceptedClone: @unchecked Sendable {
    /// The snapshot being cloned.
    public let snapshot: Snapshot
    /// Where the new dataset will be.
    public let target: String
    /// The new dataset's name.
    public let datasetName: String
    /// The SNAPSHOT_CLONE task's id, in the source's journal and then the new dataset's.
    public var taskID: String { recorder.id }

    let source: Dataset
    let temporary: String
    let checkout: WorkTreeCheckout
    let context: OperationContext
    private let note: PendingClones.Note
    private let recorder: TaskRecorder

    init(snapshot: Snapshot, source: Dataset, target: String, temporary: String, datasetName: String,
         note: PendingClones.Note, recorder: TaskRecorder, checkout: WorkTreeCheckout, context: OperationContext) {
        self.snapshot = snapshot
        self.source = source
        self.target = target
        self.temporary = temporary
        self.datasetName = datasetName
        self.note = note
        self.recorder = recorder
        self.checkout = checkout
        self.context = context
    }

    /// Builds the clone in its hidden folder and moves it into place; any failure removes the
    /// folder and ends the task FAILED.
    public func execute() throws -> CloneResult {
        defer {
            InterruptCleanup.forget(temporary)
            PendingClones.done(note)
        }
        let recorder = self.recorder
        do {
            let (result, unsynced) = try recorder.run(context: context) {
                try CloneDataset.build(self, recorder: recorder)
            }
            recorder.finish()
            if let unsynced {
                try UnsyncedWorkTree.finish(token: unsynced, root: target, gitDir: target + "/" + Dataset.gitDirName,
                                            flush: context.workTreeFlush)
            }
            return result
        } catch {
            recorder.finish()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}

import FoundationEssentials
import Glibc

/// Records one task in the journal while forwarding progress to another sink (the terminal's).
public final class TaskRecorder: ProgressSink {
    private var record: TaskRecord
    private var gitDir: String
    private let forward: ProgressSink?
    private var lastWrite = Date.distantPast

    /// Starts a RUNNING task in the journal of the dataset whose git directory is `gitDir`.
    public init(type: TaskRecord.TaskType, snapshotID: String?, datasetName: String, gitDir: String,
                context: OperationContext, forward: ProgressSink?) {
        let started = context.now()
        let id = Int(started.microseconds).zeroPadded(20) + "-\(getpid())-"
            + type.rawValue.lowercased().replacing("snapshot_", with: "")
        self.record = TaskRecord(id: id, type: type, snapshotID: snapshotID, datasetName: datasetName,
                                 startedAt: started, pid: getpid())
        self.gitDir = gitDir
        self.forward = forward
        TaskJournal.prune(gitDir: gitDir)
        TaskJournal.write(record, gitDir: gitDir)
    }

    /// The journal moves with its dataset (a clone is built in a temporary folder, then renamed).
    public func move(toGitDir newGitDir: String) {
        gitDir = newGitDir
    }

    /// The snapshot the task made, and, for a snapshot, how many files it holds.
    public func setSnapshot(_ id: GitOID, files: Int? = nil) {
        record.snapshotID = id.hex
        if let files {
            record.filesDone = files
            record.filesTotal = files
        }
    }

    public func report(_ progress: OperationProgress) {
        record.filesDone = progress.filesDone
        record.filesTotal = progress.filesTotal ?? record.filesTotal
        record.bytesDone = progress.bytesDone
        forward?.report(progress)
        // A few writes a second at most: the journal must not slow the work it describes.
        let now = Date()
        if now.timeIntervalSince(lastWrite) >= 0.5 {
            lastWrite = now
            TaskJournal.write(record, gitDir: gitDir)
        }
    }

    public func finish() {
        forward?.finish()
    }

    public func complete(context: OperationContext) {
        record.status = .completed
        record.finishedAt = context.now()
        if let total = record.filesTotal { record.filesDone = total }
        TaskJournal.write(record, gitDir: gitDir)
    }

    public func fail(_ error: Error, context: OperationContext) {
        record.status = .failed
        record.finishedAt = context.now()
        record.error = (error as? DsnapError)?.message ?? "\(error)"
        TaskJournal.write(record, gitDir: gitDir)
    }

    /// Runs `body`, recording COMPLETED or FAILED when it ends.
    public func run<T>(context: OperationContext, _ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            complete(context: context)
            return result
        } catch {
            fail(error, context: context)
            throw error
        }
    }
}

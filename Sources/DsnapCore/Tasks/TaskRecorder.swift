import FoundationEssentials
import Glibc

/// Records one task in the journal while forwarding progress to another sink (the terminal's).
public final class TaskRecorder: ProgressSink {
    private var record: TaskRecord
    /// The journals the task is written to: its dataset's, and for a clone the new dataset's too.
    private var gitDirs: [String]
    private let forward: ProgressSink?
    private var lastWrite = Date.distantPast

    /// Starts a RUNNING task in the journal of the dataset whose git directory is `gitDir`.
    public init(type: TaskRecord.TaskType, snapshotID: String?, datasetName: String, gitDir: String,
                context: OperationContext, forward: ProgressSink?, run: TaskRecord.RunDetails? = nil) {
        let started = context.now()
        let id = Int(started.microseconds).zeroPadded(20) + "-\(getpid())-"
            + type.rawValue.lowercased().replacing("snapshot_", with: "")
        self.record = TaskRecord(id: id, type: type, snapshotID: snapshotID, datasetName: datasetName,
                                 startedAt: started, pid: getpid())
        self.record.run = run
        self.gitDirs = [gitDir]
        self.forward = forward
        TaskJournal.prune(gitDir: gitDir)
        TaskJournal.write(record, gitDir: gitDir)
    }

    /// Writes the task to a second journal from now on: a clone's task is recorded in the source
    /// (where it was started, and where it stays if the clone fails) and in the new dataset,
    /// which exists only once the clone has begun.
    func alsoRecord(inGitDir gitDir: String) {
        gitDirs.append(gitDir)
        write()
    }

    /// A journal's dataset was renamed (a clone, built in a temporary folder, took its place).
    func journalMoved(from oldGitDir: String, to newGitDir: String) {
        gitDirs = gitDirs.map { $0 == oldGitDir ? newGitDir : $0 }
    }

    /// The snapshot the task made, and, for a snapshot, how many files it holds.
    public func setSnapshot(_ id: GitOID, files: Int? = nil) {
        record.snapshotID = id.hex
        if let files {
            record.filesDone = files
            record.filesTotal = files
        }
    }

    /// The autosave a restore took, written at once: if the restore fails after it, the task
    /// still says where the discarded changes are.
    func setAutosave(_ id: GitOID) {
        record.autosaveSnapshotID = id.hex
        write()
    }

    /// The task's id, as in its file name.
    public var id: String { record.id }

    /// A RUN's details, written to the journal at once: they change a few times a run.
    func updateRun(_ change: (inout TaskRecord.RunDetails) -> Void) {
        var details = record.run ?? TaskRecord.RunDetails(command: "")
        change(&details)
        record.run = details
        write()
    }

    /// The snapshot the task is about now, with no file counts (a RUN's latest snapshot).
    func setSnapshotID(_ id: GitOID) {
        record.snapshotID = id.hex
    }

    private func write() {
        for gitDir in gitDirs { TaskJournal.write(record, gitDir: gitDir) }
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
            write()
        }
    }

    public func finish() {
        forward?.finish()
    }

    public func complete(context: OperationContext) {
        record.status = .completed
        record.finishedAt = context.now()
        if let total = record.filesTotal { record.filesDone = total }
        write()
    }

    public func fail(_ error: Error, context: OperationContext) {
        fail(reason: (error as? DsnapError)?.message ?? "\(error)", context: context)
    }

    /// Ends the task FAILED with `reason` as its error: a RUN whose COMMAND failed, which is no
    /// error of dsnap's.
    func fail(reason: String, context: OperationContext) {
        record.status = .failed
        record.finishedAt = context.now()
        record.error = reason
        write()
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

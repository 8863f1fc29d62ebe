import Glibc

/// What `dsnap run` is asked to do around its COMMAND.
public struct RunRequest: Sendable {
    public enum OnFailure: String, Sendable, CaseIterable { case keep, restore }

    /// COMMAND and its arguments.
    public var command: [String]
    /// Take a snapshot first, `before: COMMAND...`, passed to COMMAND as DSNAP_CHECKPOINT.
    public var checkpoint: Bool
    /// The checkpoint's name (the default name otherwise).
    public var name: String?
    /// What to do when COMMAND fails: keep what it did, or restore the checkpoint (after an
    /// autosave of what it did).
    public var onFailure: OnFailure
    /// Take a snapshot `after: COMMAND...` when COMMAND succeeds.
    public var commitAfter: Bool
    public var trainingModelID: String?
    public var trainingModelName: String?

    public init(command: [String], checkpoint: Bool = false, name: String? = nil, onFailure: OnFailure = .keep,
                commitAfter: Bool = false, trainingModelID: String? = nil, trainingModelName: String? = nil) {
        self.command = command
        self.checkpoint = checkpoint
        self.name = name
        self.onFailure = onFailure
        self.commitAfter = commitAfter
        self.trainingModelID = trainingModelID
        self.trainingModelName = trainingModelName
    }
}

/// What a run did.
public struct RunResult: Sendable {
    /// The RUN task's id in `dsnap tasks`.
    public let taskID: String
    /// COMMAND as one line, quoted where a shell would need it.
    public let commandLine: String
    public let checkpoint: Snapshot?
    public let termination: ChildTermination
    /// The restore of the checkpoint after COMMAND failed (`--on-failure restore`); its autosave
    /// holds what COMMAND changed.
    public let restore: RestoreResult?
    /// The snapshot taken after COMMAND succeeded (`--commit`).
    public let after: SnapshotResult?
}

/// `dsnap run`: runs a program over the dataset (an enrichment: a tagger, a captioner) while
/// holding the dataset's exclusive lock, as the API blocks snapshots and restores during an
/// enrichment job. The checkpoint before, the snapshot after and the restore on failure are
/// taken under that same lock, so nothing else can slip in between them and the program.
///
/// The lock is an flock on a close-on-exec descriptor: the program does not inherit it, so it
/// dies with dsnap. A dsnap killed with SIGKILL leaves no stale lock, and a program that
/// outlives it runs on unguarded (nothing can stop it from dsnap's side).
public enum RunCommandUnderLock {
    /// How a run names itself in the lock file, before COMMAND: what refused commands and
    /// `status` show, and how `status` tells a run (Busy) from a commit.
    static let lockPrefix = "run -- "

    /// Runs `request.command` in the dataset's root and waits for it. `willStart` is called just
    /// before the program starts, with the checkpoint if one was taken; `progress` gives a fresh
    /// progress display to each snapshot and restore. A COMMAND that fails is no error: its
    /// termination is in the result (the RUN task is FAILED); errors are dsnap's own.
    public static func perform(_ request: RunRequest, in dataset: Dataset, writer: SnapshotWriter,
                               checkout: WorkTreeCheckout, context: OperationContext,
                               progress: () -> ProgressSink? = { nil },
                               willStart: (Snapshot?) -> Void = { _ in }) throws -> RunResult {
        guard let program = request.command.first else { throw RunError.noCommand }
        if request.onFailure == .restore && !request.checkpoint { throw RunError.restoreWithoutCheckpoint }
        let line = commandLine(request.command)
        let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: lockPrefix + line, context: context)
        defer { withExtendedLifetime(lock) {} }
        // What a snapshot would refuse (an interrupted restore, a bad name) refuses the run
        // before anything is written: a program must not run over a half-restored work tree.
        try TakeSnapshot.validate(SnapshotRequest(name: request.name), in: dataset)
        let path: String
        switch ChildProcess.locate(program, directory: dataset.root, searchPath: context.environment["PATH"]) {
        case let .success(found): path = found
        case let .failure(failure): throw RunError.cannotStart(command: program, failure: failure)
        }

        let recorder = TaskRecorder(type: .run, snapshotID: nil, datasetName: dataset.name, gitDir: dataset.gitDir,
                                    context: context, forward: nil, run: TaskRecord.RunDetails(command: line))
        do {
            var checkpoint: Snapshot?
            if request.checkpoint {
                let taken = try TakeSnapshot.recorded(
                    SnapshotRequest(name: request.name, description: "before: " + line, reason: .manual),
                    in: dataset, writer: writer, context: context, progress: progress()).snapshot
                recorder.setSnapshotID(taken.id)
                recorder.updateRun { $0.checkpointSnapshotID = taken.id.hex }
                checkpoint = taken
            }

            var environment = context.environment
            environment["DSNAP_DATASET"] = dataset.root
            // Set or removed: a run inside another run's COMMAND must not see the outer checkpoint.
            environment["DSNAP_CHECKPOINT"] = checkpoint?.id.hex
            willStart(checkpoint)
            let child: ChildProcess
            switch ChildProcess.spawn(path: path, arguments: request.command, environment: environment,
                                      directory: dataset.root) {
            case let .success(started): child = started
            case let .failure(failure): throw RunError.cannotStart(command: program, failure: failure)
            }
            SignalForwarding.begin(child.pid)
            let termination = child.wait()
            SignalForwarding.end()
            recorder.updateRun { $0.exitStatus = termination.shellStatus }

            guard termination.succeeded else {
                var restore: RestoreResult?
                if request.onFailure == .restore, let checkpoint {
                    // `discard`: what COMMAND changed is saved as an autosave first, never lost.
                    let restored = try RestoreSnapshot.recorded(
                        .snapshot(checkpoint.id.hex), discard: true, in: dataset, writer: writer, checkout: checkout,
                        context: context, progress: progress())
                    recorder.updateRun {
                        $0.restored = true
                        $0.autosaveSnapshotID = restored.autosave?.id.hex
                    }
                    restore = restored
                }
                // The command line is a member of its own: the error says only how it ended.
                recorder.fail(reason: termination.description + (restore == nil ? "" : "; checkpoint restored"),
                              context: context)
                return RunResult(taskID: recorder.id, commandLine: line, checkpoint: try reread(checkpoint, in: dataset),
                                 termination: termination, restore: restore, after: nil)
            }
            var after: SnapshotResult?
            if request.commitAfter {
                let taken = try TakeSnapshot.recorded(
                    SnapshotRequest(description: "after: " + line, reason: .manual,
                                    trainingModelID: request.trainingModelID,
                                    trainingModelName: request.trainingModelName),
                    in: dataset, writer: writer, context: context, progress: progress())
                recorder.setSnapshotID(taken.snapshot.id)
                recorder.updateRun { $0.afterSnapshotID = taken.snapshot.id.hex }
                after = taken
            }
            recorder.complete(context: context)
            return RunResult(taskID: recorder.id, commandLine: line, checkpoint: try reread(checkpoint, in: dataset),
                             termination: termination, restore: nil, after: after)
        } catch {
            recorder.fail(error, context: context)
            throw error
        }
    }

    /// The checkpoint as it is now: current when taken, it may no longer be.
    private static func reread(_ snapshot: Snapshot?, in dataset: Dataset) throws -> Snapshot? {
        try snapshot.map { try SnapshotCatalog(dataset: dataset).snapshot($0.id) }
    }

    /// `./tag.sh --model 'v2 large'`: the words joined by spaces, each quoted for a POSIX shell
    /// when it holds anything a shell would read, so the line can be copied back into one.
    public static func commandLine(_ words: [String]) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@")
        return words.map { word in
            if !word.isEmpty && word.allSatisfy(plain.contains) { return word }
            return "'" + word.replacing("'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

import DsnapCore

/// `dsnap run -- COMMAND [ARG...]`: runs an enrichment (a tagger, a captioner, any script that
/// rewrites the dataset) under the dataset's lock, with a checkpoint before it, a restore when it
/// fails and a snapshot after it when asked. dsnap exits with COMMAND's status.
///
/// dsnap's own lines go to stderr, each starting `dsnap: ` since COMMAND writes to the same
/// terminal; stdout is COMMAND's, then, with `--json`, dsnap's object.
enum RunCommand {
    static let spec = CommandSpec(
        name: "run",
        summary: "Run a command over the dataset under its lock, with a checkpoint before and a snapshot after",
        operands: [],
        trailing: OperandSpec("COMMAND [ARG...]", help: "the program to run in the dataset's folder, and its arguments"),
        trailingRequired: true,
        options: [
            OptionSpec("checkpoint", help: "take a snapshot 'before: COMMAND...' first; COMMAND gets its id as DSNAP_CHECKPOINT"),
            OptionSpec("name", value: "NAME", help: "the checkpoint's name (default: DATASET_snapshot_ID8)"),
            OptionSpec("on-failure", value: "keep|restore",
                       help: "when COMMAND fails: keep its changes (default), or restore the checkpoint, autosaving them"),
            OptionSpec("commit", help: "take a snapshot 'after: COMMAND...' when COMMAND succeeds"),
            OptionSpec("training-model-id", value: "ID", help: "the training model the after snapshot is for"),
            OptionSpec("training-model-name", value: "NAME", help: "that model's display name"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let request = try request(arguments)
        let dataset = try invocation.openDataset()
        let console = invocation.console
        let quiet = invocation.quiet || arguments.flag("json")
        let result = try RunCommandUnderLock.perform(
            request, in: dataset, writer: invocation.snapshotWriter, checkout: AtomicCheckout(),
            context: invocation.context, progress: { invocation.progressSink() },
            willStart: { checkpoint in
                // Said before COMMAND prints anything, so the id is on screen whatever it does.
                guard let checkpoint, !quiet else { return }
                console.err("dsnap: checkpoint \(console.paint(SnapshotText.shortID(checkpoint), .yellow)) "
                    + TerminalText.escape(checkpoint.record.description))
            })
        invocation.exitStatus = result.termination.shellStatus
        report(result, console: console, quiet: quiet)
        if arguments.flag("json") { console.out(JSONWriter.render(json(result), pretty: true)) }
    }

    /// The request, with the combinations that make no sense refused as usage errors.
    static func request(_ arguments: ParsedArguments) throws -> RunRequest {
        let onFailureText = arguments.value("on-failure") ?? RunRequest.OnFailure.keep.rawValue
        guard let onFailure = RunRequest.OnFailure(rawValue: onFailureText) else {
            throw UsageError(message: "option '--on-failure' takes 'keep' or 'restore', not '\(onFailureText)'",
                             command: "run")
        }
        let checkpoint = arguments.flag("checkpoint")
        if !checkpoint {
            if onFailure == .restore {
                throw UsageError(message: "--on-failure restore needs --checkpoint: without one there is nothing to restore",
                                 command: "run")
            }
            if arguments.value("name") != nil {
                throw UsageError(message: "--name names the checkpoint: it needs --checkpoint", command: "run")
            }
        }
        if !arguments.flag("commit") {
            for option in ["training-model-id", "training-model-name"] where arguments.value(option) != nil {
                throw UsageError(message: "--\(option) describes the snapshot taken after COMMAND: it needs --commit",
                                 command: "run")
            }
        }
        return RunRequest(command: arguments.trailingOperands, checkpoint: checkpoint, name: arguments.value("name"),
                          onFailure: onFailure, commitAfter: arguments.flag("commit"),
                          trainingModelID: arguments.value("training-model-id"),
                          trainingModelName: arguments.value("training-model-name"))
    }

    /// What happened after COMMAND ended. A failure and the autosave that holds COMMAND's
    /// changes are said even when quiet: they are how the user finds those changes again.
    static func report(_ result: RunResult, console: Console, quiet: Bool) {
        if let after = result.after {
            if !quiet {
                console.err("dsnap: committed \(console.paint(SnapshotText.shortID(after.snapshot), .yellow)) "
                    + TerminalText.escape(after.snapshot.record.description)
                    + (after.unchanged ? " (nothing changed: a named checkpoint of the same content)" : ""))
            }
            return
        }
        guard !result.termination.succeeded else { return }
        let how: String
        switch result.termination {
        case let .exited(status): how = "exit status \(status)"
        case let .signaled(signal): how = "killed by " + ChildTermination.signalName(signal)
        }
        // COMMAND is not repeated: it was just typed, and its own output may stand in between.
        console.err("dsnap: the command failed (\(how))")
        guard let checkpoint = result.checkpoint else { return }
        let checkpointID = checkpoint.id.short
        guard let restore = result.restore else {
            console.err("hint: its changes are kept; 'dsnap restore --discard \(checkpointID)' rolls them back "
                + "(saving them as an autosave first)")
            return
        }
        guard let autosave = restore.autosave else {
            console.err("dsnap: restored checkpoint \(checkpointID); the command had changed nothing")
            return
        }
        console.err("dsnap: restored checkpoint \(checkpointID); what the command changed is saved as "
            + "autosave snapshot \(autosave.id.short)")
        console.err("hint: 'dsnap diff \(checkpointID) \(autosave.id.short)' shows those changes; "
            + "'dsnap restore \(autosave.id.short)' brings them back")
    }

    /// One object, its `snapshot` the last one the run took or restored (see dsnap-run(1)).
    static func json(_ result: RunResult) -> JSONValue {
        let latest = result.after?.snapshot ?? result.restore?.target ?? result.checkpoint
        let signal: JSONValue
        if case let .signaled(number) = result.termination {
            signal = .string(ChildTermination.signalName(number))
        } else {
            signal = .null
        }
        return .object([
            ("snapshot", latest.map(SnapshotJSON.object) ?? .null),
            ("command", .string(result.commandLine)),
            ("exit_status", .integer(result.termination.shellStatus)),
            ("signal", signal),
            ("succeeded", .bool(result.termination.succeeded)),
            ("checkpoint", result.checkpoint.map(SnapshotJSON.object) ?? .null),
            ("restored", .bool(result.restore != nil)),
            ("autosave", result.restore?.autosave.map(SnapshotJSON.object) ?? .null),
            ("after", result.after.map { SnapshotJSON.object($0.snapshot) } ?? .null),
            ("task_id", .string(result.taskID)),
        ])
    }
}

import DsnapCore

/// `dsnap restore SNAP|current`: makes the work tree the snapshot's and the snapshot current;
/// never loses data (changes are refused, or autosaved first with --discard).
/// `dsnap restore SNAP -- PATH...`: only those files and folders, the current snapshot unmoved.
enum RestoreCommand {
    static let spec = CommandSpec(
        name: "restore",
        summary: "Make the dataset byte-identical to a snapshot, and that snapshot current",
        operands: [OperandSpec("SNAP", optional: true,
                               help: "the snapshot to restore; 'current' discards uncommitted changes (autosaved first)")],
        trailing: OperandSpec("PATH", help: "restore only these files or folders (from here); the current snapshot does not move"),
        options: [
            OptionSpec("discard", help: "restore even with uncommitted changes, after saving them as an autosave snapshot"),
            OptionSpec("continue", help: "finish a restore that was interrupted"),
            OptionSpec("sync", help: "return only once the files written are on disk, not while they are being flushed"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let target: RestoreSnapshot.Target
        switch (arguments.operand(0), arguments.flag("continue")) {
        case (nil, true): target = .continueInterrupted
        case let (reference?, false): target = .snapshot(reference)
        case (nil, false): throw UsageError(message: "missing operand SNAP (or --continue)", command: "restore")
        case (_?, true): throw UsageError(message: "give SNAP or --continue, not both", command: "restore")
        }
        if arguments.sawOptionsEnd {
            guard case let .snapshot(reference) = target else {
                throw UsageError(message: "--continue takes no PATH: it finishes a whole restore", command: "restore")
            }
            guard !arguments.trailingOperands.isEmpty else {
                throw UsageError(message: "missing PATH after '--'", command: "restore",
                                 suggestions: ["to restore the whole dataset, leave out '--'"])
            }
            try restorePaths(reference, arguments, invocation)
            return
        }
        let dataset = try invocation.openDataset()
        let result = try RestoreSnapshot.perform(target, discard: arguments.flag("discard"), in: dataset,
                                                 writer: invocation.snapshotWriter, checkout: AtomicCheckout(),
                                                 context: invocation.context, progress: invocation.progressSink())
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(.object([("snapshot", SnapshotJSON.object(result.target)),
                                                   RestoreReport.autosaveJSON(result.autosave),
                                                   ("continued", .bool(result.continued))]
                + RestoreReport.filesJSON(result.stats)), pretty: true))
            return
        }
        RestoreReport.announce(autosave: result.autosave, console: console)
        guard !invocation.quiet else { return }
        let stats = result.stats
        console.out("restored \(console.paint(SnapshotText.shortID(result.target), .yellow)) "
            + TerminalText.escape(result.target.record.name) + (result.continued ? " (finished an interrupted restore)" : ""))
        console.out("  \(SnapshotText.plural(stats.filesWritten, "file")) written, \(stats.filesRemoved) removed; now current")
    }

    /// `restore SNAP -- PATH...`: the paths as the user gave them (from the working folder).
    private static func restorePaths(_ reference: String, _ arguments: ParsedArguments,
                                     _ invocation: Invocation) throws {
        let dataset = try invocation.openDataset()
        var paths: [String] = []
        for typed in arguments.trailingOperands {
            let path = try invocation.datasetPath(typed, in: dataset, command: "restore")
            if !paths.contains(path) { paths.append(path) }
        }
        let result = try RestoreSnapshot.performPartial(
            reference, paths: paths, discard: arguments.flag("discard"), in: dataset,
            writer: invocation.snapshotWriter, checkout: AtomicCheckout(), context: invocation.context,
            progress: invocation.progressSink())
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(.object([("snapshot", SnapshotJSON.object(result.source)),
                                                   ("paths", .array(result.paths.map { .string(QuotedPath.json($0)) })),
                                                   RestoreReport.autosaveJSON(result.autosave)]
                + RestoreReport.filesJSON(result.stats)), pretty: true))
            return
        }
        RestoreReport.announce(autosave: result.autosave, console: console)
        guard !invocation.quiet else { return }
        let display = DisplayPath(root: dataset.root, workingDirectory: invocation.workingDirectory)
        let what = result.paths.count == 1
            ? QuotedPath.text(result.paths[0].isEmpty ? "." : display(result.paths[0]))
            : "\(result.paths.count) paths"
        let stats = result.stats
        console.out("restored \(what) from \(console.paint(SnapshotText.shortID(result.source), .yellow)) "
            + TerminalText.escape(result.source.record.name))
        // From the current snapshot, changes were undone; from another, they were made.
        console.out("  \(SnapshotText.plural(stats.filesWritten, "file")) written, \(stats.filesRemoved) removed; "
            + (result.source.isCurrent ? "as in the current snapshot again"
                : "not committed: 'dsnap status' lists the changes"))
    }
}

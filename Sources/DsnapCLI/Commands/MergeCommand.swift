import DsnapCore
import FoundationEssentials

/// `dsnap merge SNAP|PATH:SNAP`: combines another snapshot into the work tree three-way, JSON
/// sidecars field by field, and takes a snapshot with two parents; conflicts wait for
/// `--resolve`, then `--continue` (or `--abort`).
enum MergeCommand {
    static let spec = CommandSpec(
        name: "merge",
        summary: "Combine another snapshot (a fetched one, or a clone's) into this one, JSON sidecars field by field",
        operands: [OperandSpec("SNAP", optional: true, completion: .snapshot,
                               help: "the snapshot to merge; PATH:SNAP names a snapshot of the dataset at PATH (a clone)")],
        trailing: OperandSpec("PATH", help: "with --resolve: the conflicts to settle, as PATH or PATH#POINTER (default: all)"),
        options: [
            OptionSpec("array-key", value: "KEY", help: "match array elements that are objects by their member KEY (e.g. id)"),
            OptionSpec("prefer", value: "ours|theirs", help: "settle every conflict for that side up front"),
            OptionSpec("discard", help: "merge even with uncommitted changes, after saving them as an autosave snapshot"),
            OptionSpec("dry-run", help: "show what the merge would do, and change nothing"),
            OptionSpec("resolve", value: "ours|theirs", help: "settle conflicts (all, or those after --) for that side"),
            OptionSpec("continue", help: "take the merge snapshot once no conflict is open, or finish an interrupted merge"),
            OptionSpec("abort", help: "give up the merge: the work tree as it was before, byte for byte"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let actions = ["resolve", "continue", "abort"].filter { arguments.flag($0) || arguments.value($0) != nil }
        if actions.count > 1 {
            throw UsageError(message: "options '--\(actions[0])' and '--\(actions[1])' cannot be used together", command: "merge")
        }
        let startOptions = ["array-key", "prefer", "discard", "dry-run"].filter { arguments.flag($0) || arguments.value($0) != nil }
        if let action = actions.first {
            if arguments.operand(0) != nil {
                throw UsageError(message: "give SNAP or '--\(action)', not both", command: "merge")
            }
            if let option = startOptions.first {
                throw UsageError(message: "option '--\(option)' only goes with SNAP, not with '--\(action)'", command: "merge")
            }
        }
        if arguments.sawOptionsEnd && actions.first != "resolve" {
            throw UsageError(message: "PATH operands go only with '--resolve'", command: "merge")
        }
        // Outside a dataset, that is the error, whatever else is missing.
        let dataset = try invocation.openDataset()
        if actions.isEmpty && arguments.operand(0) == nil {
            throw UsageError(message: "missing operand SNAP (or --resolve, --continue, --abort)", command: "merge")
        }
        switch actions.first {
        case "resolve": try resolve(arguments, dataset, invocation)
        case "continue": try continueMerge(arguments, dataset, invocation)
        case "abort": try abort(arguments, dataset, invocation)
        default: try start(arguments, dataset, invocation)
        }
    }

    private static func side(_ arguments: ParsedArguments, _ option: String) throws -> MergeSide? {
        guard let text = arguments.value(option) else { return nil }
        guard let side = MergeSide(rawValue: text) else {
            throw UsageError(message: "option '--\(option)' takes 'ours' or 'theirs', not '\(text)'", command: "merge")
        }
        return side
    }

    private static func start(_ arguments: ParsedArguments, _ dataset: Dataset, _ invocation: Invocation) throws {
        if let key = arguments.value("array-key"), key.isEmpty {
            throw UsageError(message: "option '--array-key' needs a member name", command: "merge")
        }
        let options = MergeOptions(arrayKey: arguments.value("array-key"), prefer: try side(arguments, "prefer"))
        var reference = arguments.operand(0)!
        var other: Dataset?
        // PATH:SNAP, as `dsnap diff A PATH:SNAP` reads it: a dataset folder before the colon.
        if let colon = reference.firstIndex(of: ":") {
            let path = invocation.absolutePath(String(reference[..<colon]))
            if FileManager.default.fileExists(atPath: path + "/" + Dataset.gitDirName + "/HEAD") {
                other = try Dataset.open(root: URL(fileURLWithPath: path).standardizedFileURL.path)
                reference = String(reference[reference.index(after: colon)...])
            }
        }
        let result = try MergeSnapshot.perform(reference, from: other, options: options, discard: arguments.flag("discard"),
                                               dryRun: arguments.flag("dry-run"), in: dataset, checkout: AtomicCheckout(),
                                               writer: invocation.snapshotWriter, context: invocation.context,
                                               progress: invocation.progressSink())
        let console = invocation.console
        let paths = DisplayPath(root: dataset.root, workingDirectory: invocation.workingDirectory)
        if arguments.flag("json") {
            console.out(JSONWriter.render(MergeReport.json(result), pretty: true))
        } else {
            RestoreReport.announce(autosave: result.autosave, console: console)
            MergeReport.text(result, console: console, paths: paths, quiet: invocation.quiet).forEach(console.out)
        }
        if !result.dryRun && !result.unresolved.isEmpty {
            throw MergeStopped(conflicts: result.unresolved)
        }
    }

    private static func resolve(_ arguments: ParsedArguments, _ dataset: Dataset, _ invocation: Invocation) throws {
        let side = try side(arguments, "resolve")!
        var selectors: [(path: String, pointer: String?)] = []
        for typed in arguments.trailingOperands {
            // PATH#POINTER: the first '#' that a pointer ('/...', or nothing: the whole document) follows.
            var path = typed
            var pointer: String?
            if let mark = typed.indices.first(where: { index in
                typed[index] == "#" && (typed.index(after: index) == typed.endIndex || typed[typed.index(after: index)] == "/")
            }) {
                path = String(typed[..<mark])
                pointer = String(typed[typed.index(after: mark)...])
            }
            selectors.append((try invocation.datasetPath(path, in: dataset, command: "merge"), pointer))
        }
        let result = try MergeSnapshot.resolve(side, selectors: selectors, in: dataset, checkout: AtomicCheckout(),
                                               context: invocation.context, progress: invocation.progressSink())
        let console = invocation.console
        let open = result.state.unresolved
        if arguments.flag("json") {
            console.out(JSONWriter.render(.object([
                ("resolution", .string(side.rawValue)),
                ("resolved", .array(result.resolved.map(\.json))),
                ("open", .integer(open.count)),
            ] + RestoreReport.filesJSON(result.stats)), pretty: true))
            return
        }
        guard !invocation.quiet else { return }
        let paths = DisplayPath(root: dataset.root, workingDirectory: invocation.workingDirectory)
        for conflict in result.resolved {
            console.out("resolved \(MergeReport.selector(conflict, paths: paths)) as \(side.rawValue)")
        }
        console.out(open.isEmpty ? "no conflict left: run 'dsnap merge --continue' to take the merge snapshot"
                    : "\(SnapshotText.plural(open.count, "conflict")) left ('dsnap status' lists them)")
    }

    private static func continueMerge(_ arguments: ParsedArguments, _ dataset: Dataset, _ invocation: Invocation) throws {
        let (state, merged, stats) = try MergeSnapshot.continueMerge(in: dataset, checkout: AtomicCheckout(),
                                                                    writer: invocation.snapshotWriter,
                                                                    context: invocation.context,
                                                                    progress: invocation.progressSink())
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(SnapshotJSON.result(merged, [
                ("merged_snapshot_id", .string(state.theirs.hex)),
            ] + RestoreReport.filesJSON(stats)), pretty: true))
            return
        }
        guard !invocation.quiet else { return }
        console.out("merged \(state.theirs.short) " + TerminalText.escape(state.theirsName) + ": snapshot "
            + console.paint(SnapshotText.shortID(merged), .yellow) + " (2 parents), now current")
    }

    private static func abort(_ arguments: ParsedArguments, _ dataset: Dataset, _ invocation: Invocation) throws {
        let result = try MergeSnapshot.abort(in: dataset, checkout: AtomicCheckout(), writer: invocation.snapshotWriter,
                                             context: invocation.context, progress: invocation.progressSink())
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(.object([("aborted_snapshot_id", result.theirs.map { .string($0.hex) } ?? .null),
                                                   RestoreReport.autosaveJSON(result.autosave)]
                + RestoreReport.filesJSON(result.stats)), pretty: true))
            return
        }
        RestoreReport.announce(autosave: result.autosave, console: console)
        guard !invocation.quiet else { return }
        console.out("merge" + (result.theirs.map { " of \($0.short)" } ?? "") + " aborted: \(SnapshotText.plural(result.stats.filesWritten, "file")) "
            + "written, \(result.stats.filesRemoved) removed; the work tree is as it was before the merge")
    }
}

/// A merge that stopped with conflicts: its report is printed, and it exits 4 with what to do.
struct MergeStopped: DsnapError {
    let conflicts: [MergeConflict]

    var kind: ErrorKind { .conflict }
    var message: String {
        let files = Set(conflicts.map(\.path)).count
        return "merge stopped with \(SnapshotText.plural(conflicts.count, "conflict")) in \(SnapshotText.plural(files, "file"))"
    }
    var hint: String? {
        "the files hold our side's values; 'dsnap status' lists the conflicts\n"
            + "settle them with 'dsnap merge --resolve ours|theirs [-- PATH[#POINTER]...]' (or edit the files), "
            + "then run 'dsnap merge --continue', or 'dsnap merge --abort' to go back"
    }
}

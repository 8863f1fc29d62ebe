import DsnapCore

/// `dsnap log`: lists snapshots, newest first (the API's "list snapshots"), narrowed by filters;
/// with `-- PATH...`, only those that changed the paths, and how; with `--field POINTER -- FILE`,
/// the history of one JSON field of one file (the audit trail down to one value).
enum LogCommand {
    static let spec = CommandSpec(
        name: "log",
        summary: "List snapshots, newest first",
        operands: [],
        trailing: OperandSpec("PATH", help: "only snapshots that changed these files or folders (with --field: the one FILE)"),
        options: [
            OptionSpec("max-count", short: "n", value: "N", help: "show at most N snapshots (counted after the filters)"),
            OptionSpec("deleted", help: "list deleted snapshots instead of live ones"),
            OptionSpec("all", help: "include autosave snapshots (changes a restore saved before discarding them)"),
            OptionSpec("remote", value: "NAME", help: "only the snapshots remote NAME holds (as its last fetch or push saw)"),
            OptionSpec("reason", value: "REASON", completion: .choices(SnapshotReason.allCases.map(\.rawValue)), help: "only snapshots taken for REASON: creation, manual, clone, merge or autosave (several: comma-separated)"),
            OptionSpec("since", value: "DATE", help: "only snapshots created at or after DATE (2026-03-01, 2026-03-01T10:00, 2.weeks.ago, yesterday)"),
            OptionSpec("until", value: "DATE", help: "only snapshots created at or before DATE (a date alone includes that whole day)"),
            OptionSpec("author", value: "EMAIL", help: "only snapshots whose created_by contains EMAIL, in any case"),
            OptionSpec("grep", value: "TEXT", help: "only snapshots whose name or description contains TEXT, in any case"),
            OptionSpec("model", value: "ID", help: "only snapshots whose training_model_id is ID"),
            OptionSpec("field", value: "POINTER", help: "the history of the JSON field at POINTER (e.g. /label) in the FILE after --"),
            OptionSpec("array-key", value: "KEY", help: "with --field: match array elements that are objects by their member KEY (e.g. id)"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let limit = try arguments.integer("max-count", minimum: 0, command: "log")
        if arguments.flag("deleted") && arguments.flag("all") {
            throw UsageError(message: "options '--deleted' and '--all' cannot be used together", command: "log")
        }
        let filter = try self.filter(arguments, now: invocation.context.now())
        let pointer = try fieldPointer(arguments)
        let dataset = try invocation.openDataset()
        let visibility: SnapshotVisibility = arguments.flag("deleted") ? .deleted
            : arguments.flag("all") ? .liveWithAutosaves : .live
        let only = try arguments.value("remote").map { try RemoteRegistry.snapshotsHeld(by: $0, in: dataset) }
        let selection = HistorySelection(visibility: visibility, filter: filter, only: only, limit: limit)
        var paths = try arguments.trailingOperands.map {
            try DatasetPathOperand.relative($0, dataset: dataset, invocation: invocation, command: "log")
        }
        let console = invocation.console
        let json = arguments.flag("json")
        let display = DisplayPath(root: dataset.root, workingDirectory: invocation.workingDirectory)

        if let pointer {
            guard paths.count == 1, let file = paths.first, !file.isEmpty else {
                throw UsageError(message: paths.count == 1 ? "option '--field' needs a file after '--', not the dataset folder"
                                 : "option '--field' needs exactly one FILE after '--' (given \(paths.count))",
                                 command: "log")
            }
            let history = try FieldHistory.run(in: dataset, file: file, pointer: pointer,
                                               arrayKey: arguments.value("array-key"), selection: selection)
            for warning in history.warnings { console.warning(warning) }
            if json {
                console.out(JSONWriter.render(.array(history.changes.map { HistoryRendering.json($0, pointer: pointer) }),
                                              pretty: true))
            } else {
                for change in history.changes {
                    HistoryRendering.text(change, pointer: pointer, console: console, paths: display).forEach(console.out)
                }
            }
            return
        }

        if !arguments.trailingOperands.isEmpty {
            // The dataset's own folder among the paths (`-- .` at its root) means everything.
            if paths.contains("") { paths = [] }
            let entries = try PathHistory.run(in: dataset, paths: paths, selection: selection)
            if json {
                console.out(JSONWriter.render(.array(entries.map(HistoryRendering.json)), pretty: true))
            } else {
                for entry in entries {
                    HistoryRendering.text(entry, console: console, paths: display).forEach(console.out)
                }
            }
            return
        }

        var snapshots = try SnapshotCatalog(dataset: dataset).snapshots(selection.listing).filter(selection.admits)
        if let limit { snapshots = Array(snapshots.prefix(limit)) }
        if json {
            console.out(JSONWriter.render(.array(snapshots.map(SnapshotJSON.object)), pretty: true))
            return
        }
        for snapshot in snapshots { console.out(SnapshotText.line(snapshot, console: console)) }
    }

    /// The filters, checked before the dataset is opened: a typo is a usage error wherever it runs.
    private static func filter(_ arguments: ParsedArguments, now: Timestamp) throws -> SnapshotFilter {
        var filter = SnapshotFilter(author: arguments.value("author"), grep: arguments.value("grep"),
                                    modelID: arguments.value("model"))
        if let text = arguments.value("reason") {
            var reasons = Set<SnapshotReason>()
            for word in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let reason = SnapshotReason(rawValue: String(word)) else {
                    let known = SnapshotReason.allCases.map(\.rawValue)
                    throw UsageError(message: "option '--reason' takes \(known.dropLast().joined(separator: ", ")) or "
                                     + "\(known.last!), not '\(word)'", command: "log")
                }
                reasons.insert(reason)
            }
            filter.reasons = reasons
        }
        filter.since = try date(arguments, "since", now: now, edge: .start)
        filter.until = try date(arguments, "until", now: now, edge: .end)
        return filter
    }

    private static func date(_ arguments: ParsedArguments, _ option: String, now: Timestamp,
                             edge: RelativeDate.DayEdge) throws -> Timestamp? {
        guard let text = arguments.value(option) else { return nil }
        guard let date = RelativeDate.parse(text, now: now, dayEdge: edge) else {
            throw UsageError(message: "option '--\(option)' takes a date such as 2026-03-01, 2026-03-01T10:00, "
                             + "2.weeks.ago, '3 days ago' or yesterday, not '\(text)'", command: "log")
        }
        return date
    }

    /// `--field`'s pointer, checked as RFC 6901 asks (`~` only in `~0` and `~1`); and `--array-key`
    /// only with it.
    private static func fieldPointer(_ arguments: ParsedArguments) throws -> String? {
        let key = arguments.value("array-key")
        if let key, key.isEmpty {
            throw UsageError(message: "option '--array-key' needs a member name", command: "log")
        }
        guard let pointer = arguments.value("field") else {
            if key != nil { throw UsageError(message: "option '--array-key' needs '--field'", command: "log") }
            return nil
        }
        guard JSONPointer.tokens(pointer) != nil else {
            throw UsageError(message: "'\(pointer)' is not a JSON Pointer: it must start with '/' (e.g. /label)",
                             command: "log")
        }
        var characters = pointer.makeIterator()
        while let character = characters.next() {
            guard character == "~" else { continue }
            guard let next = characters.next(), next == "0" || next == "1" else {
                throw UsageError(message: "'\(pointer)' is not a JSON Pointer: '~' must be followed by 0 or 1 "
                                 + "(~0 is '~', ~1 is '/')", command: "log")
            }
        }
        return pointer
    }
}

import DsnapCore

/// `dsnap status`: the dataset's name, state, current snapshot and changes since it.
enum StatusCommand {
    static let spec = CommandSpec(
        name: "status",
        summary: "Show the dataset's state and the changes since the current snapshot",
        operands: [],
        options: [.json],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let dataset = try invocation.openDataset()
        let status = try ReadStatus.run(in: dataset)
        if arguments.flag("json") {
            invocation.console.out(JSONWriter.render(json(status), pretty: true))
        } else {
            text(status, console: invocation.console,
                 paths: DisplayPath(root: dataset.root, workingDirectory: invocation.workingDirectory))
        }
    }

    static func counts(_ changes: [WorkTreeChange]) -> [FileDiffStatus: [FileClass: Int]] {
        var counts: [FileDiffStatus: [FileClass: Int]] = [:]
        for change in changes { counts[change.kind, default: [:]][change.fileClass, default: 0] += 1 }
        return counts
    }

    static func json(_ status: DatasetStatus) -> JSONValue {
        var state: [(key: String, value: JSONValue)] = [("name", .string(status.state.name))]
        switch status.state {
        case .ready: break
        case let .readOnly(target): state.append(("restoring_snapshot_id", .string(target.hex)))
        case let .busy(command): state.append(("command", .string(command)))
        case let .error(problem, fix): state += [("problem", .string(problem)), ("fix", .string(fix))]
        }
        return .object([
            ("dataset_name", .string(status.datasetName)),
            ("dataset_id", status.datasetID.map(JSONValue.string) ?? .null),
            ("path", .string(status.root)),
            ("state", .string(status.state.name)),
            ("state_detail", .object(state)),
            ("running", status.running.map { holder in
                .object([("command", .string(holder.command)), ("pid", .integer(holder.pid)),
                         ("since", .string(holder.since.iso8601))])
            } ?? .null),
            ("snapshot", status.current.map(SnapshotJSON.object) ?? .null),
            ("clean", .bool(status.changes.isEmpty)),
            ("summary", .object(ChangeJSON.summary(counts(status.changes), files: status.changes.count))),
            ("files", .array(status.changes.map { change in
                .object(ChangeJSON.file(path: change.path, status: change.kind, fileClass: change.fileClass))
            })),
            ("merge", MergeReport.statusJSON(status.merge)),
        ])
    }

    static func text(_ status: DatasetStatus, console: Console, paths: DisplayPath) {
        console.out("Dataset:  " + TerminalText.escape(status.datasetName))
        if let id = status.datasetID { console.out("ID:       " + id) }
        var stateLine = "State:    " + status.state.name
        if case let .readOnly(target) = status.state { stateLine += " (restoring \(target.short))" }
        if case let .busy(command) = status.state { stateLine += " (running " + TerminalText.escape(command) + ")" }
        console.out(stateLine)
        if case let .error(problem, fix) = status.state {
            console.out("          " + problem)
            console.out("          " + fix)
        }
        if let running = status.running {
            console.out("Running:  \(TerminalText.escape(running.command)) (pid \(running.pid), since \(running.since.iso8601))")
        }
        if let current = status.current {
            console.out("Current:  \(console.paint(SnapshotText.shortID(current), .yellow))  "
                + TerminalText.escape(current.record.name))
        } else {
            console.out("Current:  none (run 'dsnap commit' to take a snapshot)")
        }
        if let merge = status.merge { MergeReport.statusText(merge, console: console, paths: paths).forEach(console.out) }
        guard !status.changes.isEmpty else {
            console.out("No changes since the current snapshot.")
            return
        }
        // Counted by class, in diff's words: `(1 image, 2 json)`.
        let byClass = FileClass.allCases.map { fileClass in
            (fileClass, status.changes.filter { $0.fileClass == fileClass }.count)
        }.filter { $0.1 > 0 }.map { "\($0.1) \($0.0.rawValue)" }
        console.out("Changes since the current snapshot (\(byClass.joined(separator: ", "))):")
        for change in status.changes {
            let label = (change.kind == .typeChanged ? "typechange" : change.kind.rawValue) + ":"
            let style: Style = change.kind == .added ? .green : change.kind == .removed ? .red : .yellow
            console.out("  " + console.paint(label.padded(toLength: 11), style)
                + QuotedPath.text(paths(change.path)) + "  (" + change.fileClass.rawValue + ")")
        }
    }
}

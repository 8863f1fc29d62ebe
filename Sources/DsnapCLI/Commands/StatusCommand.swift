import DsnapCore

/// `dsnap status`: the dataset's name, state, current snapshot and changes since it.
enum StatusCommand {
    static let spec = CommandSpec(
        name: "status",
        summary: "Show the dataset's state and the changes since the current snapshot",
        operands: [],
        options: [.json],
        run: run)

    /// How status groups files: media (images and videos), JSON sidecars, everything else.
    static func group(_ fileClass: FileClass) -> String {
        switch fileClass {
        case .image, .video: return "media"
        case .json: return "sidecar"
        case .other: return "other"
        }
    }

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let dataset = try invocation.openDataset()
        let status = try ReadStatus.run(in: dataset)
        if arguments.flag("json") {
            invocation.console.out(JSONWriter.render(json(status), pretty: true))
        } else {
            text(status, console: invocation.console)
        }
    }

    static func json(_ status: DatasetStatus) -> JSONValue {
        var summary: [(key: String, value: JSONValue)] = []
        for kind in [WorkTreeChange.Kind.added, .modified, .deleted, .typeChanged] {
            let matching = status.changes.filter { $0.kind == kind }
            summary.append((kind.rawValue, .object(["media", "sidecar", "other"].map { group in
                (group, .integer(matching.filter { Self.group($0.fileClass) == group }.count))
            })))
        }
        var state: [(key: String, value: JSONValue)] = [("name", .string(status.state.name))]
        switch status.state {
        case .ready: break
        case let .readOnly(target): state.append(("restoring", .string(target.hex)))
        case let .error(problem, fix): state += [("problem", .string(problem)), ("fix", .string(fix))]
        }
        return .object([
            ("dataset_name", .string(status.datasetName)),
            ("path", .string(status.root)),
            ("state", .string(status.state.name)),
            ("state_detail", .object(state)),
            ("running", status.running.map { holder in
                .object([("command", .string(holder.command)), ("pid", .integer(holder.pid)),
                         ("since", .string(holder.since.iso8601))])
            } ?? .null),
            ("current_snapshot", status.current.map(SnapshotJSON.object) ?? .null),
            ("clean", .bool(status.changes.isEmpty)),
            ("summary", .object(summary)),
            ("changes", .array(status.changes.map { change in
                .object([("path", .string(change.path)), ("change", .string(change.kind.rawValue)),
                         ("class", .string(change.fileClass.rawValue)),
                         ("group", .string(Self.group(change.fileClass)))])
            })),
        ])
    }

    static func text(_ status: DatasetStatus, console: Console) {
        console.out("Dataset:  " + TerminalText.escape(status.datasetName))
        var stateLine = "State:    " + status.state.name
        if case let .readOnly(target) = status.state { stateLine += " (restoring \(target.hex.prefix(12)))" }
        console.out(stateLine)
        if case let .error(problem, fix) = status.state {
            console.out("          " + problem)
            console.out("          " + fix)
        }
        if let running = status.running {
            console.out("Running:  \(running.command) (pid \(running.pid), since \(running.since.iso8601))")
        }
        if let current = status.current {
            console.out("Current:  \(console.paint(SnapshotText.shortID(current), .yellow))  "
                + TerminalText.escape(current.record.name))
        } else {
            console.out("Current:  none (run 'dsnap commit' to take a snapshot)")
        }
        guard !status.changes.isEmpty else {
            console.out("No changes since the current snapshot.")
            return
        }
        let counts = ["media", "sidecar", "other"].map { group in
            (group, status.changes.filter { Self.group($0.fileClass) == group }.count)
        }.filter { $0.1 > 0 }.map { "\($0.1) \($0.0 == "media" ? "media" : $0.0 + ($0.1 == 1 ? "" : "s"))" }
        console.out("Changes since the current snapshot (\(counts.joined(separator: ", "))):")
        for change in status.changes {
            let label = (change.kind == .typeChanged ? "typechange" : change.kind.rawValue) + ":"
            let style: Style = change.kind == .added ? .green : change.kind == .deleted ? .red : .yellow
            console.out("  " + console.paint(label.padded(toLength: 11), style)
                + TerminalText.escape(change.path) + "  (" + Self.group(change.fileClass) + ")")
        }
    }
}

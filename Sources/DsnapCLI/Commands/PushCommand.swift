import DsnapCore

/// `dsnap push [NAME] [SNAP...]`: this dataset's catalog (or the chosen snapshots) to a remote,
/// after merging the remote's into it.
enum PushCommand {
    static let spec = CommandSpec(
        name: "push",
        summary: "Send this dataset's snapshots, records and tombstones to a remote",
        operands: [
            OperandSpec("NAME", optional: true, completion: .remote, help: "the remote (default: origin, or the only one)"),
            OperandSpec("SNAP", optional: true, repeats: true, help: "only these snapshots (default: all of them)"),
        ],
        options: [.allowUnrelated, .json],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let dataset = try invocation.openDataset()
        let name = try RemoteReports.remoteName(arguments.operand(0), in: dataset)
        let result = try PushCatalog.run(remote: name, snapshots: arguments.operands(from: 1), in: dataset,
                                         context: invocation.context, allowUnrelated: arguments.flag("allow-unrelated"),
                                         progress: invocation.progressSink())
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(.object([
                ("remote", .string(result.remote)), ("url", .string(result.url)),
                ("snapshots_sent", .array(result.snapshotsSent.map { .string($0.hex) })),
                ("records_sent", .bool(result.recordsSent)),
                ("tombstones_sent", .integer(result.tombstonesSent)),
                ("tombstones_removed", .integer(result.tombstonesRemoved)),
                ("retries", .integer(result.retries)),
                ("batches", .integer(result.batches)),
                ("current_refused", result.currentRefused.map(JSONValue.string) ?? .null),
                ("received", .object(RemoteReports.mergeJSON(result.received))),
            ]), pretty: true))
            return
        }
        RemoteReports.printMerge(result.received, from: name, console: console, quiet: true)
        if let reason = result.currentRefused {
            console.warning("'\(TerminalText.escape(name))' kept its current snapshot (refs/heads/main): "
                + TerminalText.escape(reason))
        }
        guard !invocation.quiet else { return }
        let sent = result.snapshotsSent.isEmpty && !result.recordsSent && result.tombstonesSent + result.tombstonesRemoved == 0
        if !result.received.snapshotsReceived.isEmpty || !result.received.recordsUpdated.isEmpty {
            RemoteReports.printMerge(result.received, from: name, console: console, quiet: false)
        }
        console.out("to '\(TerminalText.escape(name))': " + (sent ? "up to date" :
            "\(SnapshotText.plural(result.snapshotsSent.count, "snapshot")) sent"
            + (result.recordsSent ? ", records sent" : "")
            + (result.tombstonesSent > 0 ? ", \(result.tombstonesSent) deleted" : "")
            + (result.tombstonesRemoved > 0 ? ", \(result.tombstonesRemoved) undeleted" : "")
            + (result.retries > 0 ? " (after \(result.retries) concurrent push\(result.retries == 1 ? "" : "es"))" : "")))
    }
}

import DsnapCore

/// `dsnap delete SNAP`: hides a snapshot (soft delete; `undelete` brings it back).
enum DeleteCommand {
    static let spec = CommandSpec(
        name: "delete",
        summary: "Hide a snapshot from every listing (soft delete)",
        operands: [OperandSpec("SNAP", help: "the snapshot to delete; never the current one")],
        options: [.json],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let dataset = try invocation.openDataset()
        let snapshot = try EditSnapshot.delete(arguments.operand(0)!, in: dataset, context: invocation.context)
        report(snapshot, verb: "deleted", arguments: arguments, invocation: invocation)
        if !arguments.flag("json") && !invocation.quiet {
            invocation.console.err("hint: 'dsnap undelete \(SnapshotText.shortID(snapshot))' brings it back")
        }
    }

    static func report(_ snapshot: Snapshot, verb: String, arguments: ParsedArguments, invocation: Invocation) {
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(SnapshotJSON.result(snapshot), pretty: true))
        } else if !invocation.quiet {
            console.out("\(verb) snapshot \(console.paint(SnapshotText.shortID(snapshot), .yellow)): "
                + TerminalText.escape(snapshot.record.name))
        }
    }
}

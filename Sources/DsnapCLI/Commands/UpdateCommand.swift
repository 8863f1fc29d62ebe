import DsnapCore

/// `dsnap update SNAP`: renames or re-describes a snapshot; its id stays.
enum UpdateCommand {
    static let spec = CommandSpec(
        name: "update",
        summary: "Change a snapshot's name or description",
        operands: [OperandSpec("SNAP", help: "the snapshot to change")],
        options: [
            OptionSpec("name", short: "m", value: "NAME", help: "the new name"),
            OptionSpec("description", short: "d", value: "TEXT", help: "the new description"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let name = arguments.value("name")
        let description = arguments.value("description")
        guard name != nil || description != nil else {
            throw UsageError(message: "nothing to update: give --name, --description or both", command: "update")
        }
        let dataset = try invocation.openDataset()
        let snapshot = try EditSnapshot.update(arguments.operand(0)!, name: name, description: description,
                                               in: dataset, context: invocation.context)
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(SnapshotJSON.result(snapshot), pretty: true))
        } else if !invocation.quiet {
            console.out("updated snapshot \(console.paint(SnapshotText.shortID(snapshot), .yellow)): "
                + TerminalText.escape(snapshot.record.name))
        }
    }
}

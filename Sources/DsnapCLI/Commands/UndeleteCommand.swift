import DsnapCore

/// `dsnap undelete SNAP`: brings a deleted snapshot back.
enum UndeleteCommand {
    static let spec = CommandSpec(
        name: "undelete",
        summary: "Bring a deleted snapshot back",
        operands: [OperandSpec("SNAP", completion: .deletedSnapshot, help: "the deleted snapshot (see 'dsnap log --deleted')")],
        options: [.json],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let dataset = try invocation.openDataset()
        let snapshot = try EditSnapshot.undelete(arguments.operand(0)!, in: dataset, context: invocation.context)
        DeleteCommand.report(snapshot, verb: "undeleted", arguments: arguments, invocation: invocation)
    }
}

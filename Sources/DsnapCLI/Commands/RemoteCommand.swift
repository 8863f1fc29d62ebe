import DsnapCore

/// `dsnap remote [-v] [--json]`, `dsnap remote add NAME URL [--create]`, `dsnap remote remove NAME`:
/// the git servers a dataset shares its catalog with.
enum RemoteCommand {
    static let spec = CommandSpec(
        name: "remote",
        summary: "List, add or remove the remotes a dataset is shared through",
        operands: [
            OperandSpec("ACTION", optional: true, completion: .choices(["add", "remove"]),
                        help: "'add NAME URL' or 'remove NAME'; none lists the remotes"),
            OperandSpec("ARG", optional: true, repeats: true, help: "the action's NAME (and URL)"),
        ],
        options: [
            OptionSpec("verbose", short: "v", help: "list each remote's URL too"),
            OptionSpec("create", help: "with add: make a group-shared bare repository at the path first"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let dataset = try invocation.openDataset()
        let operands = arguments.operands(from: 0)
        let console = invocation.console
        switch operands.first {
        case nil:
            let remotes = try RemoteRegistry.list(in: dataset)
            if arguments.flag("json") {
                console.out(JSONWriter.render(.array(remotes.map { .object([("name", .string($0.name)), ("url", .string($0.url))]) }),
                                              pretty: true))
            } else {
                for remote in remotes {
                    console.out(arguments.flag("verbose") ? "\(TerminalText.escape(remote.name))\t\(TerminalText.escape(remote.url))"
                                                          : TerminalText.escape(remote.name))
                }
            }
        case "add"?:
            guard operands.count == 3 else {
                throw UsageError(message: "'remote add' takes NAME and URL", command: "remote")
            }
            let added = try RemoteRegistry.add(operands[1], url: operands[2], create: arguments.flag("create"),
                                               in: dataset, workingDirectory: invocation.workingDirectory)
            if arguments.flag("json") {
                console.out(JSONWriter.render(.object([("name", .string(added.name)), ("url", .string(added.url)),
                                                       ("created", .bool(arguments.flag("create")))]), pretty: true))
            } else if !invocation.quiet {
                console.out("added remote '\(TerminalText.escape(added.name))' at \(TerminalText.escape(added.url))"
                    + (arguments.flag("create") ? " (created)" : ""))
            }
        case "remove"?, "rm"?:
            guard operands.count == 2 else { throw UsageError(message: "'remote remove' takes NAME", command: "remote") }
            try RemoteRegistry.remove(operands[1], in: dataset)
            if arguments.flag("json") {
                console.out(JSONWriter.render(.object([("name", .string(operands[1])), ("removed", .bool(true))]), pretty: true))
            } else if !invocation.quiet {
                console.out("removed remote '\(TerminalText.escape(operands[1]))'")
            }
        case let other?:
            throw UsageError(message: "unknown action '\(TerminalText.escape(other))': expected 'add' or 'remove'",
                             command: "remote")
        }
    }
}

import DsnapCore

/// `dsnap help [COMMAND]`: the overview, or one command's help (the same text as `-h`).
enum HelpCommand {
    static let spec = CommandSpec(
        name: "help",
        summary: "Show help for dsnap or for one command",
        operands: [OperandSpec("COMMAND", optional: true, completion: .command, help: "the command to explain")],
        options: [],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        guard let name = arguments.operand(0) else {
            invocation.console.outRaw(HelpText.overview())
            return
        }
        guard let command = CommandTable.command(named: name) else { throw UnknownCommand.error(name) }
        invocation.console.outRaw(HelpText.help(for: command))
    }
}

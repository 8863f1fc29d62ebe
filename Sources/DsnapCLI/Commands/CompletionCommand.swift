import DsnapCore

/// `dsnap completion bash|zsh|fish`: prints a completion script for that shell, written from the
/// command declarations each time, so it always matches the dsnap that prints it.
enum CompletionCommand {
    static let shells = ["bash", "zsh", "fish"]

    static let spec = CommandSpec(
        name: "completion",
        summary: "Print a shell completion script for bash, zsh or fish",
        operands: [OperandSpec("SHELL", completion: .choices(shells), help: "bash, zsh or fish")],
        options: [],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let model = CompletionModel.fromDeclarations()
        switch arguments.operand(0) {
        case "bash"?: invocation.console.outRaw(BashCompletionScript.render(model))
        case "zsh"?: invocation.console.outRaw(ZshCompletionScript.render(model))
        case "fish"?: invocation.console.outRaw(FishCompletionScript.render(model))
        case let other:
            throw UsageError(message: "unknown shell '\(TerminalText.escape(other ?? ""))': expected bash, zsh or fish",
                             command: "completion")
        }
    }
}

/// The command line as the completion scripts see it, read from the same declarations as `-h`
/// (`CommandTable`, `OptionSpec`, `OperandSpec`), so a command or option added there completes
/// without anyone touching the scripts.
struct CompletionModel {
    /// One option, with every spelling it has.
    struct Option {
        let short: String?
        let long: String
        let help: String
        /// Takes a value, as the next word or after `=`.
        let takesValue: Bool
        /// Takes a value only after `=` (`--prune-deleted[=AGE]`).
        let valueIsOptional: Bool
        let value: CompletionKind
        /// The value's placeholder (`N`, `NAME`), for shells that show one.
        var placeholder = "VALUE"

        /// `-n`, `--max-count`; `-C` has no long form.
        var spellings: [String] { (short.map { ["-" + $0] } ?? []) + (long.isEmpty ? [] : ["--" + long]) }
    }

    /// One command: its options (its own and the ones every command takes) and operands.
    struct Command {
        let name: String
        let summary: String
        let options: [Option]
        let operands: [OperandSpec]
        /// The last operand repeats (`SNAP...`).
        let repeats: Bool
        /// What follows `--`, for commands that take operands there.
        let trailing: CompletionKind?
    }

    /// The options dsnap takes before the command. `UnknownOption.globalSpellings` lists the
    /// same spellings for its messages, and a test holds the two together.
    static let globalOptions = [
        Option(short: "C", long: "", help: "run as if dsnap was started in PATH", takesValue: true,
               valueIsOptional: false, value: .directory, placeholder: "PATH"),
        Option(short: "q", long: "quiet", help: "print only data and errors", takesValue: false,
               valueIsOptional: false, value: .none),
        Option(short: nil, long: "no-pager", help: "print log, show and diff straight to the terminal, without a pager",
               takesValue: false, valueIsOptional: false, value: .none),
        Option(short: nil, long: "version", help: "print dsnap's version", takesValue: false,
               valueIsOptional: false, value: .none),
        Option(short: "h", long: "help", help: "show this help", takesValue: false, valueIsOptional: false,
               value: .none),
    ]

    let commands: [Command]

    /// The commands users run, in `dsnap help`'s order; internal ones are never offered.
    static func fromDeclarations() -> CompletionModel {
        CompletionModel(commands: CommandTable.all.map { spec in
            Command(name: spec.name, summary: spec.summary,
                    options: (spec.options + DsnapCLI.commonOptions).map(option),
                    operands: spec.operands, repeats: spec.operands.last?.repeats ?? false,
                    trailing: spec.trailing.map(\.completion))
        })
    }

    private static func option(_ spec: OptionSpec) -> Option {
        Option(short: spec.short.map { String($0) }, long: spec.long, help: spec.help, takesValue: spec.value != nil,
               valueIsOptional: spec.valueIsOptional, value: spec.valueCompletion, placeholder: spec.value ?? "VALUE")
    }
}

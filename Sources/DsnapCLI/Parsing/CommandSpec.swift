/// A command-line option, declared as data: `-h` help and the man page SYNOPSIS both come from it.
struct OptionSpec: Sendable {
    let long: String
    let short: Character?
    /// The value's placeholder (`NAME`, `N`); nil for a flag.
    let value: String?
    let help: String
    /// The value may be left out (`--prune-deleted` or `--prune-deleted=30d`); given, it must
    /// be joined with `=`.
    let valueIsOptional: Bool
    /// What shell completion offers for the value; nil: what the placeholder implies
    /// (`CompletionKind.implied(by:)`), or the remotes for an option named `--remote`.
    let completion: CompletionKind?

    init(_ long: String, short: Character? = nil, value: String? = nil, valueIsOptional: Bool = false,
         completion: CompletionKind? = nil, help: String) {
        self.long = long
        self.short = short
        self.value = value
        self.valueIsOptional = valueIsOptional
        self.completion = completion
        self.help = help
    }

    /// What shell completion offers for the value (`.none` for a flag).
    var valueCompletion: CompletionKind {
        guard let value else { return .none }
        if let completion { return completion }
        return long == "remote" ? .remote : CompletionKind.implied(by: value)
    }

    /// `-m|--name NAME`, `--json`, `--prune-deleted[=AGE]`.
    var synopsis: String {
        var text = short.map { "-\($0)|--\(long)" } ?? "--\(long)"
        if let value { text += valueIsOptional ? "[=\(value)]" : " " + value }
        return text
    }

    static let json = OptionSpec("json", help: "print the result as JSON (see JSON OUTPUT in the man page)")
    /// fetch, push and pull: go ahead with a remote that holds another dataset.
    static let allowUnrelated = OptionSpec("allow-unrelated",
                                           help: "go ahead even if the remote holds another dataset (no snapshot in common)")
}

/// A positional operand.
struct OperandSpec: Sendable {
    let name: String
    let optional: Bool
    /// Any number of them (`SNAP...`); only the last operand may be.
    let repeats: Bool
    let help: String
    /// What shell completion offers; nil: what the name implies (`CompletionKind.implied(by:)`).
    private let declaredCompletion: CompletionKind?

    init(_ name: String, optional: Bool = false, repeats: Bool = false, completion: CompletionKind? = nil,
         help: String) {
        self.name = name
        self.optional = optional
        self.repeats = repeats
        self.declaredCompletion = completion
        self.help = help
    }

    var completion: CompletionKind { declaredCompletion ?? CompletionKind.implied(by: name) }

    var synopsis: String {
        let shown = repeats ? name + "..." : name
        return optional ? "[\(shown)]" : shown
    }
}

/// One subcommand: its declaration and the function that runs it.
struct CommandSpec: Sendable {
    let name: String
    let summary: String
    let operands: [OperandSpec]
    /// Operands given after `--`, any number (`dsnap diff A B -- PATH...`); nil when the command
    /// takes none, and then `--` only ends the options.
    var trailing: OperandSpec? = nil
    /// The trailing operands are required and are one command line (`dsnap run -- COMMAND
    /// [ARG...]`), not a list of like things: shown by their name alone, unbracketed.
    var trailingRequired = false
    private(set) var options: [OptionSpec]
    let run: @Sendable (ParsedArguments, Invocation) throws -> Void
    /// Its output goes through a pager on a terminal (`Pager`), as git's log, show and diff do.
    private(set) var pages = false

    /// The same command, paging its output and taking `--no-pager` (also a global option) to stop it.
    func paged() -> CommandSpec {
        var copy = self
        copy.pages = true
        copy.options.append(OptionSpec("no-pager", help: "print straight to the terminal, without a pager"))
        return copy
    }

    /// `-- PATH...`, or for a command line `-- COMMAND [ARG...]`.
    var trailingSynopsis: String {
        guard let trailing else { return "" }
        return "-- " + trailing.name + (trailingRequired ? "" : "...")
    }

    /// The usage line, identical to the man page's SYNOPSIS (a test holds them together).
    var usage: String {
        (["dsnap", name] + options.map { "[\($0.synopsis)]" } + operands.map(\.synopsis)
            + (trailing.map { _ in [trailingRequired ? trailingSynopsis : "[\(trailingSynopsis)]"] } ?? [])).joined(separator: " ")
    }
}

/// The options and operands given to one command, checked against its declaration.
struct ParsedArguments: Sendable {
    private(set) var values: [String: String] = [:]
    private(set) var flags: Set<String> = []
    private(set) var operands: [String] = []
    /// Operands after `--`, for commands that declare `trailing`.
    private(set) var trailingOperands: [String] = []
    /// `--` was given: `restore SNAP --` with no PATH after it is a mistake, not a whole restore.
    private(set) var sawOptionsEnd = false
    /// How each option given was spelled (`-n` or `--max-count`): messages name what was typed.
    private(set) var spellings: [String: String] = [:]

    func value(_ long: String) -> String? { values[long] }
    func flag(_ long: String) -> Bool { flags.contains(long) }
    func operand(_ position: Int) -> String? { position < operands.count ? operands[position] : nil }
    /// The operands from `position` on (a repeating last operand).
    func operands(from position: Int) -> [String] { Array(operands.dropFirst(position)) }

    /// The option as the user spelled it: `-n` or `--max-count`.
    func spelling(_ long: String) -> String { spellings[long] ?? "--" + long }

    /// An integer option's value, or a usage error naming the option as typed when it is not one.
    func integer(_ long: String, minimum: Int, command: String) throws -> Int? {
        guard let text = values[long] else { return nil }
        guard let number = Int(text), number >= minimum else {
            throw UsageError(message: "option '\(spelling(long))' takes a whole number of at least \(minimum), not '\(text)'",
                             command: command)
        }
        return number
    }

    /// Parses `arguments` for `command`: `--long value`, `--long=value`, `-s value`, `-svalue`,
    /// `--` ends options. An option's value is taken as given, even when it starts with `-`.
    /// `common` options (help, quiet) are accepted by every command without being in its usage.
    /// Operand counts are checked separately (`checkOperands`), so `-h` works with operands missing.
    static func parse(_ arguments: [String], for command: CommandSpec, common: [OptionSpec]) throws -> ParsedArguments {
        var parsed = ParsedArguments()
        var position = 0
        var optionsEnded = false
        let options = command.options + common
        func spec(long: String) -> OptionSpec? { options.first { $0.long == long } }
        func spec(short: Character) -> OptionSpec? { options.first { $0.short == short } }
        func unknown(_ text: String) -> UsageError {
            UnknownOption.error(text, command: command, options: options)
        }
        func takeValue(for option: OptionSpec, inline: String?, spelled: String) throws {
            parsed.spellings[option.long] = spelled
            if let inline {
                parsed.values[option.long] = inline
            } else {
                position += 1
                guard position < arguments.count else {
                    throw UsageError(message: "option '\(spelled)' needs a value (\(option.value ?? "VALUE"))",
                                     command: command.name)
                }
                parsed.values[option.long] = arguments[position]
            }
        }
        while position < arguments.count {
            let argument = arguments[position]
            if optionsEnded && command.trailing != nil {
                parsed.trailingOperands.append(argument)
            } else if optionsEnded || argument == "-" || !argument.hasPrefix("-") {
                parsed.operands.append(argument)
            } else if argument == "--" {
                optionsEnded = true
                parsed.sawOptionsEnd = true
            } else if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                let inline = body.contains("=") ? String(body.drop(while: { $0 != "=" }).dropFirst()) : nil
                guard let option = spec(long: name) else { throw unknown("--" + name) }
                if option.valueIsOptional && inline == nil {
                    // Given without `=VALUE`: the option is on, with its default.
                    parsed.flags.insert(option.long)
                    parsed.spellings[option.long] = "--" + name
                } else if option.value == nil {
                    guard inline == nil else {
                        throw UsageError(message: "option '--\(name)' takes no value", command: command.name)
                    }
                    parsed.flags.insert(option.long)
                    parsed.spellings[option.long] = "--" + name
                } else {
                    try takeValue(for: option, inline: inline, spelled: "--" + name)
                }
            } else {
                let letter = argument[argument.index(after: argument.startIndex)]
                guard let option = spec(short: letter) else { throw unknown(argument) }
                let rest = String(argument.dropFirst(2))
                if option.value == nil {
                    guard rest.isEmpty else { throw unknown(argument) }
                    parsed.flags.insert(option.long)
                    parsed.spellings[option.long] = "-" + String(letter)
                } else {
                    try takeValue(for: option, inline: rest.isEmpty ? nil : rest, spelled: "-" + String(letter))
                }
            }
            position += 1
        }
        return parsed
    }

    /// Throws a usage error when operands are missing or extra.
    func checkOperands(for command: CommandSpec) throws {
        let parsed = self
        let required = command.operands.filter { !$0.optional }.count
        if parsed.operands.count < required {
            let missing = command.operands[parsed.operands.count]
            throw UsageError(message: "missing operand \(missing.name)", command: command.name)
        }
        if command.trailingRequired, let trailing = command.trailing {
            // `dsnap run ./tag.sh`: the command line belongs after `--`, so that its own options
            // are never taken for dsnap's.
            if let stray = parsed.operands.dropFirst(command.operands.count).first {
                throw UsageError(message: "unexpected argument '\(stray)'", command: command.name,
                                 suggestions: ["put \(trailing.name.split(separator: " ")[0]) after '--', as in "
                                               + "'dsnap \(command.name) -- \(stray)'"])
            }
            if parsed.trailingOperands.isEmpty {
                throw UsageError(message: "missing \(trailing.name.split(separator: " ")[0]) after '--'",
                                 command: command.name)
            }
        }
        if parsed.operands.count > command.operands.count && command.operands.last?.repeats != true {
            throw UsageError(message: "unexpected argument '\(parsed.operands[command.operands.count])'",
                             command: command.name)
        }
    }
}

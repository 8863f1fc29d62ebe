import DsnapCore

/// The usage error for an option a command (or dsnap itself) does not take, naming the option as
/// typed and saying what the user probably meant: a near spelling (`--jsn`), the long form given
/// one dash (`-json`), short options run together (`-qm`), or a global option on the wrong side
/// of the command (`dsnap log -C x`, `dsnap --json log`).
enum UnknownOption {
    /// The global options dsnap parses before the command, as they are spelled.
    static let globalSpellings = ["-C", "-q", "--quiet", "--no-pager", "--version", "-h", "--help"]

    /// `typed`: the argument as given, without any `=VALUE`.
    static func error(_ typed: String, command: CommandSpec, options: [OptionSpec]) -> UsageError {
        UsageError(message: "unknown option '\(typed)'", command: command.name,
                   suggestions: suggestions(typed, command: command, options: options))
    }

    /// An unknown option before the command; `rest` is what follows it on the command line.
    static func globalError(_ typed: String, rest: [String]) -> UsageError {
        var suggestions: [String] = []
        // `dsnap --json log`: an option of the command that follows, given before it.
        if let name = rest.first(where: { !$0.hasPrefix("-") }), let command = CommandTable.command(named: name),
           accepts(typed, command.options) {
            suggestions.append("'\(typed)' is an option of '\(name)': give it after the command, as in 'dsnap \(name) \(typed)'")
        } else {
            let globalLongs = globalSpellings.filter { $0.hasPrefix("--") }.map { String($0.dropFirst(2)) }
            let similar = Suggestions.closest(to: String(typed.drop(while: { $0 == "-" })), among: globalLongs)
            if let line = didYouMean(similar.map { "--" + $0 }) { suggestions.append(line) }
        }
        suggestions.append("usage: " + HelpText.globalUsage)
        return UsageError(message: "unknown option '\(typed)'", suggestions: suggestions)
    }

    private static func suggestions(_ typed: String, command: CommandSpec, options: [OptionSpec]) -> [String] {
        if typed == "--no-pager" {
            let paged = CommandTable.all.filter(\.pages).map(\.name)
            let list = paged.count > 1 ? paged.dropLast().joined(separator: ", ") + " and " + paged[paged.count - 1]
                : paged.joined()
            return ["'\(command.name)' never uses a pager; only \(list) do"]
        }
        if globalSpellings.contains(typed) {
            let example = typed == "-C" ? "-C PATH" : typed
            return ["'\(typed)' is a global option: give it before the command, as in 'dsnap \(example) \(command.name)'"]
        }
        let longs = options.map(\.long)
        if typed.hasPrefix("--") {
            return didYouMean(Suggestions.closest(to: String(typed.dropFirst(2)), among: longs).map { "--" + $0 })
                .map { [$0] } ?? []
        }
        let body = String(typed.dropFirst())
        if body.count > 1 {
            // `-json`: a long option written with one dash.
            if let line = didYouMean(Suggestions.closest(to: body, among: longs).map { "--" + $0 }) { return [line] }
            // `-qm`: dsnap does not bundle short options (an option's value may start with a letter).
            let letters = body.map { letter in options.first { $0.short == letter } }
            if letters.allSatisfy({ $0 != nil }) {
                return ["give short options separately, as in '" + body.map { "-\($0)" }.joined(separator: " ") + "'"]
            }
            return []
        }
        // `-N` for `-n`: the right letter in the wrong case.
        let swapped = body.uppercased() == body ? body.lowercased() : body.uppercased()
        return didYouMean(options.compactMap { $0.short }.filter { String($0) == swapped }.map { "-\($0)" })
            .map { [$0] } ?? []
    }

    private static func accepts(_ typed: String, _ options: [OptionSpec]) -> Bool {
        let name = typed.split(separator: "=", maxSplits: 1).first.map(String.init) ?? typed
        if name.hasPrefix("--") { return options.contains { "--" + $0.long == name } }
        return name.count == 2 && options.contains { $0.short == name.last }
    }

    private static func didYouMean(_ candidates: [String]) -> String? {
        guard !candidates.isEmpty else { return nil }
        let quoted = candidates.map { "'\($0)'" }
        return candidates.count == 1 ? "did you mean \(quoted[0])?"
            : "did you mean one of \(quoted.joined(separator: ", "))?"
    }
}

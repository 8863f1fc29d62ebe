import DsnapCore

/// The usage error for a command dsnap does not have, saying what the user probably meant: dsnap's
/// word for a git command (`checkout`), else the commands a few typing slips away (`comit`).
enum UnknownCommand {
    static func error(_ typed: String) -> UsageError {
        let message = "unknown command '\(typed)'"
        if let alternative = GitWords.table[typed.lowercased()] {
            return UsageError(message: message, suggestions: [alternative.advice], helpTopic: alternative.command)
        }
        let similar = Suggestions.closest(to: typed, among: CommandTable.all.map(\.name))
        guard !similar.isEmpty else { return UsageError(message: message) }
        let quoted = similar.map { "'\($0)'" }.joined(separator: ", ")
        let suggestion = similar.count == 1 ? "the most similar command is \(quoted)"
            : "the most similar commands are \(quoted)"
        return UsageError(message: message, suggestions: [suggestion])
    }
}

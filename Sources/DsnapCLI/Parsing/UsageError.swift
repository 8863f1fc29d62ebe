/// A command line that does not fit the command's declaration (exit 2).
struct UsageError: Error, Sendable {
    let message: String
    /// The command whose synopsis and help the hints show; nil for the top level.
    var command: String?
    /// What the user probably meant (`did you mean '--json'?`), shown before the synopsis.
    var suggestions: [String]
    /// The command whose help to read, when it is not `command` (`checkout` points to restore's).
    var helpTopic: String?

    init(message: String, command: String? = nil, suggestions: [String] = [], helpTopic: String? = nil) {
        self.message = message
        self.command = command
        self.suggestions = suggestions
        self.helpTopic = helpTopic ?? command
    }

    /// Where to read more: a command's help, or dsnap's.
    var hint: String {
        helpTopic.map { "see 'dsnap help \($0)'" } ?? "see 'dsnap help'"
    }

    /// The hint lines under the error: suggestions, then the command's synopsis (as git prints its
    /// usage after a bad option), then where to read more.
    var hintLines: [String] {
        let synopsis = command.flatMap(CommandTable.command(named:)).map { ["usage: " + $0.usage] } ?? []
        return suggestions + synopsis + [hint]
    }
}

/// A command line that does not fit the command's declaration (exit 2).
struct UsageError: Error, Sendable {
    let message: String
    /// The command whose help the hint points to; nil for the top level.
    var command: String?

    init(message: String, command: String? = nil) {
        self.message = message
        self.command = command
    }

    var hint: String {
        command.map { "see 'dsnap \($0) -h'" } ?? "see 'dsnap help'"
    }
}

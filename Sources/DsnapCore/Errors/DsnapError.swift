/// An error a user can act on: a one-line message (subject quoted, no trailing period) and an
/// optional hint, and its kind, from which the CLI takes its exit code.
public protocol DsnapError: Error, Sendable {
    var kind: ErrorKind { get }
    var message: String { get }
    var hint: String? { get }
    /// The hint as lines, each printed (escaped) after `hint: `. By default the hint split at
    /// newlines; errors that quote user data in a hint give the lines themselves, so a newline in
    /// that data cannot start a line of its own.
    var hintLines: [String] { get }
}

extension DsnapError {
    public var hintLines: [String] {
        hint.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) } ?? []
    }
}

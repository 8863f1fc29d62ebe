/// An error a user can act on: a one-line message (subject quoted, no trailing period) and an
/// optional hint. The CLI maps each concrete type to an exit code in one exhaustive switch.
public protocol DsnapError: Error, Sendable {
    var message: String { get }
    var hint: String? { get }
}

import FoundationEssentials
import Glibc

/// What an operation needs from the outside world besides the dataset: the environment and a clock.
/// Tests fix both (`DSNAP_NOW`, author variables) so snapshot ids repeat.
public struct OperationContext: Sendable {
    public var environment: [String: String]
    public var now: @Sendable () -> Timestamp
    /// How restore and clone get the files they wrote to disk: waiting (the default), or in the
    /// background (the CLI, unless `--sync`).
    public var workTreeFlush: WorkTreeFlush = .wait

    public init(environment: [String: String], now: (@Sendable () -> Timestamp)? = nil) {
        self.environment = environment
        if let now {
            self.now = now
        } else if let fixed = environment["DSNAP_NOW"].flatMap(Timestamp.init(iso8601:)) {
            self.now = { fixed }
        } else {
            self.now = { Timestamp(Date()) }
        }
    }
}

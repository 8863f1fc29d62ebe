import FoundationEssentials
import Glibc

/// Who holds a dataset's operation lock, as written into the lock file by the holder.
public struct LockHolder: Sendable, Equatable {
    public let command: String
    public let pid: Int32
    public let since: Timestamp

    /// The program a `dsnap run` holder runs (its command is `run -- COMMAND...`); nil for others.
    public var runCommand: String? {
        command.hasPrefix(RunCommandUnderLock.lockPrefix) ? String(command.dropFirst(RunCommandUnderLock.lockPrefix.count)) : nil
    }

    var json: JSONValue {
        .object([("command", .string(command)), ("pid", .integer(pid)), ("since", .string(since.iso8601))])
    }

    init(command: String, pid: Int32, since: Timestamp) {
        self.command = command
        self.pid = pid
        self.since = since
    }

    init?(json: JSONValue) {
        guard let command = json["command"]?.stringValue, let pid = json["pid"]?.intValue,
              let sinceText = json["since"]?.stringValue, let since = Timestamp(iso8601: sinceText) else { return nil }
        self.init(command: command, pid: Int32(pid), since: since)
    }
}

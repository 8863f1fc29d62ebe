/// Another process holds the dataset's operation lock.
public enum LockError: DsnapError, Equatable {
    case busy(LockHolder?)

    public var kind: ErrorKind {
        switch self {
        case .busy: .conflict
        }
    }

    public var message: String {
        switch self {
        case let .busy(holder?):
            return "another operation is running: '\(holder.command)' (pid \(holder.pid), since \(holder.since.iso8601))"
        case .busy(nil):
            return "another operation is running on this dataset"
        }
    }

    public var hint: String? {
        "wait for it to finish and try again; reads (log, show, status, diff) keep working meanwhile"
    }
}

/// Problems answering `dsnap log --field`.
public enum HistoryError: DsnapError, Equatable {
    /// No snapshot on the way back from the current one has a file at this path.
    case fileNotInHistory(path: String)

    public var kind: ErrorKind {
        switch self {
        case .fileNotInHistory: .notFound
        }
    }

    public var message: String {
        switch self {
        case let .fileNotInHistory(path):
            return "no snapshot in the history of the current one has a file '\(path)'"
        }
    }

    public var hint: String? {
        switch self {
        case .fileNotInHistory:
            return "run 'dsnap show --files current' to list the files of the current snapshot"
        }
    }
}

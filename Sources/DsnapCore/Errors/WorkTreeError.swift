/// A work tree file a snapshot cannot hold as it stands: the snapshot is refused, naming it,
/// rather than taken without it.
public enum WorkTreeError: DsnapError, Equatable {
    /// A path longer than the file system's PATH_MAX, which libgit2's scan cannot reach.
    case pathTooLong(path: String, limit: Int)

    public var kind: ErrorKind {
        switch self {
        case .pathTooLong: .forbidden
        }
    }

    public var message: String {
        switch self {
        case let .pathTooLong(path, limit): return "cannot snapshot '\(path)': its path is longer than \(limit) bytes"
        }
    }

    public var hint: String? {
        switch self {
        case .pathTooLong: return "move it to a shorter path, or add it to .dsnapignore; nothing was recorded"
        }
    }
}

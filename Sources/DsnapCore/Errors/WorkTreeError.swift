/// A work tree file a snapshot cannot hold as it stands: the snapshot is refused, naming it,
/// rather than taken without it.
public enum WorkTreeError: DsnapError, Equatable {
    /// A name that is not UTF-8; `path` shows its other bytes as U+FFFD.
    case nameNotUTF8(path: String)
    /// A path longer than the file system's PATH_MAX, which libgit2's scan cannot reach.
    case pathTooLong(path: String, limit: Int)

    public var kind: ErrorKind {
        switch self {
        case .nameNotUTF8, .pathTooLong: .forbidden
        }
    }

    public var message: String {
        switch self {
        case let .nameNotUTF8(path): return "cannot snapshot '\(path)': its name is not valid UTF-8"
        case let .pathTooLong(path, limit): return "cannot snapshot '\(path)': its path is longer than \(limit) bytes"
        }
    }

    public var hint: String? {
        switch self {
        case .nameNotUTF8:
            return "bytes that are not UTF-8 are shown as \u{FFFD} ('ls -b' shows them); rename it, or add it to .dsnapignore; nothing was recorded"
        case .pathTooLong: return "move it to a shorter path, or add it to .dsnapignore; nothing was recorded"
        }
    }
}

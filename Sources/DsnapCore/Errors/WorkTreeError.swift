/// A work tree file dsnap cannot reach: a snapshot (or a status, a diff, a restore's plan) is
/// refused, naming it, rather than made without it.
public enum WorkTreeError: DsnapError, Equatable {
    /// A path longer than the file system's PATH_MAX, which libgit2's scan cannot reach.
    case pathTooLong(path: String, limit: Int)
    /// A file or folder whose status the system would not give (other than for its length).
    case unreadable(path: String)

    public var kind: ErrorKind {
        switch self {
        case .pathTooLong, .unreadable: .forbidden
        }
    }

    public var message: String {
        switch self {
        case let .pathTooLong(path, limit): return "cannot read '\(path)': its path is longer than \(limit) bytes"
        case let .unreadable(path): return "cannot read '\(path)' in the work tree"
        }
    }

    public var hint: String? {
        switch self {
        case .pathTooLong:
            return "dsnap, like git, reaches files by whole paths, which the system limits; move it to a shorter path, or add it to .dsnapignore"
        case .unreadable: return "check its permissions, or add it to .dsnapignore"
        }
    }
}

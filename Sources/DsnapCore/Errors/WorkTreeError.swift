/// A work tree file dsnap cannot reach: a snapshot (or a status, a diff, a restore's plan) is
/// refused, naming it, rather than made without it.
public enum WorkTreeError: DsnapError, Equatable {
    /// A `.gitignore` whose path is longer than PATH_MAX: libgit2 reads ignore files by whole
    /// path and would drop its rules in silence (`DeepWorkTree`).
    case ignoreFileTooDeep(path: String, limit: Int)
    /// A file or folder whose status the system would not give (other than for its length).
    case unreadable(path: String)
    /// Folders nested deeper than libgit2's work tree scan goes (it gives up, naming none).
    case nestedTooDeep(limit: Int)

    public var kind: ErrorKind {
        switch self {
        case .ignoreFileTooDeep, .unreadable, .nestedTooDeep: .forbidden
        }
    }

    public var message: String {
        switch self {
        case let .ignoreFileTooDeep(path, limit):
            return "cannot apply the ignore rules of '\(path)': its path is longer than \(limit) bytes"
        case let .unreadable(path): return "cannot read '\(path)' in the work tree"
        case let .nestedTooDeep(limit): return "cannot read the work tree: it holds folders nested more than \(limit) deep"
        }
    }

    public var hint: String? {
        switch self {
        case .ignoreFileTooDeep:
            return "ignore files are read by whole paths, which the system limits; move its rules to .dsnapignore (paths from the dataset's top), then list that .gitignore there too"
        case .unreadable: return "check its permissions, or add it to .dsnapignore"
        case .nestedTooDeep:
            return "libgit2, which dsnap reads the work tree with, stops there; move the deepest folders up, or add them to .dsnapignore"
        }
    }
}

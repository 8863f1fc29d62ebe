import FoundationEssentials
import Glibc

/// The file system or the object store failed us: full disk, I/O error, permissions, corruption.
public enum StorageError: DsnapError, Equatable {
    case diskFull(path: String)
    case permissionDenied(path: String)
    case io(path: String, reason: String)
    /// The repository is damaged; `detail` names what was found.
    case corrupt(detail: String)
    /// HEAD is not the symbolic ref to dsnap's branch (plain git detached or switched it).
    case headMoved(gitDir: String)
    /// `dsnap verify` found problems (each already reported).
    case unsound(problems: Int)

    public var kind: ErrorKind {
        switch self {
        case .permissionDenied: .forbidden
        case .diskFull, .io, .corrupt, .unsound, .headMoved: .storage
        }
    }

    public var message: String {
        switch self {
        case let .diskFull(path): return "no space left on device while writing '\(path)'"
        case let .permissionDenied(path): return "permission denied: '\(path)'"
        case let .io(path, reason): return "cannot access '\(path)': \(reason)"
        case let .corrupt(detail): return "the dataset's repository is damaged: \(detail)"
        case .headMoved: return "HEAD is not on dsnap's branch 'main' (plain git moved it), so no snapshot is current"
        case let .unsound(problems):
            return "verify found \(problems) problem\(problems == 1 ? "" : "s") in the dataset"
        }
    }

    public var hint: String? {
        switch self {
        case .diskFull: return "free some space and run the command again; nothing was lost"
        case .permissionDenied:
            return "check that file's permissions (and those of the dataset and its .dsnap); a file dsnap must not read can go in .dsnapignore"
        case .io: return nil
        case let .headMoved(gitDir):
            return "put it back with 'git --git-dir=\(gitDir) symbolic-ref HEAD refs/heads/main'"
        case .unsound: return "each line above says what is wrong and, where something repairs it, what"
        case .corrupt:
            return "run 'dsnap verify' to list what is damaged and which snapshots need it"
        }
    }

    /// Maps an errno from a failed system call on `path`.
    static func fromErrno(_ code: Int32, path: String) -> StorageError {
        switch code {
        case ENOSPC, EDQUOT: return .diskFull(path: path)
        case EACCES, EPERM, EROFS: return .permissionDenied(path: path)
        default: return .io(path: path, reason: String(cString: strerror(code)))
        }
    }
}

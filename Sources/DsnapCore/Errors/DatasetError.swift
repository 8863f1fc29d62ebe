/// Problems with the dataset as a whole: finding it, creating it, reading its configuration.
public enum DatasetError: DsnapError, Equatable {
    /// No `.dsnap` here or in any parent folder.
    case notADataset(path: String)
    /// `init` over a folder that already has a `.dsnap`.
    case alreadyADataset(path: String)
    /// The dataset was written by a newer dsnap.
    case unsupportedFormat(found: String, supported: Int)
    /// The folder to init is not a directory (or cannot be created).
    case notADirectory(path: String)
    /// The dataset belongs to another user: like git, dsnap does not trust it by default.
    case ownedByAnotherUser(path: String)
    /// A dataset name that cannot be stored (empty, or contains a NUL).
    case invalidName(String)
    /// A dataset folder whose own path is not UTF-8: dsnap and libgit2 reach the repository and
    /// its files through paths held as UTF-8 text. (Names inside the dataset may be any bytes.)
    case folderNotUTF8(path: String)

    public var kind: ErrorKind {
        switch self {
        case .notADataset: .notFound
        case .alreadyADataset: .conflict
        case .unsupportedFormat, .ownedByAnotherUser, .folderNotUTF8: .forbidden
        case .notADirectory, .invalidName: .invalidRequest
        }
    }

    public var message: String {
        switch self {
        case let .notADataset(path): return "not a dataset (or any parent up to /): '\(path)'"
        case let .alreadyADataset(path): return "'\(path)' is already a dataset"
        case let .unsupportedFormat(found, supported):
            return "dataset format version '\(found)' is not supported (this dsnap reads version \(supported))"
        case let .notADirectory(path): return "'\(path)' is not a directory"
        case let .invalidName(reason): return "invalid dataset name: \(reason)"
        case let .ownedByAnotherUser(path): return "dataset '\(path)' is owned by another user"
        case let .folderNotUTF8(path): return "cannot use '\(path)' as a dataset folder: its path is not valid UTF-8"
        }
    }

    public var hint: String? {
        switch self {
        case .notADataset: return "run 'dsnap init' to make this folder a dataset, or use -C PATH"
        case .alreadyADataset: return "run 'dsnap status' to see it; remove its .dsnap folder to start over"
        case let .unsupportedFormat(found, _):
            return Int(found) != nil
                ? "this dataset was written by a newer dsnap: upgrade dsnap to read it"
                : "'dsnap.formatversion' in .dsnap/config is damaged; dsnap writes version 1"
        case .notADirectory: return nil
        case .invalidName: return "pass a non-empty name with --name"
        case .folderNotUTF8:
            return "rename the folders on its path; the files inside a dataset may have names of any bytes, the way to it may not"
        case let .ownedByAnotherUser(path):
            return "if you trust it, mark it safe as git does: git config --global --add safe.directory '\(path)'"
        }
    }
}

/// A path inside a snapshot that cannot be read or restored.
public enum SnapshotPathError: DsnapError, Equatable {
    /// No such file or folder in the snapshot. `snapshot` is the reference as the user gave it;
    /// `folder` is the deepest folder of the path that does exist ("" for the top), and `nearest`
    /// the names there that look most like what was asked for (folders end in `/`), full paths.
    case notFound(path: String, snapshot: String, folder: String, nearest: [String])
    /// A path given for a partial restore that neither the snapshot, the current snapshot nor the
    /// work tree holds: restoring it would do nothing, which is most likely a typing slip.
    case notFoundAnywhere(path: String, snapshot: String, folder: String, nearest: [String])
    /// The path names a submodule (a gitlink): its content lives in another repository.
    case submodule(path: String)
    /// Not a path inside the dataset: absolute, empty components, `.` or `..`, or dsnap's own.
    case invalid(path: String, reason: String)

    public var kind: ErrorKind {
        switch self {
        case .notFound, .notFoundAnywhere, .submodule: .notFound
        case .invalid: .invalidRequest
        }
    }

    public var message: String {
        switch self {
        case let .notFound(path, snapshot, _, _):
            return "path '\(path)' does not exist in snapshot '\(snapshot)'"
        case let .notFoundAnywhere(path, snapshot, _, _):
            return "path '\(path)' is neither in snapshot '\(snapshot)' nor in the dataset folder"
        case let .submodule(path):
            return "path '\(path)' is a submodule: its content is not in this dataset"
        case let .invalid(path, reason):
            return "invalid path '\(path)': \(reason)"
        }
    }

    public var hint: String? { hintLines.isEmpty ? nil : hintLines.joined(separator: "\n") }

    public var hintLines: [String] {
        let snapshot: String, folder: String, nearest: [String]
        switch self {
        case let .notFound(_, reference, deepest, names), let .notFoundAnywhere(_, reference, deepest, names):
            (snapshot, folder, nearest) = (reference, deepest, names)
        case .submodule, .invalid: return []
        }
        // The listing command is spelled out whole: it is what to type next.
        let listing = "run 'dsnap show \(snapshot):\(folder.isEmpty ? "" : folder + "/")' to list "
            + (folder.isEmpty ? "the snapshot's top folder" : "that folder")
        guard !nearest.isEmpty else { return [listing] }
        return [nearest.count == 1 ? "the nearest name is:" : "the nearest names are:"]
            + nearest.map { "  " + $0 } + [listing]
    }
}

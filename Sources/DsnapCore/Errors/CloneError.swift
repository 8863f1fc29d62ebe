/// Why a clone cannot be made.
public enum CloneError: DsnapError, Equatable {
    case destinationExists(path: String)

    public var kind: ErrorKind {
        switch self {
        case .destinationExists: .conflict
        }
    }

    public var message: String {
        switch self {
        case let .destinationExists(path): return "destination '\(path)' already exists and is not an empty folder"
        }
    }

    public var hint: String? {
        "name another destination: 'dsnap clone SNAP DEST'"
    }
}

/// A snapshot's record (its note on `refs/notes/dsnap`) cannot be used.
public enum RecordError: DsnapError, Equatable {
    /// The note is not a JSON record dsnap can read.
    case unreadable(id: GitOID)

    public var kind: ErrorKind {
        switch self {
        case .unreadable: .storage
        }
    }

    public var message: String {
        switch self {
        case let .unreadable(id): return "the record of snapshot \(id.short) is not valid JSON"
        }
    }

    public var hint: String? {
        switch self {
        case let .unreadable(id):
            return "run 'dsnap update \(id.short) --name NAME' to write a new record (its counts are rebuilt from its files)"
        }
    }
}

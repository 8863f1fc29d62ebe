/// Problems naming or changing one snapshot.
public enum SnapshotError: DsnapError, Equatable {
    case notFound(reference: String)
    /// No deleted snapshot matches (for `undelete`).
    case noSuchDeleted(reference: String)
    /// The reference names a snapshot that was deleted.
    case deleted(reference: String, id: String)
    /// A name or prefix that fits several snapshots; `candidates` are "id name" lines.
    case ambiguous(reference: String, candidates: [String])
    case cannotDeleteCurrent(id: String)
    case notDeleted(id: String)
    /// The dataset has no current snapshot (HEAD is unborn or points at no live snapshot).
    case noCurrentSnapshot
    case invalidName(String)

    public var kind: ErrorKind {
        switch self {
        case .notFound, .noSuchDeleted, .deleted, .noCurrentSnapshot: .notFound
        case .ambiguous, .invalidName: .invalidRequest
        case .cannotDeleteCurrent, .notDeleted: .conflict
        }
    }

    public var message: String {
        switch self {
        case let .notFound(reference):
            return "snapshot '\(reference)' not found" + Self.tooShortForAnID(reference)
        case let .noSuchDeleted(reference):
            return "no deleted snapshot matches '\(reference)'" + Self.tooShortForAnID(reference)
        case let .deleted(reference, id):
            return id.hasPrefix(reference.lowercased())
                ? "snapshot '\(reference)' is deleted"
                : "snapshot '\(reference)' ('\(id.prefix(12))') is deleted"
        case let .ambiguous(reference, candidates):
            return "snapshot '\(reference)' is ambiguous: \(candidates.count) snapshots match"
        case let .cannotDeleteCurrent(id): return "cannot delete the current snapshot '\(id.prefix(12))'"
        case let .notDeleted(id): return "snapshot '\(id.prefix(12))' is not deleted"
        case .noCurrentSnapshot: return "the dataset has no current snapshot"
        case let .invalidName(reason): return "invalid snapshot name: \(reason)"
        }
    }

    /// Why a few hex digits (`20b`) named nothing, though they begin an id: it takes 4 or more,
    /// as in git, so that a short word is never taken for an id by accident.
    private static func tooShortForAnID(_ reference: String) -> String {
        (1...3).contains(reference.utf8.count) && reference.utf8.allSatisfy(\.isHexDigit)
            ? ": an id prefix needs at least 4 hex digits" : ""
    }

    public var hintLines: [String] {
        if case let .ambiguous(_, candidates) = self {
            return ["use an id (or a longer prefix) instead; candidates:"] + candidates.map { "  " + $0 }
        }
        return hint.map { [$0] } ?? []
    }

    public var hint: String? {
        switch self {
        case .notFound: return "run 'dsnap log' to list snapshots"
        case .noSuchDeleted: return "run 'dsnap log --deleted' to list deleted snapshots"
        case .deleted: return "run 'dsnap undelete' to bring it back, or 'dsnap log --deleted' to list deleted snapshots"
        case let .ambiguous(_, candidates):
            return (["use an id (or a longer prefix) instead; candidates:"] + candidates.map { "  " + $0 })
                .joined(separator: "\n")
        case .cannotDeleteCurrent: return "take or restore another snapshot first, then delete this one"
        case .notDeleted: return nil
        case .noCurrentSnapshot: return "run 'dsnap commit' to take one"
        case .invalidName: return nil
        }
    }
}

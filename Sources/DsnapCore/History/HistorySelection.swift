/// Which snapshots a history lists: `dsnap log`'s visibility (`--deleted`, `--all`), its filters,
/// `--remote`'s set, and `-n`, which counts what is left after all of them.
public struct HistorySelection: Sendable {
    public var visibility: SnapshotVisibility
    public var filter: SnapshotFilter
    /// Only these snapshots (those a remote holds); nil: no such limit.
    public var only: Set<GitOID>?
    public var limit: Int?

    public init(visibility: SnapshotVisibility = .live, filter: SnapshotFilter = SnapshotFilter(),
                only: Set<GitOID>? = nil, limit: Int? = nil) {
        self.visibility = visibility
        self.filter = filter
        self.only = only
        self.limit = limit
    }

    /// The listing to read: autosaves come along when `--reason autosave` asks for them.
    public var listing: SnapshotVisibility {
        visibility == .live && filter.asksForAutosaves ? .liveWithAutosaves : visibility
    }

    public func admits(_ snapshot: Snapshot) -> Bool {
        switch listing {
        case .live: if snapshot.isDeleted || snapshot.record.reason == .autosave { return false }
        case .liveWithAutosaves: if snapshot.isDeleted { return false }
        case .deleted: if !snapshot.isDeleted { return false }
        }
        if let only, !only.contains(snapshot.id) { return false }
        return filter.matches(snapshot)
    }

    /// Whether `count` entries already fill the list.
    func isFull(_ count: Int) -> Bool { limit.map { count >= $0 } ?? false }
}

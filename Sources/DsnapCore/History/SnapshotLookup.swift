/// Snapshots by id for a walk through history, with what every look-up shares (the refs, the
/// index of records) read once, and each record read only when a walk asks for it.
struct SnapshotLookup {
    private let catalog: SnapshotCatalog
    private let snapshotIDs: Set<GitOID>
    private let deleted: Set<GitOID>
    private let current: GitOID?
    private let restoring: GitOID?
    private let notes: [GitOID: GitOID]

    init(dataset: Dataset) throws {
        catalog = SnapshotCatalog(dataset: dataset)
        snapshotIDs = Set(try catalog.allIDs())
        deleted = try catalog.deletedIDs()
        current = try catalog.currentID()
        restoring = RestoreMarker.runningTarget(in: dataset)
        notes = try dataset.wrapGit { try dataset.repository.noteIndex(notesRef: SnapshotCatalog.notesRef) }
    }

    var currentID: GitOID? { current }

    /// The snapshot `id` is, or nil for a commit that no longer is one (a deleted snapshot that
    /// `gc --prune-deleted` pruned while a later snapshot kept its commit as a parent).
    func snapshot(_ id: GitOID) throws -> Snapshot? {
        guard snapshotIDs.contains(id) else { return nil }
        return try catalog.load(id, current: current, restoring: restoring, isDeleted: deleted.contains(id),
                                note: .known(notes[id]))
    }
}

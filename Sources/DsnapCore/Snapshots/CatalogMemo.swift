/// Records and commits already read, by object id, shared by every catalog in the process. An
/// object's content never changes, so what was read once stays true: `dsnap serve` listing a
/// catalog again reads only what is new (a listing of 1,000 snapshots read 2,000 loose objects and
/// parsed 1,000 records each time). A one-shot command reads each object once anyway.
enum CatalogMemo {
    /// Past this many entries the memo starts again empty: bounded memory for a server that runs
    /// for months over many datasets (a record is a few hundred bytes).
    static let limit = 200_000

    private static let lock = Lock()
    nonisolated(unsafe) private static var records: [GitOID: SnapshotRecord] = [:]
    nonisolated(unsafe) private static var commits: [GitOID: GitCommitInfo] = [:]

    /// The record in note blob `blob`, parsed by `parse` the first time; nil (not remembered)
    /// when `parse` finds none.
    static func record(inNote blob: GitOID, _ parse: () throws -> SnapshotRecord?) rethrows -> SnapshotRecord? {
        if let known = lock.withLock({ records[blob] }) { return known }
        guard let record = try parse() else { return nil }
        lock.withLock {
            if records.count >= limit { records.removeAll(keepingCapacity: true) }
            records[blob] = record
        }
        return record
    }

    /// The commit `id`, read by `read` the first time.
    static func commit(_ id: GitOID, _ read: () throws -> GitCommitInfo) rethrows -> GitCommitInfo {
        if let known = lock.withLock({ commits[id] }) { return known }
        let commit = try read()
        lock.withLock {
            if commits.count >= limit { commits.removeAll(keepingCapacity: true) }
            commits[id] = commit
        }
        return commit
    }
}

extension TakeSnapshot {
    /// Saves `count` uncommitted changes as a hidden autosave snapshot before an operation
    /// (restore, a partial restore, a merge) replaces them; nil when there are none. The caller
    /// holds the lock. `makeCurrent` false leaves HEAD where it is, so that a kill right after
    /// leaves the same current snapshot and the same uncommitted changes.
    static func autosave(_ count: Int, name: String, savedBy: String, makeCurrent: Bool = true, in dataset: Dataset,
                         writer: SnapshotWriter, context: OperationContext) throws -> Snapshot? {
        guard count > 0 else { return nil }
        let request = SnapshotRequest(
            name: name, description: "\(count) uncommitted change\(count == 1 ? "" : "s") \(savedBy)", reason: .autosave)
        return try run(request, in: dataset, writer: writer, context: context, makeCurrent: makeCurrent).snapshot
    }
}

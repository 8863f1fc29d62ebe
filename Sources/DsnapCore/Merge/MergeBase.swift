/// Finds the snapshot two snapshots merge from: their nearest common ancestor, or, between a
/// dataset and its clone (whose first snapshot starts a history of its own), the snapshot the
/// clone was cloned from, as the clone's record says.
enum MergeBase {
    /// `theirsCatalog` reads their side's records (another dataset's, for a clone's snapshot);
    /// every commit involved must be readable in `dataset`'s repository.
    static func find(ours: GitOID, theirs: GitOID, in dataset: Dataset, theirsCatalog: SnapshotCatalog) throws -> GitOID? {
        let repository = dataset.repository
        if let base = try dataset.wrapGit({ try repository.mergeBase(ours, theirs) }) { return base }
        let oursOrigin = try cloneOrigin(of: ours, catalog: SnapshotCatalog(dataset: dataset), in: dataset)
        let theirsOrigin = try cloneOrigin(of: theirs, catalog: theirsCatalog, in: dataset)
        for case let (one?, two?) in [(ours, theirsOrigin), (oursOrigin, theirs), (oursOrigin, theirsOrigin)] {
            if let base = try dataset.wrapGit({ try repository.mergeBase(one, two) }) { return base }
        }
        return nil
    }

    /// The snapshot a clone's first snapshot was cloned from, found at the root of `tip`'s
    /// history, when that snapshot's commit is here.
    private static func cloneOrigin(of tip: GitOID, catalog: SnapshotCatalog, in dataset: Dataset) throws -> GitOID? {
        let repository = dataset.repository
        var seen: Set<GitOID> = [tip]
        var pending = [tip]
        while let id = pending.popLast() {
            let commit = try dataset.wrapGit { try repository.commit(id) }
            if commit.parents.isEmpty {
                guard let record = try? catalog.snapshot(id).record, record.reason == .clone,
                      let origin = record.clonedFromSnapshot.flatMap(GitOID.init(hex:)),
                      try dataset.wrapGit({ try repository.objectKind(origin) }) == .commit else { continue }
                return origin
            }
            for parent in commit.parents where seen.insert(parent).inserted { pending.append(parent) }
        }
        return nil
    }
}

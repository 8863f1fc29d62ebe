/// `dsnap update`, `dsnap delete` and `dsnap undelete`: changes to a snapshot's record and
/// visibility that never touch its commit, so its id stays. Each takes the dataset lock in
/// shared mode (no commit, restore or gc meanwhile) and serializes with the others on the
/// metadata lock.
public enum EditSnapshot {
    private static func editing<T>(_ command: String, _ dataset: Dataset, context: OperationContext,
                                   _ body: () throws -> T) throws -> T {
        let lock = try DatasetLock.acquire(.shared, on: dataset, command: command, context: context)
        defer { withExtendedLifetime(lock) {} }
        return try MetadataLock.withLock(on: dataset, body)
    }

    /// Renames and/or re-describes a snapshot.
    public static func update(_ reference: String, name: String?, description: String?, in dataset: Dataset,
                              context: OperationContext) throws -> Snapshot {
        if let name, name.isEmpty { throw SnapshotError.invalidName("the name is empty") }
        var catalog = SnapshotCatalog(dataset: dataset)
        // Update is how a damaged record is repaired: it is read as if missing, then rewritten.
        catalog.rebuildsUnreadableRecords = true
        return try editing("update", dataset, context: context) {
            // Resolved under the lock, so the record we rewrite is the latest one.
            var snapshot = try catalog.resolve(reference)
            if let name { snapshot.record.name = name }
            if let description { snapshot.record.description = description }
            let identity = Identity.resolve(explicit: nil, repository: dataset.repository,
                                            environment: context.environment)
            try catalog.writeRecord(snapshot.record, for: snapshot.id, identity: identity, context: context)
            return snapshot
        }
    }

    /// Hides a snapshot from every listing and look-up; its objects stay.
    public static func delete(_ reference: String, in dataset: Dataset, context: OperationContext) throws -> Snapshot {
        let catalog = SnapshotCatalog(dataset: dataset)
        return try editing("delete", dataset, context: context) {
            var snapshot = try catalog.resolve(reference)
            if snapshot.isCurrent { throw SnapshotError.cannotDeleteCurrent(id: snapshot.id.hex) }
            // Under the metadata lock no live dsnap writes this ref: a lock file is a killed one's.
            StaleGitLock.remove(dataset.gitDir + "/" + Tombstone.refName(of: snapshot.id) + ".lock")
            // The record says when, first: `gc --prune-deleted=AGE` counts from it.
            snapshot.record.deletedAt = context.now()
            try catalog.writeRecord(snapshot.record, for: snapshot.id,
                                    identity: Identity.resolve(explicit: nil, repository: dataset.repository,
                                                               environment: context.environment),
                                    context: context)
            try dataset.wrapGit {
                try dataset.repository.setReference(SnapshotCatalog.deletedRefPrefix + snapshot.id.hex,
                                                    to: snapshot.id, message: "dsnap: delete")
            }
            snapshot.isDeleted = true
            return snapshot
        }
    }

    /// Brings a deleted snapshot back.
    public static func undelete(_ reference: String, in dataset: Dataset, context: OperationContext) throws -> Snapshot {
        let catalog = SnapshotCatalog(dataset: dataset)
        return try editing("undelete", dataset, context: context) {
            var snapshot: Snapshot
            do {
                snapshot = try catalog.resolve(reference, among: .deleted)
            } catch SnapshotError.notFound {
                // Name the real problem when the snapshot exists but is not deleted.
                if let live = try? catalog.resolve(reference) { throw SnapshotError.notDeleted(id: live.id.hex) }
                throw SnapshotError.noSuchDeleted(reference: reference)
            }
            StaleGitLock.remove(dataset.gitDir + "/" + Tombstone.refName(of: snapshot.id) + ".lock")
            try dataset.wrapGit {
                try dataset.repository.deleteReference(SnapshotCatalog.deletedRefPrefix + snapshot.id.hex)
            }
            snapshot.isDeleted = false
            if snapshot.record.deletedAt != nil {
                snapshot.record.deletedAt = nil
                try catalog.writeRecord(snapshot.record, for: snapshot.id,
                                        identity: Identity.resolve(explicit: nil, repository: dataset.repository,
                                                                   environment: context.environment),
                                        context: context)
            }
            return snapshot
        }
    }
}

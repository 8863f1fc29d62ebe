/// A deleted snapshot's tombstone, `refs/dsnap/deleted/<id>`.
///
/// While the snapshot can still be brought back, the tombstone points at its commit (which keeps
/// its objects reachable for plain git too). Once `dsnap gc --prune-deleted` purges it, the
/// snapshot ref is gone and the tombstone points at a purge record instead: a commit of the empty
/// tree, with no parent, whose message is `{"snapshot_id": ..., "purged_at": ...}`. The id stays
/// known as deleted for good, nothing keeps its objects, and every ref still names a commit (plain
/// `git gc` complains of a ref to a blob).
enum Tombstone {
    static func refName(of id: GitOID) -> String { SnapshotCatalog.deletedRefPrefix + id.hex }

    /// When snapshot `id` was purged, or nil when its tombstone is not a purge record.
    static func purgeRecord(of id: GitOID, in dataset: Dataset) throws -> Timestamp? {
        guard let target = try dataset.wrapGit({ try dataset.repository.resolve(reference: refName(of: id)) }),
              target != id, let commit = try? dataset.repository.commit(target),
              case let .object(members)? = try? JSONParser.parse(commit.message),
              case let .string(when)? = members.first(where: { $0.key == "purged_at" })?.value else { return nil }
        return Timestamp(iso8601: when)
    }

    /// Snapshots purged for good: tombstones with no snapshot ref beside them.
    static func purgedIDs(in dataset: Dataset) throws -> Set<GitOID> {
        let catalog = SnapshotCatalog(dataset: dataset)
        return try catalog.deletedIDs().subtracting(try catalog.allIDs())
    }

    /// Turns the tombstone of `id` into a purge record dated `now`, then drops the snapshot's ref:
    /// in that order, so a kill between the two leaves a snapshot that is still deleted.
    static func purge(_ id: GitOID, now: Timestamp, identity: Identity, in dataset: Dataset) throws {
        let record = JSONValue.object([("snapshot_id", .string(id.hex)), ("purged_at", .string(now.iso8601))])
        let signature = GitSignature(name: identity.name, email: identity.email, time: now.seconds)
        let repository = dataset.repository
        try dataset.wrapGit {
            let empty = try repository.writeEmptyTree()
            let commit = try repository.createCommit(tree: empty, parents: [], author: signature, committer: signature,
                                                     message: JSONWriter.render(record, pretty: true) + "\n",
                                                     updateReference: nil)
            let paths = [empty, commit].map { $0.looseObjectPath(in: repository.objectsPath) }
            try FileSystemSync.sync(paths: paths.map(\.file) + Set(paths.map(\.folder)).sorted())
            try repository.setReference(refName(of: id), to: commit, message: "dsnap: gc purged")
            // Its reflog names the snapshot's commit, which is about to go.
            try repository.deleteReflog(of: refName(of: id))
            try repository.deleteReference(SnapshotCatalog.snapshotRefPrefix + id.hex)
        }
    }
}

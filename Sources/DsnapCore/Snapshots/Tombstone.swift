/// A deleted snapshot's tombstone, `refs/dsnap/deleted/<id>`.
///
/// While the snapshot can still be brought back, the tombstone points at its commit (which keeps
/// its objects reachable for plain git too). Once `dsnap gc --prune-deleted` purges it, the
/// snapshot ref is gone and the tombstone points at a small JSON blob instead, saying when it was
/// purged: the id stays known as deleted for good, and nothing keeps its objects.
enum Tombstone {
    static func refName(of id: GitOID) -> String { SnapshotCatalog.deletedRefPrefix + id.hex }

    /// When snapshot `id` was purged, or nil when its tombstone is not a purge record.
    static func purgeRecord(of id: GitOID, in dataset: Dataset) throws -> Timestamp? {
        guard let target = try dataset.wrapGit({ try dataset.repository.resolve(reference: refName(of: id)) }),
              dataset.repository.isBlob(target) else { return nil }
        let text = String(decoding: try dataset.blobBytes(target), as: UTF8.self)
        guard case let .object(members)? = try? JSONParser.parse(text),
              case let .string(when)? = members.first(where: { $0.key == "purged_at" })?.value else { return nil }
        return Timestamp(iso8601: when)
    }

    /// Turns the tombstone of `id` into a purge record dated `now`, then drops the snapshot's ref:
    /// in that order, so a kill between the two leaves a snapshot that is still deleted.
    static func purge(_ id: GitOID, now: Timestamp, in dataset: Dataset) throws {
        let record = JSONValue.object([("snapshot_id", .string(id.hex)), ("purged_at", .string(now.iso8601))])
        try dataset.wrapGit {
            let blob = try dataset.repository.writeBlob(Array((JSONWriter.render(record, pretty: true) + "\n").utf8))
            try dataset.repository.setReference(refName(of: id), to: blob, message: "dsnap: gc purged")
            try dataset.repository.deleteReference(SnapshotCatalog.snapshotRefPrefix + id.hex)
        }
    }
}

import FoundationEssentials
import Glibc

/// What a fetch brought into the dataset's own catalog.
public struct CatalogMergeReport: Sendable, Equatable {
    /// Snapshots the dataset did not have, now its own.
    public var snapshotsReceived: [GitOID] = []
    /// Records the remote had newer versions of.
    public var recordsUpdated: [GitOID] = []
    /// Snapshots deleted or undeleted because the remote's newer record says so.
    public var deleted: [GitOID] = []
    public var undeleted: [GitOID] = []
    /// Remote refs refused, with why (a ref whose name is not its target, a missing commit, a
    /// hostile tree, an unreadable record).
    public var refused: [String] = []
}

/// Folds a remote's fetched catalog (its tracking refs, `RemoteRefs`) into the dataset's own:
/// snapshots are a set (each one checked before it is adopted), records merge per snapshot (the
/// newer edit wins, `RecordMerge`), a delete or undelete follows the record that won. Runs under
/// the metadata lock; the caller holds the dataset lock in shared mode at least. `durably` false
/// leaves flushing a merge commit to the caller (a clone, flushed whole before it is renamed
/// into place).
enum CatalogMerge {
    static func run(_ refs: RemoteRefs, in dataset: Dataset, context: OperationContext,
                    durably: Bool = true) throws -> CatalogMergeReport {
        try MetadataLock.withLock(on: dataset) {
            var report = CatalogMergeReport()
            try dataset.wrapGit {
                try adoptSnapshots(refs, in: dataset, report: &report)
                let merged = try mergeRecords(refs, in: dataset, context: context, durably: durably, report: &report)
                try settleTombstones(refs, records: merged, in: dataset, report: &report)
            }
            return report
        }
    }

    /// Each remote snapshot ref whose name is its target, naming a commit whose tree is safe to
    /// check out, becomes a snapshot ref of the dataset.
    private static func adoptSnapshots(_ refs: RemoteRefs, in dataset: Dataset, report: inout CatalogMergeReport) throws {
        let repository = dataset.repository
        let local = Set(try repository.referenceNames(matching: SnapshotCatalog.snapshotRefPrefix + "*"))
        for name in try repository.referenceNames(matching: refs.snapshotsPrefix + "*").sorted() {
            let hex = String(name.dropFirst(refs.snapshotsPrefix.count))
            let localName = SnapshotCatalog.snapshotRefPrefix + hex
            guard !local.contains(localName) else { continue }
            guard let id = GitOID(hex: hex), try repository.resolve(reference: name) == id else {
                report.refused.append("\(name): its name is not the commit it points at")
                continue
            }
            do {
                let commit = try repository.commit(id)
                try SnapshotTreeCheck.check(commit.tree, in: dataset, requireBlobs: true)
            } catch {
                report.refused.append("snapshot \(id.short): \((error as? DsnapError)?.message ?? "\(error)")")
                continue
            }
            try repository.setReference(localName, to: id, message: "dsnap: fetched")
            report.snapshotsReceived.append(id)
        }
    }

    /// The merged record of every snapshot, as annotated id -> note blob; the dataset's notes ref
    /// moves to a commit holding them (a fast-forward when only one side changed).
    private static func mergeRecords(_ refs: RemoteRefs, in dataset: Dataset, context: OperationContext,
                                     durably: Bool, report: inout CatalogMergeReport) throws -> [GitOID: GitOID] {
        let repository = dataset.repository
        let ours = try repository.resolve(reference: SnapshotCatalog.notesRef)
        let oursNotes = try repository.noteIndex(notesRef: SnapshotCatalog.notesRef)
        guard let theirs = try repository.resolve(reference: refs.notes) else { return oursNotes }
        if let ours, try repository.isDescendant(ours, of: theirs) { return oursNotes }
        let theirsNotes = try repository.noteIndex(notesRef: refs.notes)
        var merged = oursNotes
        for (annotated, theirBlob) in theirsNotes where oursNotes[annotated] != theirBlob {
            // Records of snapshots this dataset does not have (refused ones) are not taken.
            guard try repository.resolve(reference: SnapshotCatalog.snapshotRefPrefix + annotated.hex) != nil
                    || repository.resolve(reference: SnapshotCatalog.deletedRefPrefix + annotated.hex) != nil else { continue }
            guard let theirVersion = RecordMerge.version(try dataset.blobBytes(theirBlob)) else {
                report.refused.append("record of snapshot \(annotated.short): not a record dsnap wrote")
                continue
            }
            if let ourBlob = oursNotes[annotated], let ourVersion = RecordMerge.version(try dataset.blobBytes(ourBlob)),
               !RecordMerge.theirsWins(ours: ourVersion, theirs: theirVersion) {
                continue
            }
            merged[annotated] = theirBlob
            report.recordsUpdated.append(annotated)
        }
        if let ours, try repository.isDescendant(theirs, of: ours), merged == theirsNotes {
            try repository.swapReference(SnapshotCatalog.notesRef, to: theirs, expected: ours,
                                         message: "notes: dsnap records from \(refs.remote)")
            return merged
        }
        let tree = try repository.writeObject(.tree, notesTree(merged))
        // Their history is a parent (so the next push fast-forwards) only when nothing of theirs
        // was refused: a refused record must not travel on with it.
        let refusedRecords = report.refused.contains { $0.hasPrefix("record of") }
        let identity = Identity.resolve(explicit: nil, repository: repository, environment: context.environment)
        let signature = GitSignature(name: identity.name, email: identity.email, time: context.now().seconds)
        let commit = try repository.createCommit(
            tree: tree, parents: [ours, refusedRecords ? nil : theirs].compactMap { $0 }, author: signature, committer: signature,
            message: "Merge dsnap records from \(refs.remote)\n", updateReference: nil)
        if durably { try FileSystemSync.sync(containing: repository.objectsPath) }
        try repository.swapReference(SnapshotCatalog.notesRef, to: commit, expected: ours,
                                     message: "notes: dsnap records merged from \(refs.remote)")
        return merged
    }

    /// A flat notes tree (`<40 hex>` -> blob), which git and libgit2 read like a fanned-out one.
    static func notesTree(_ notes: [GitOID: GitOID]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(notes.count * 67)
        for (annotated, blob) in notes.sorted(by: { $0.key < $1.key }) {
            bytes += Array("100644 \(annotated.hex)".utf8)
            bytes.append(0)
            bytes += blob.rawBytes
        }
        return bytes
    }

    /// Each snapshot the remote knows is deleted or live as its winning record says; records
    /// written before `updated_at` existed cannot say, and a tombstone on either side wins.
    /// The current snapshot is never hidden.
    private static func settleTombstones(_ refs: RemoteRefs, records: [GitOID: GitOID], in dataset: Dataset,
                                         report: inout CatalogMergeReport) throws {
        let repository = dataset.repository
        let current = try repository.headCommit()
        let theirTombstones = Set(try repository.referenceNames(matching: refs.deletedPrefix + "*")
            .compactMap { GitOID(hex: String($0.dropFirst(refs.deletedPrefix.count))) })
        let theirRecords = Set(try repository.noteIndex(notesRef: refs.notes).keys)
        for id in theirTombstones.union(theirRecords).sorted() {
            let tombstoneName = SnapshotCatalog.deletedRefPrefix + id.hex
            let ourTombstone = try repository.resolve(reference: tombstoneName)
            let live = try repository.resolve(reference: SnapshotCatalog.snapshotRefPrefix + id.hex) != nil
            guard live else {
                // A snapshot only the remote still had, purged there: its purge record is kept.
                if ourTombstone == nil, theirTombstones.contains(id),
                   let target = try repository.resolve(reference: refs.deletedPrefix + id.hex) {
                    try repository.setReference(tombstoneName, to: target, message: "dsnap: purged on \(refs.remote)")
                }
                continue
            }
            let record = try records[id].flatMap { RecordMerge.version(try dataset.blobBytes($0))?.record }
            let deleted = record?.updatedAt == nil
                ? ourTombstone != nil || theirTombstones.contains(id)
                : record?.deletedAt != nil
            if deleted, ourTombstone == nil, id != current {
                try repository.setReference(tombstoneName, to: id, message: "dsnap: deleted on \(refs.remote)")
                report.deleted.append(id)
            } else if !deleted, ourTombstone == id {
                try repository.deleteReference(tombstoneName)
                report.undeleted.append(id)
            }
        }
    }
}

import FoundationEssentials

/// The names and ids of a dataset's snapshots, read from the refs and the records alone: what
/// shell completion offers while the user waits on the Tab key. `SnapshotCatalog.snapshots`
/// also reads every commit and works out every snapshot's state, which completion does not need.
public enum SnapshotNameIndex {
    public struct Entry: Sendable, Equatable {
        /// The full hex id.
        public let id: String
        /// The record's name; for a snapshot without a readable record, the default name.
        public let name: String
        let createdAt: Timestamp?
    }

    /// Live snapshots without autosaves (what `dsnap log` lists), or only deleted ones; newest first.
    public static func read(in dataset: Dataset, deleted: Bool) throws -> [Entry] {
        let tombstones = Set(try refIDs(under: SnapshotCatalog.deletedRefPrefix, in: dataset))
        let notes = try dataset.wrapGit { try dataset.repository.noteIndex(notesRef: SnapshotCatalog.notesRef) }
        var entries: [Entry] = []
        for id in try refIDs(under: SnapshotCatalog.snapshotRefPrefix, in: dataset) where tombstones.contains(id) == deleted {
            var record: SnapshotRecord?
            if let note = notes[id], let bytes = try? dataset.blobBytes(note),
               let json = try? JSONParser.parse(String(decoding: bytes, as: UTF8.self)) {
                record = SnapshotRecord(json: json)
            }
            // Autosaves stay out of the way, as in `dsnap log`; their ids still work when typed.
            if !deleted && record?.reason == .autosave { continue }
            entries.append(Entry(id: id.hex,
                                 name: record?.name ?? Snapshot.defaultName(datasetName: dataset.name, id: id),
                                 createdAt: record?.createdAt))
        }
        return entries.sorted {
            switch ($0.createdAt, $1.createdAt) {
            case let (a?, b?) where a != b: return a > b
            case (_?, nil): return true
            case (nil, _?): return false
            default: return $0.id > $1.id
            }
        }
    }

    /// The ids of the refs under `prefix`, from their file names and `packed-refs`. A snapshot's
    /// ref is named after the id it holds, so the names suffice: libgit2's iterator reads each
    /// loose ref file, a thousand opens for a thousand snapshots.
    private static func refIDs(under prefix: String, in dataset: Dataset) throws -> [GitOID] {
        var ids = Set(DirectoryNames.list(dataset.gitDir + "/" + prefix).compactMap { GitOID(hex: $0) })
        if let packed = try? String(contentsOfFile: dataset.gitDir + "/packed-refs", encoding: .utf8) {
            for line in packed.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("^") {
                let fields = line.split(separator: " ", maxSplits: 1)
                if fields.count == 2, fields[1].hasPrefix(prefix),
                   let id = GitOID(hex: String(fields[1].dropFirst(prefix.count))) {
                    ids.insert(id)
                }
            }
        }
        return Array(ids)
    }
}

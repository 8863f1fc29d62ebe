/// Which version of one snapshot's record two machines keep when both have one: the newer edit
/// (`updated_at`, else when it was deleted, else when it was made); on a tie, the larger text,
/// so that every machine picks the same one without talking to the others.
enum RecordMerge {
    struct Version {
        let record: SnapshotRecord
        let text: [UInt8]

        var editedAt: Timestamp { record.updatedAt ?? record.deletedAt ?? record.createdAt }
    }

    static func theirsWins(ours: Version, theirs: Version) -> Bool {
        if ours.editedAt != theirs.editedAt { return theirs.editedAt > ours.editedAt }
        return theirs.text.lexicographicallyPrecedes(ours.text) == false && theirs.text != ours.text
    }

    /// The bytes of a note as dsnap wrote it, parsed; nil for anything else (a forged or damaged
    /// record from a remote is never taken over a readable one).
    static func version(_ text: [UInt8]) -> Version? {
        guard text.count <= maximumRecordSize, let json = try? JSONParser.parse(text),
              let record = SnapshotRecord(json: json) else { return nil }
        return Version(record: record, text: text)
    }

    /// A record is a few hundred bytes; a remote's larger "record" is refused unread.
    static let maximumRecordSize = 64 * 1024
}

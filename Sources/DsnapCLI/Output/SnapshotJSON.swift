import DsnapCore

/// The one place the JSON shape of a snapshot lives: the API's 13 fields, in the API's order, with
/// its types and nulls; dsnap's own fields follow them.
///
/// The rule every command's `--json` follows (dsnap(1), JSON OUTPUT): a list of like things (`log`,
/// `tasks`) is a top-level array, as the API's list is; anything else is one object, and the
/// snapshot a command reports is its member `snapshot`, whatever the command.
enum SnapshotJSON {
    /// `{"snapshot": {...}, MEMBERS...}`: what a command that acts on one snapshot prints.
    static func result(_ snapshot: Snapshot, _ members: [(key: String, value: JSONValue)] = []) -> JSONValue {
        .object([("snapshot", object(snapshot))] + members)
    }

    static func object(_ snapshot: Snapshot) -> JSONValue {
        let record = snapshot.record
        var members: [(key: String, value: JSONValue)] = [
            ("snapshot_id", .string(snapshot.id.hex)),
            ("snapshot_name", .string(record.name)),
            ("source_dataset_name", .string(snapshot.datasetName)),
            ("created_at", .string(record.createdAt.iso8601)),
            ("created_by", .string(record.createdBy)),
            ("n_images", .integer(record.nImages)),
            ("n_videos", .integer(record.nVideos)),
            ("description", .string(record.description)),
            ("reason", .string(record.reason.rawValue)),
            ("training_model_id", record.trainingModelID.map(JSONValue.string) ?? .null),
            ("training_model_name", record.trainingModelName.map(JSONValue.string) ?? .null),
            ("is_current", .bool(snapshot.isCurrent)),
            ("is_restoring", .bool(snapshot.isRestoring)),
            // dsnap's own fields, after the API's.
            ("parent_snapshot_id", snapshot.parent.map { .string($0.hex) } ?? .null),
            ("is_deleted", .bool(snapshot.isDeleted)),
        ]
        // A merge snapshot's second parent; its first is `parent_snapshot_id`.
        if let merged = snapshot.mergedParent { members.append(("merged_parent_snapshot_id", .string(merged.hex))) }
        if let dataset = record.clonedFromDataset {
            members.append(("cloned_from", .object([
                ("dataset_name", .string(dataset)),
                ("snapshot_id", record.clonedFromSnapshot.map(JSONValue.string) ?? .null),
            ])))
        }
        return .object(members)
    }
}

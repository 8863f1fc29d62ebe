/// The mutable record of a snapshot, stored as a JSON git note on `refs/notes/dsnap`.
/// Renaming rewrites the note, never the commit, so the snapshot's id stays the same.
public struct SnapshotRecord: Sendable, Equatable {
    public var name: String
    public var description: String
    public var reason: SnapshotReason
    public var nImages: Int
    public var nVideos: Int
    public var trainingModelID: String?
    public var trainingModelName: String?
    public var createdAt: Timestamp
    public var createdBy: String
    /// For a clone's first snapshot: the dataset and snapshot it was cloned from.
    public var clonedFromDataset: String?
    public var clonedFromSnapshot: String?
    /// When `dsnap delete` hid it (nil while live): `dsnap gc --prune-deleted=AGE` counts from here.
    public var deletedAt: Timestamp?
    /// When this version of the record was written (absent in records written before remotes):
    /// when two machines edited one record, the newer edit wins (`RecordMerge`).
    public var updatedAt: Timestamp?

    public init(name: String, description: String, reason: SnapshotReason, nImages: Int, nVideos: Int,
                trainingModelID: String?, trainingModelName: String?, createdAt: Timestamp, createdBy: String,
                clonedFromDataset: String? = nil, clonedFromSnapshot: String? = nil) {
        self.name = name
        self.description = description
        self.reason = reason
        self.nImages = nImages
        self.nVideos = nVideos
        self.trainingModelID = trainingModelID
        self.trainingModelName = trainingModelName
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.clonedFromDataset = clonedFromDataset
        self.clonedFromSnapshot = clonedFromSnapshot
    }

    /// The note's JSON: a fixed member order, so rewrites diff cleanly in `git log -p refs/notes/dsnap`.
    public var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("name", .string(name)),
            ("description", .string(description)),
            ("reason", .string(reason.rawValue)),
            ("n_images", .integer(nImages)),
            ("n_videos", .integer(nVideos)),
            ("training_model_id", trainingModelID.map(JSONValue.string) ?? .null),
            ("training_model_name", trainingModelName.map(JSONValue.string) ?? .null),
            ("created_at", .string(createdAt.iso8601)),
            ("created_by", .string(createdBy)),
        ]
        if let clonedFromDataset { members.append(("cloned_from_dataset", .string(clonedFromDataset))) }
        if let clonedFromSnapshot { members.append(("cloned_from_snapshot", .string(clonedFromSnapshot))) }
        if let deletedAt { members.append(("deleted_at", .string(deletedAt.iso8601))) }
        if let updatedAt { members.append(("updated_at", .string(updatedAt.iso8601))) }
        return .object(members)
    }

    /// Reads a note; nil when it is not a record dsnap wrote (the caller reports corruption).
    public init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue,
              let reasonText = json["reason"]?.stringValue, let reason = SnapshotReason(rawValue: reasonText),
              let createdText = json["created_at"]?.stringValue, let createdAt = Timestamp(iso8601: createdText)
        else { return nil }
        self.name = name
        self.description = json["description"]?.stringValue ?? ""
        self.reason = reason
        self.nImages = json["n_images"]?.intValue ?? 0
        self.nVideos = json["n_videos"]?.intValue ?? 0
        self.trainingModelID = json["training_model_id"]?.stringValue
        self.trainingModelName = json["training_model_name"]?.stringValue
        self.createdAt = createdAt
        self.createdBy = json["created_by"]?.stringValue ?? ""
        self.clonedFromDataset = json["cloned_from_dataset"]?.stringValue
        self.clonedFromSnapshot = json["cloned_from_snapshot"]?.stringValue
        self.deletedAt = json["deleted_at"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
        self.updatedAt = json["updated_at"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
    }
}

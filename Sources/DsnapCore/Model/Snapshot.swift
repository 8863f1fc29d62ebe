/// A snapshot as users see it: its commit id, its record, and its place in the dataset now.
public struct Snapshot: Sendable, Equatable {
    public let id: GitOID
    public var record: SnapshotRecord
    /// The snapshot that was current when this one was taken.
    public let parent: GitOID?
    public let tree: GitOID
    /// Name of the dataset this snapshot belongs to (`source_dataset_name`).
    public let datasetName: String
    public var isCurrent: Bool
    public var isRestoring: Bool
    public var isDeleted: Bool
    /// A merge snapshot's second parent: the snapshot merged into the first.
    public var mergedParent: GitOID? = nil

    /// The API's default name: `{dataset_name}_snapshot_{first 8 hex of the id}`.
    public static func defaultName(datasetName: String, id: GitOID) -> String {
        "\(datasetName)_snapshot_\(id.hex.prefix(8))"
    }
}

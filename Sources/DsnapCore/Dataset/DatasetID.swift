import FoundationEssentials

/// A dataset's stable identity for the API (`dataset_id`): a random UUID in `.dsnap/config`,
/// written when the dataset is made (init, clone) and, for a dataset made before dsnap had it,
/// on first use. Never derived from history: a clone of a remote shares its first snapshot with
/// the remote's other clones, and each must still have an id of its own.
extension Dataset {
    static let idKey = "dsnap.datasetid"

    /// The dataset's id, written now if it has none; throws when it has none and the config
    /// cannot be written (a dataset on a read-only mount).
    public func datasetID() throws -> String {
        if let id = try storedID() { return id }
        // Under the metadata lock and read again: two first uses at once agree on one id.
        return try MetadataLock.withLock(on: self) {
            if let id = try storedID() { return id }
            let id = UUID().uuidString.lowercased()
            try wrapGit { try repository.setConfig(Self.idKey, id) }
            return id
        }
    }

    /// The id if one is stored (a read-only look, for `status` on a dataset it must not change).
    public func storedID() throws -> String? {
        try wrapGit { try repository.configString(Self.idKey) }.flatMap { UUID(uuidString: $0) != nil ? $0 : nil }
    }
}

/// Which snapshots `dsnap log` keeps: every condition given must hold (as git's log options
/// combine). An empty filter keeps everything.
public struct SnapshotFilter: Sendable {
    /// `--reason`: any of these.
    public var reasons: Set<SnapshotReason>?
    /// `--since`, `--until`: `created_at` within, both ends included.
    public var since: Timestamp?
    public var until: Timestamp?
    /// `--author`: part of `created_by`, in any case (as `git log --author` matches).
    public var author: String?
    /// `--grep`: part of the name or the description, in any case.
    public var grep: String?
    /// `--model`: exactly this `training_model_id`.
    public var modelID: String?

    public init(reasons: Set<SnapshotReason>? = nil, since: Timestamp? = nil, until: Timestamp? = nil,
                author: String? = nil, grep: String? = nil, modelID: String? = nil) {
        self.reasons = reasons
        self.since = since
        self.until = until
        self.author = author
        self.grep = grep
        self.modelID = modelID
    }

    /// Whether autosaves are asked for by reason: then they are listed without `--all`.
    public var asksForAutosaves: Bool { reasons?.contains(.autosave) == true }

    public func matches(_ snapshot: Snapshot) -> Bool {
        let record = snapshot.record
        if let reasons, !reasons.contains(record.reason) { return false }
        if let since, record.createdAt < since { return false }
        if let until, until < record.createdAt { return false }
        if let author, !Self.contains(record.createdBy, author) { return false }
        if let grep, !Self.contains(record.name, grep) && !Self.contains(record.description, grep) { return false }
        if let modelID, record.trainingModelID != modelID { return false }
        return true
    }

    /// Substring in any case; an empty needle is in everything, as `git log --grep=` keeps all.
    private static func contains(_ text: String, _ needle: String) -> Bool {
        needle.isEmpty || text.lowercased().contains(needle.lowercased())
    }
}

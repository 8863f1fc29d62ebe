/// How a snapshot came to be, as the API's `reason` field.
public enum SnapshotReason: String, Sendable, CaseIterable {
    /// The snapshot `dsnap init` takes.
    case creation
    /// `dsnap commit`.
    case manual
    /// The first snapshot of a clone.
    case clone
    /// `dsnap merge`: a snapshot with two parents, the current one and the one merged into it.
    case merge
    /// Changes a restore discarded, saved first so nothing is lost; hidden from `log` unless `--all`.
    case autosave
}

/// An unfinished merge as `status` shows it.
public struct MergeProgress: Sendable {
    public let state: MergeState
    /// Files with conflicts that were edited since the merge wrote them: counted as resolved.
    public let editedByHand: Set<String>

    /// Conflicts neither resolved nor in a file edited by hand.
    public var open: [MergeConflict] { state.unresolved.filter { !editedByHand.contains($0.path) } }
}

/// The side a merge conflict is settled for: "ours" is the current snapshot, "theirs" the one
/// merged into it.
public enum MergeSide: String, Sendable, CaseIterable {
    case ours, theirs
}

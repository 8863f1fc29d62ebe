/// How a merge settles what both sides changed.
public struct MergeOptions: Sendable, Equatable {
    /// Match array elements that are objects by this member (`--array-key`).
    public var arrayKey: String?
    /// Settle every conflict this way up front (`--prefer`).
    public var prefer: MergeSide?

    public init(arrayKey: String? = nil, prefer: MergeSide? = nil) {
        self.arrayKey = arrayKey
        self.prefer = prefer
    }
}

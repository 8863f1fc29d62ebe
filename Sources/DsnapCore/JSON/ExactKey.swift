/// A string compared byte for byte. Swift's `String ==` (and so `Set<String>` and dictionary
/// keys) treats canonically equivalent texts as equal (`"é"` composed or decomposed), but JSON
/// compares strings scalar by scalar, and a diff must see that change.
public struct ExactKey: Hashable, Sendable {
    public let string: String

    public init(_ string: String) {
        self.string = string
    }

    public static func == (lhs: ExactKey, rhs: ExactKey) -> Bool {
        lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        // One call over the contiguous UTF-8 bytes (native strings), byte by byte otherwise.
        let hashed: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil {
            for byte in string.utf8 { hasher.combine(byte) }
        }
    }
}

extension String {
    /// Equal scalar for scalar (not merely canonically equivalent).
    func isIdentical(to other: String) -> Bool {
        utf8.elementsEqual(other.utf8)
    }
}

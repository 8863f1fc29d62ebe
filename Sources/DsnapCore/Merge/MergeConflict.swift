/// A file as one side of a merge has it: its blob and mode.
public struct MergeFileVersion: Sendable, Equatable {
    public let id: GitOID
    public let mode: UInt32

    public init(id: GitOID, mode: UInt32) {
        self.id = id
        self.mode = mode
    }
}

/// One conflict of a merge as `status` lists it: a JSON field both sides changed differently, or
/// a whole file (media changed on both sides, a file removed on one side and changed on the
/// other, a sidecar that is not valid JSON on some side).
public struct MergeConflict: Sendable, Equatable {
    /// A side's value: a JSON value for a field, a blob for a whole file.
    public enum Value: Sendable, Equatable {
        case json(JSONValue)
        case file(MergeFileVersion)
    }

    public let path: String
    /// The field (RFC 6901) in the merged file; nil for the whole file.
    public let pointer: String?
    /// Its number among the file's conflicts (see `JSONConflict.ordinal`); 0 for a whole file.
    public let ordinal: Int
    /// Each side's value; nil where that side has none.
    public let base: Value?
    public let ours: Value?
    public let theirs: Value?
    /// The side the merged file holds once settled; nil while unresolved (it holds ours).
    public var resolution: MergeSide?
    /// For a whole file, why it could not merge field by field.
    public let reason: String?

    /// How `--resolve` names it: `PATH`, or `PATH#POINTER` for a field.
    public var selector: String { pointer.map { path + "#" + $0 } ?? path }

    public init(path: String, pointer: String?, ordinal: Int, base: Value?, ours: Value?, theirs: Value?,
                resolution: MergeSide?, reason: String?) {
        self.path = path
        self.pointer = pointer
        self.ordinal = ordinal
        self.base = base
        self.ours = ours
        self.theirs = theirs
        self.resolution = resolution
        self.reason = reason
    }
}

/// Who made a commit and when, as a value (the libgit2 signature is built only when writing).
public struct GitSignature: Sendable, Equatable {
    public var name: String
    public var email: String
    /// Seconds since the epoch.
    public var time: Int64
    /// Offset from UTC in minutes.
    public var offsetMinutes: Int32

    public init(name: String, email: String, time: Int64, offsetMinutes: Int32 = 0) {
        self.name = name
        self.email = email
        self.time = time
        self.offsetMinutes = offsetMinutes
    }
}

/// A commit's fields copied out of libgit2.
public struct GitCommitInfo: Sendable {
    public let id: GitOID
    public let tree: GitOID
    public let parents: [GitOID]
    public let author: GitSignature
    public let message: String
}

/// One entry of a tree, read recursively: `path` is relative to the tree's root, `/`-separated.
public struct GitTreeEntry: Sendable, Equatable {
    public enum Kind: Sendable { case blob, executable, symlink, tree, submodule }
    public let path: String
    public let kind: Kind
    public let id: GitOID
}

/// Turns the work tree into a tree object: the seam behind which dsnap's writer lives.
/// Two stand behind it: `FastSnapshotWriter`, dsnap's own, which commands use, and
/// `IndexSnapshotWriter`, libgit2's index; the operations that call it need not know which.
public protocol SnapshotWriter {
    /// Records every file of the work tree that is not ignored as a tree, leaving the index
    /// matching that tree (so the next status is a stat comparison, not a rehash).
    func writeTree(of dataset: Dataset, progress: ProgressSink?) throws -> WrittenTree
}

/// What a snapshot writer produced.
public struct WrittenTree: Sendable, Equatable {
    public let tree: GitOID
    public let counts: MediaCounts
    public let fileCount: Int
    /// Folders left out because they are git repositories of their own (their files cannot be
    /// stored as plain files); the CLI warns about them.
    public let skippedRepositories: [String]
    /// Fifos, sockets and devices left out (they are not content), with what each is; the CLI
    /// warns about them.
    public var skippedSpecialFiles: [(path: String, kind: String)] = []

    public static func == (left: WrittenTree, right: WrittenTree) -> Bool {
        left.tree == right.tree && left.counts == right.counts && left.fileCount == right.fileCount
            && left.skippedRepositories == right.skippedRepositories
            && left.skippedSpecialFiles.elementsEqual(right.skippedSpecialFiles) { $0 == $1 }
    }
}

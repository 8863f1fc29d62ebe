/// Makes the work tree match a tree object: the seam behind which dsnap's checkout lives (the
/// counterpart of `SnapshotWriter`). Used by restore and clone.
public protocol WorkTreeCheckout {
    /// Writes what differs from `tree`, removes what `tree` lacks (ignored files stay), and leaves
    /// the index matching `tree` with fresh stat data. The caller holds the dataset's lock and has
    /// ensured the index matches the work tree's last snapshot.
    func checkout(_ tree: GitOID, in dataset: Dataset, progress: ProgressSink?) throws -> CheckoutStats
}

/// What a checkout did.
public struct CheckoutStats: Sendable, Equatable {
    public var filesWritten = 0
    public var filesRemoved = 0
    public var bytesWritten: Int64 = 0
    public init() {}
}

/// A tree path that would write outside the work tree or into `.dsnap`.
public enum CheckoutError: DsnapError, Equatable {
    case unsafePath(String)
    /// A directory stands where the snapshot has a file, and it holds files dsnap must keep (ignored ones).
    case directoryInTheWay(String)

    public var message: String {
        switch self {
        case let .unsafePath(path): return "refusing unsafe path '\(path)' in the snapshot"
        case let .directoryInTheWay(path): return "cannot replace directory '\(path)' with a file: it is not empty"
        }
    }

    public var hint: String? {
        switch self {
        case .unsafePath: return "the snapshot names a path outside the dataset or inside .dsnap; nothing was written"
        case .directoryInTheWay: return "move the ignored files out of that directory and run the command again"
        }
    }
}

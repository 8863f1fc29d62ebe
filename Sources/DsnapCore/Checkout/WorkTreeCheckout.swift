/// Makes the work tree match a tree object: the seam behind which dsnap's checkout lives (the
/// counterpart of `SnapshotWriter`). Used by restore and clone.
///
/// Two steps, so every check runs before anything is written: `plan` finds what differs and
/// refuses unsafe paths; `apply` writes.
public protocol WorkTreeCheckout {
    /// What differs between the work tree and `tree`, checked; writes nothing. `workTreeMatchesIndex`
    /// (the caller checked it) lets the plan compare `tree` with the index alone, without reading
    /// the work tree again. `paths` (folders or files from the dataset folder; empty: all) limits
    /// the plan to them, for a partial restore; the whole tree is checked all the same.
    func plan(_ tree: GitOID, in dataset: Dataset, workTreeMatchesIndex: Bool, paths: [String]) throws -> CheckoutPlan
    /// Writes what differs, removes what the tree lacks (ignored files stay), and leaves the index
    /// matching the tree with fresh stat data. The caller holds the dataset's lock.
    func apply(_ plan: CheckoutPlan, in dataset: Dataset, progress: ProgressSink?) throws -> CheckoutStats
}

extension WorkTreeCheckout {
    /// The plan for the whole tree.
    public func plan(_ tree: GitOID, in dataset: Dataset, workTreeMatchesIndex: Bool) throws -> CheckoutPlan {
        try plan(tree, in: dataset, workTreeMatchesIndex: workTreeMatchesIndex, paths: [])
    }

    /// Plans and applies at once.
    public func checkout(_ tree: GitOID, in dataset: Dataset, workTreeMatchesIndex: Bool,
                         progress: ProgressSink?) throws -> CheckoutStats {
        try apply(try plan(tree, in: dataset, workTreeMatchesIndex: workTreeMatchesIndex), in: dataset,
                  progress: progress)
    }
}

/// The files a checkout will remove and write, all of them checked safe.
public struct CheckoutPlan: Sendable {
    public let tree: GitOID
    /// Work tree paths the tree lacks.
    let removals: [String]
    /// Paths to write, with the blob and mode the tree has for them.
    let writes: [(path: String, id: GitOID, mode: UInt32)]
    /// The content size of the files to write, for the progress line.
    public let bytesTotal: Int64

    public var fileCount: Int { removals.count + writes.count }
}

/// What a checkout did.
public struct CheckoutStats: Sendable, Equatable {
    public var filesWritten = 0
    public var filesRemoved = 0
    public var bytesWritten: Int64 = 0
    public init() {}
}

/// A snapshot tree a checkout refuses before writing anything, or a work tree it cannot change.
public enum CheckoutError: DsnapError, Equatable {
    /// A tree path that would write outside the work tree or into `.dsnap` or a `.git`.
    case unsafePath(String)
    /// A tree entry no dsnap (or git) writes: a duplicate, a file and a folder of one name, a
    /// gitlink, an unknown mode, entries out of order. `problem` completes "it ...".
    case malformedEntry(path: String, problem: String)
    /// A directory stands where the snapshot has a file, and it holds files dsnap must keep (ignored ones).
    case directoryInTheWay(String)
    /// A snapshot path holding a name longer than file systems allow (git's trees have no
    /// limit; a path of any length is written, folder by folder).
    case nameTooLong(path: String, limit: Int)
    /// A snapshot path inside more folders than dsnap can read back (`PathLimit.nestedFolders`).
    case nestedTooDeep(path: String, limit: Int)

    public var kind: ErrorKind {
        switch self {
        case .unsafePath, .malformedEntry, .nameTooLong, .nestedTooDeep: .forbidden
        case .directoryInTheWay: .conflict
        }
    }

    public var message: String {
        switch self {
        case let .unsafePath(path): return "refusing unsafe path '\(path)' in the snapshot"
        case let .malformedEntry(path, problem): return "refusing malformed snapshot entry '\(path)': it \(problem)"
        case let .directoryInTheWay(path): return "cannot replace directory '\(path)' with a file: it is not empty"
        case let .nameTooLong(path, limit):
            return "cannot write '\(path)': a name in it is longer than \(limit) bytes"
        case let .nestedTooDeep(path, limit):
            return "cannot write '\(path)': it is inside more than \(limit) nested folders"
        }
    }

    public var hint: String? {
        switch self {
        case .unsafePath: return "the snapshot names a path outside the dataset or inside .dsnap; nothing was written"
        case .malformedEntry:
            return "the snapshot was not written by dsnap or git as it stands; nothing was written and the dataset is unchanged"
        case .directoryInTheWay:
            return "move the ignored files out of that directory, then run 'dsnap restore --continue'"
        case .nestedTooDeep:
            return "libgit2, which dsnap reads the work tree with, stops there, and the file could not be snapshotted again; nothing was written"
        case .nameTooLong:
            return "file systems limit each file or folder name to \(PathLimit.nameBytes) bytes; nothing was written"
        }
    }
}

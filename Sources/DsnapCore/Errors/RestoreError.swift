/// Why a restore (or an operation that must wait for one) cannot go ahead.
public enum RestoreError: DsnapError, Equatable {
    /// The work tree has changes that a restore would discard; `paths` are the first few.
    case uncommittedChanges(paths: [String], total: Int)
    /// A partial restore's paths have changes it would discard; `paths` are the first few.
    case uncommittedChangesInPaths(paths: [String], total: Int)
    /// A restore was interrupted and must be finished before anything else changes the dataset.
    case interrupted(target: String)
    /// `restore --continue` with no interrupted restore.
    case nothingToContinue
    /// The machine restarted before files a restore or clone wrote were flushed: they may be damaged.
    case unsyncedBeforeRestart(operation: String)

    public var kind: ErrorKind {
        switch self {
        case .uncommittedChanges, .uncommittedChangesInPaths, .interrupted, .unsyncedBeforeRestart: .conflict
        case .nothingToContinue: .notFound
        }
    }

    public var message: String {
        switch self {
        case let .uncommittedChanges(_, total):
            return "the dataset has \(total) uncommitted change\(total == 1 ? "" : "s") that restore would discard"
        case let .uncommittedChangesInPaths(_, total):
            return "the paths to restore have \(total) uncommitted change\(total == 1 ? "" : "s") that restore would discard"
        case let .interrupted(target):
            return "a restore to snapshot '\(target.prefix(12))' was interrupted and is not finished"
        case .nothingToContinue:
            return "no interrupted restore to continue"
        case let .unsyncedBeforeRestart(operation):
            return "the machine restarted before the files written by '\(operation)' were safely on disk"
        }
    }

    public var hint: String? {
        switch self {
        case let .uncommittedChanges(paths, total):
            let more = total > paths.count ? ["  ... and \(total - paths.count) more"] : []
            return (["changed:"] + paths.map { "  " + $0 } + more
                + ["run 'dsnap commit' to keep them, or 'dsnap restore --discard SNAP' (they are autosaved first)"])
                .joined(separator: "\n")
        case let .uncommittedChangesInPaths(paths, total):
            let more = total > paths.count ? ["  ... and \(total - paths.count) more"] : []
            return (["changed:"] + paths.map { "  " + $0 } + more
                + ["run 'dsnap commit' to keep them, or 'dsnap restore --discard SNAP -- PATH...' (the work tree is autosaved first)"])
                .joined(separator: "\n")
        case .interrupted:
            return "run 'dsnap restore --continue' to finish it"
        case .nothingToContinue:
            return "run 'dsnap status' to see the dataset's state"
        case .unsyncedBeforeRestart:
            return "run 'dsnap restore current' to check every file's content and rewrite damaged ones (changes are autosaved first)"
        }
    }
}

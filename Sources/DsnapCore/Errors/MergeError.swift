/// Why a merge (or an operation that must wait for one) cannot go ahead.
public enum MergeError: DsnapError, Equatable {
    /// A merge is unfinished (conflicts to resolve, or interrupted): `theirs` is what it merges.
    case inProgress(theirs: String, interrupted: Bool)
    /// `merge --continue`, `--abort` or `--resolve` with no merge under way.
    case nothingInProgress(action: String)
    /// The work tree has changes that the merge would overwrite; `paths` are the first few.
    case uncommittedChanges(paths: [String], total: Int)
    /// The dataset has no current snapshot to merge into.
    case noCurrentSnapshot
    /// The two snapshots share no history, and neither is a clone of the other's.
    case noCommonSnapshot(ours: String, theirs: String)
    /// `merge --continue` while conflicts are left; `files` are the first few.
    case unresolved(count: Int, files: [String])
    /// `--resolve` named a file or pointer that has no conflict.
    case noSuchConflict(String)
    /// `--resolve` would overwrite a file edited by hand since the merge wrote it.
    case editedByHand(path: String)
    /// `merge --resolve` while the merge is interrupted half-way through writing files.
    case interruptedWhileResolving

    public var kind: ErrorKind {
        switch self {
        case .inProgress, .uncommittedChanges, .noCommonSnapshot, .unresolved, .editedByHand, .interruptedWhileResolving:
            .conflict
        case .nothingInProgress, .noCurrentSnapshot, .noSuchConflict: .notFound
        }
    }

    public var message: String {
        switch self {
        case let .inProgress(theirs, interrupted):
            return interrupted ? "a merge of snapshot '\(theirs.prefix(12))' was interrupted and is not finished"
                : "a merge of snapshot '\(theirs.prefix(12))' is in progress"
        case let .nothingInProgress(action):
            return "no merge in progress to \(action)"
        case let .uncommittedChanges(_, total):
            return "the dataset has \(total) uncommitted change\(total == 1 ? "" : "s") that the merge would overwrite"
        case .noCurrentSnapshot:
            return "the dataset has no current snapshot to merge into"
        case let .noCommonSnapshot(ours, theirs):
            return "snapshots '\(ours.prefix(12))' and '\(theirs.prefix(12))' have no snapshot in common to merge from"
        case let .unresolved(count, _):
            return "\(count) conflict\(count == 1 ? " is" : "s are") not resolved"
        case let .noSuchConflict(selector):
            return "no unresolved conflict at '\(selector)'"
        case let .editedByHand(path):
            return "'\(path)' was edited since the merge wrote it: resolving it would overwrite the edit"
        case .interruptedWhileResolving:
            return "the merge was interrupted while writing files"
        }
    }

    public var hint: String? {
        switch self {
        case let .inProgress(_, interrupted):
            return interrupted ? "run 'dsnap merge --continue' to finish it, or 'dsnap merge --abort' to go back"
                : "resolve its conflicts ('dsnap status' lists them) and run 'dsnap merge --continue', or 'dsnap merge --abort'"
        case .nothingInProgress:
            return "run 'dsnap status' to see the dataset's state"
        case let .uncommittedChanges(paths, total):
            let more = total > paths.count ? ["  ... and \(total - paths.count) more"] : []
            return (["changed:"] + paths.map { "  " + $0 } + more
                + ["run 'dsnap commit' to keep them, or 'dsnap merge --discard SNAP' (they are autosaved first)"])
                .joined(separator: "\n")
        case .noCurrentSnapshot:
            return "run 'dsnap commit' to take a snapshot first"
        case .noCommonSnapshot:
            return "merge works between a dataset and its clones, or snapshots fetched from a shared remote"
        case let .unresolved(_, files):
            return (["in: " + files.joined(separator: ", "),
                     "run 'dsnap merge --resolve ours|theirs [-- PATH[#POINTER]...]', or edit the files, then 'dsnap merge --continue'"])
                .joined(separator: "\n")
        case .noSuchConflict:
            return "run 'dsnap status' to list the conflicts (PATH, or PATH#POINTER with a JSON Pointer)"
        case .editedByHand:
            return "a file edited by hand counts as resolved: run 'dsnap merge --continue' to keep the edit, or 'dsnap merge --abort' to start over"
        case .interruptedWhileResolving:
            return "run 'dsnap merge --continue' to finish writing them, or 'dsnap merge --abort' to go back"
        }
    }
}

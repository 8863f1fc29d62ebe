/// A path that differs between the current snapshot and the work tree.
public struct WorkTreeChange: Sendable, Equatable {
    /// The words of `diff`, so `status` and `diff` name a change the same way (status never
    /// reports a rename: the work tree side has no history to pair paths with).
    public typealias Kind = FileDiffStatus
    public let path: String
    public let kind: Kind
    public let fileClass: FileClass
}

/// The dataset's state as the API's dataset status names it.
public enum DatasetState: Sendable, Equatable {
    case ready
    /// A restore is running: reads work, changes are refused.
    case readOnly(restoring: GitOID)
    /// `dsnap run` runs `command` over the dataset: reads work, changes are refused.
    case busy(command: String)
    /// An operation was interrupted; `fix` says what finishes or rolls it back.
    case error(problem: String, fix: String)

    public var name: String {
        switch self {
        case .ready: return "Ready"
        case .readOnly: return "Read Only"
        case .busy: return "Busy"
        case .error: return "Error"
        }
    }
}

/// What `dsnap status` reports.
public struct DatasetStatus: Sendable {
    public let datasetName: String
    /// The dataset's `dataset_id`; nil on a dataset made before dsnap had one that cannot be written.
    public let datasetID: String?
    public let root: String
    public let state: DatasetState
    /// The exclusive operation running now (commit, restore, ...), if any.
    public let running: LockHolder?
    public let current: Snapshot?
    public let changes: [WorkTreeChange]
    /// The unfinished merge, with its conflicts.
    public var merge: MergeProgress? = nil
}

/// `dsnap status`: never takes a lock and never writes, but for the dataset's id on its first
/// use in a dataset made before dsnap had one.
public enum ReadStatus {
    public static func run(in dataset: Dataset) throws -> DatasetStatus {
        let catalog = SnapshotCatalog(dataset: dataset)
        let running = DatasetLock.runningOperation(in: dataset)
        let current = try catalog.currentID().map { try catalog.snapshot($0) }
        let id = (try? dataset.datasetID()) ?? (try? dataset.storedID()) ?? nil
        return DatasetStatus(datasetName: dataset.name, datasetID: id, root: dataset.root,
                             state: state(in: dataset, running: running), running: running, current: current,
                             changes: try changes(in: dataset, since: current?.tree),
                             merge: try MergeSnapshot.progress(in: dataset))
    }

    /// Paths that differ between the current snapshot and the work tree (ignored files aside).
    /// The index serves as a stat cache: only files whose stat changed are hashed.
    /// `knownChanged`: the caller's own stat check just failed, so it is not run again.
    public static func changes(in dataset: Dataset, knownChanged: Bool = false) throws -> [WorkTreeChange] {
        let current = try SnapshotCatalog(dataset: dataset).currentID()
        return try changes(in: dataset, since: try current.map { id in
            try dataset.wrapGit { try dataset.repository.commit(id).tree }
        }, knownChanged: knownChanged)
    }

    /// Paths that differ between `tree` (the current snapshot's, known to the caller) and the work
    /// tree, limited to `paths` (folders or files; empty: everywhere).
    static func changes(in dataset: Dataset, since tree: GitOID?, knownChanged: Bool = false,
                        paths: [String] = []) throws -> [WorkTreeChange] {
        // The common case, answered by stat alone on every core: nothing changed since the index
        // was written, and the index holds the current snapshot's tree.
        // After a restart that may have lost restored files, stat data proves nothing: every file is read.
        let statDataTrusted = UnsyncedWorkTree.fromEarlierBoot(gitDir: dataset.gitDir).isEmpty
        if statDataTrusted, !knownChanged, let tree, StatCacheCheck.clean(dataset)?.cachedRootTree == tree {
            // The tree itself is not read on this path: a missing one must not pass for clean.
            try dataset.wrapGit { try dataset.repository.requireObject(tree) }
            return []
        }
        // Past the fast path (whose index read in place has no bits that hide an edit).
        try dataset.ensureTrustworthyIndex()
        let deltas = try WorkTreeDiff.fromTree(tree, in: dataset, paths: paths, trustingIndex: statDataTrusted)
        return deltas.compactMap { delta in
            let path = delta.status == .deleted ? delta.oldPath : delta.newPath
            // A trailing slash marks a folder that is a git repository of its own: never snapshotted.
            guard !Dataset.isInternalPath(path), !path.hasSuffix("/") else { return nil }
            let kind: WorkTreeChange.Kind
            switch delta.status {
            case .added: kind = .added
            case .deleted: kind = .removed
            case .modified, .renamed: kind = .modified
            case .typeChanged: kind = .typeChanged
            }
            return WorkTreeChange(path: path, kind: kind, fileClass: FileClass(path: path))
        }
    }

    /// True when the work tree, the index and the current snapshot all agree: one stat pass over
    /// the work tree and a comparison of the snapshot's tree with the index. The common case,
    /// and then restore need not read the work tree again.
    static func workTreeMatchesIndexAndCurrent(in dataset: Dataset) throws -> Bool {
        let repository = dataset.repository
        let current = try SnapshotCatalog(dataset: dataset).currentID().map { id in
            try dataset.wrapGit { try repository.commit(id).tree }
        }
        if let current, StatCacheCheck.clean(dataset)?.cachedRootTree == current {
            try dataset.wrapGit { try repository.requireObject(current) }
            return true
        }
        try dataset.ensureTrustworthyIndex()
        let index = try dataset.wrapGit { try repository.index() }
        guard try WorkTreeDiff.fromIndex(index, in: dataset).allSatisfy({ delta in
            Dataset.isInternalPath(delta.newPath) || delta.newPath.hasSuffix("/")
        }) else { return false }
        return try dataset.wrapGit { try repository.diffTreeToIndex(current, index) }.isEmpty
    }

    /// Ready; Read Only while a restore runs; Busy while `dsnap run` runs a program; Error when a
    /// restore was interrupted, or when the machine restarted before files a restore or clone
    /// wrote were on disk.
    /// The dataset's state alone, without comparing its files: what a list of datasets shows.
    public static func state(in dataset: Dataset) -> DatasetState {
        state(in: dataset, running: DatasetLock.runningOperation(in: dataset))
    }

    static func state(in dataset: Dataset, running: LockHolder?) -> DatasetState {
        guard let target = RestoreMarker.target(in: dataset) else {
            guard let lost = UnsyncedWorkTree.fromEarlierBoot(gitDir: dataset.gitDir).first else {
                if let command = running?.runCommand { return .busy(command: command) }
                if running == nil, let merge = try? MergeState.read(in: dataset), merge.phase == .applying {
                    return .error(problem: "a merge of snapshot '\(merge.theirs.short)' was interrupted while writing files",
                                  fix: "run 'dsnap merge --continue' to finish it, or 'dsnap merge --abort' to go back")
                }
                return .ready
            }
            return .error(problem: "the machine restarted before the files written by '\(lost.operation)' were safely on disk",
                          fix: "run 'dsnap restore current' to check every file's content and rewrite damaged ones (changes are autosaved first)")
        }
        if running != nil { return .readOnly(restoring: target) }
        return .error(problem: "a restore to snapshot '\(target.short)' was interrupted",
                      fix: "run 'dsnap restore --continue' to finish it")
    }
}

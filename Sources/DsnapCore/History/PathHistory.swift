/// One snapshot of `dsnap log -- PATH...` and how it changed those paths from its parent.
public struct PathHistoryEntry: Sendable {
    public let snapshot: Snapshot
    public let files: [FileDiff]
}

/// `dsnap log -- PATH...`: the listed snapshots in which files under those paths changed since
/// their parent (the first one; the empty dataset for a snapshot without one). Each snapshot
/// costs one tree diff limited to the paths, so only their subtrees are read.
public enum PathHistory {
    public static func run(in dataset: Dataset, paths: [String], selection: HistorySelection) throws
        -> [PathHistoryEntry] {
        let repository = dataset.repository
        var entries: [PathHistoryEntry] = []
        for snapshot in try SnapshotCatalog(dataset: dataset).snapshots(selection.listing) {
            guard !selection.isFull(entries.count) else { break }
            guard selection.admits(snapshot) else { continue }
            let parentTree = try snapshot.parent.map { parent in
                try dataset.wrapGit { try repository.commit(parent).tree }
            }
            let deltas = try dataset.wrapGit { try repository.diffTrees(parentTree, snapshot.tree, paths: paths) }
            let files = deltas.compactMap(FileDiff.init(delta:))
            if !files.isEmpty { entries.append(PathHistoryEntry(snapshot: snapshot, files: files)) }
        }
        return entries
    }
}

extension FileDiff {
    /// The file as `diff` reports it, without field changes; nil for dsnap's own files.
    init?(delta: GitFileDelta) {
        let status: FileDiffStatus
        switch delta.status {
        case .added: status = .added
        case .deleted: status = .removed
        case .modified: status = .modified
        case .renamed: status = .renamed
        case .typeChanged: status = .typeChanged
        }
        let path = status == .removed ? delta.oldPath : delta.newPath
        guard !Dataset.isInternalPath(path), !path.hasSuffix("/") else { return nil }
        self.init(path: path, oldPath: status == .renamed ? delta.oldPath : nil, status: status,
                  fileClass: FileClass(path: path), changes: [], comparedAsJSON: false)
    }
}

/// The snapshot writer on libgit2's index: `add_all` + `update_all` + `write_tree`. It hashes only
/// files whose stat changed since the last snapshot, and compresses every new blob with zlib.
public struct IndexSnapshotWriter: SnapshotWriter {
    public init() {}

    public func writeTree(of dataset: Dataset, progress: ProgressSink?) throws -> WrittenTree {
        try dataset.wrapGit {
            // Holding the dataset lock, an index.lock can only be a killed writer's leftover.
            MetadataLock.removeStaleLockFile(dataset.gitDir + "/index.lock")
            let index = try dataset.repository.index()
            try index.addAll(filter: { !Dataset.isInternalPath($0) }, onVisit: { visited in
                progress?.report(OperationProgress(phase: "scanning files", filesDone: visited))
            })
            // A `.gitignore` in the dataset could re-include `.dsnap`: it is never snapshotted.
            for path in index.regularFilePaths where Dataset.isInternalPath(path) {
                try index.remove(path: path)
            }
            let tree = try index.writeTree()
            try index.write()
            let paths = index.regularFilePaths
            return WrittenTree(tree: tree, counts: MediaCounts(paths: paths), fileCount: index.entryCount)
        }
    }
}

/// `dsnap fetch`: the remote's catalog (snapshots, records, tombstones) merged into the
/// dataset's. The work tree and the current snapshot are never touched.
public enum FetchCatalog {
    public struct Result: Sendable {
        public let remote: String
        public let url: String
        public let merge: CatalogMergeReport
        /// The remote's current snapshot (what its last push made current), if it has one.
        public let remoteCurrent: GitOID?
    }

    /// `allowUnrelated`: fetch even from a remote that holds another dataset (no snapshot in
    /// common), merging the two catalogs.
    public static func run(remote name: String, in dataset: Dataset, context: OperationContext,
                           allowUnrelated: Bool = false, progress: ProgressSink? = nil) throws -> Result {
        let lock = try DatasetLock.acquire(.shared, on: dataset, command: "fetch \(name)", context: context)
        defer { withExtendedLifetime(lock) {} }
        return try fetchAndMerge(name, in: dataset, context: context, allowUnrelated: allowUnrelated, progress: progress)
    }

    /// The fetch itself, for callers that hold the dataset lock already (push, pull).
    static func fetchAndMerge(_ name: String, in dataset: Dataset, context: OperationContext, allowUnrelated: Bool,
                              progress: ProgressSink?) throws -> Result {
        let session = try RemoteSession(name: name, in: dataset)
        try session.fetch(into: dataset, progress: progress, allowUnrelated: allowUnrelated)
        progress?.finish()
        let merge = try CatalogMerge.run(session.refs, in: dataset, context: context)
        let current = try dataset.wrapGit { try dataset.repository.resolve(reference: session.refs.current) }
        return Result(remote: name, url: session.url, merge: merge, remoteCurrent: current)
    }
}

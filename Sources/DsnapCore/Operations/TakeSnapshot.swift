/// What to record when taking a snapshot (`dsnap commit`, and the one `dsnap init` takes).
public struct SnapshotRequest: Sendable {
    public var name: String?
    public var description: String
    public var reason: SnapshotReason
    public var trainingModelID: String?
    public var trainingModelName: String?
    public var author: Identity?

    public init(name: String? = nil, description: String = "", reason: SnapshotReason = .manual,
                trainingModelID: String? = nil, trainingModelName: String? = nil, author: Identity? = nil) {
        self.name = name
        self.description = description
        self.reason = reason
        self.trainingModelID = trainingModelID
        self.trainingModelName = trainingModelName
        self.author = author
    }
}

/// The snapshot just taken, and whether the work tree had changed since the previous one.
public struct SnapshotResult: Sendable {
    public let snapshot: Snapshot
    /// Folders left out because they are git repositories of their own.
    public var skippedRepositories: [String] = []
    /// Fifos, sockets and devices left out, with what each is.
    public var skippedSpecialFiles: [(path: String, kind: String)] = []
    /// Files in the snapshot.
    public var fileCount = 0
    /// The snapshot that was current before, if any.
    public let previous: GitOID?
    /// True when the content equals the previous snapshot's: a named checkpoint of the same data.
    public let unchanged: Bool
}

/// Takes a snapshot of the whole work tree and makes it current. The caller holds the dataset's
/// exclusive lock.
public enum TakeSnapshot {
    public static func run(_ request: SnapshotRequest, in dataset: Dataset, writer: SnapshotWriter,
                           context: OperationContext, progress: ProgressSink? = nil) throws -> SnapshotResult {
        try validate(request, in: dataset)
        // Holding the exclusive lock, lock files on our refs are leftovers of a killed dsnap.
        for ref in ["HEAD", Dataset.branch] { StaleGitLock.remove(dataset.gitDir + "/" + ref + ".lock") }
        // An autosave runs inside a restore, which settled these already.
        if request.reason != .autosave { UnsyncedWorkTree.settle(root: dataset.root, gitDir: dataset.gitDir) }
        let written = try writer.writeTree(of: dataset, progress: progress)
        var result = try record(tree: written.tree, counts: written.counts, request: request, in: dataset,
                                context: context)
        result.skippedRepositories = written.skippedRepositories
        result.skippedSpecialFiles = written.skippedSpecialFiles
        result.fileCount = written.fileCount
        return result
    }

    /// The checks `run` makes before writing anything, for callers that must know before they
    /// start (a refused snapshot is not a task).
    public static func validate(_ request: SnapshotRequest, in dataset: Dataset) throws {
        if let name = request.name, name.isEmpty { throw SnapshotError.invalidName("the name is empty") }
        if let pending = RestoreMarker.target(in: dataset), request.reason != .autosave {
            throw RestoreError.interrupted(target: pending.hex)
        }
        if let lost = UnsyncedWorkTree.fromEarlierBoot(gitDir: dataset.gitDir).first, request.reason != .autosave {
            throw RestoreError.unsyncedBeforeRestart(operation: lost.operation)
        }
    }

    /// Records `tree` (already written, and matching the index) as a new snapshot and makes it
    /// current. Clone uses it directly: its checkout already wrote the index.
    static func record(tree: GitOID, counts: MediaCounts, request: SnapshotRequest, in dataset: Dataset,
                       context: OperationContext, clonedFrom: (dataset: String, snapshot: GitOID)? = nil)
        throws -> SnapshotResult {
        let catalog = SnapshotCatalog(dataset: dataset)
        let repository = dataset.repository
        // The parent, loaded once: its tree says whether anything changed, its date bounds ours.
        let parent = try catalog.currentID().map { try catalog.snapshot($0) }
        let previous = parent?.id
        let identity = Identity.resolve(explicit: request.author, repository: repository,
                                        environment: context.environment)
        // A snapshot is never older than its parent, even with a fixed or skewed clock, so
        // "newest first" always agrees with the order snapshots were taken in.
        let parentCreated = parent?.record.createdAt
        let createdAt = max(context.now(), parentCreated.map { Timestamp(microseconds: $0.microseconds + 1) }
                                ?? context.now())
        let signature = GitSignature(name: identity.name, email: identity.email, time: createdAt.seconds)

        // The commit message carries the name and description given at creation, for plain git
        // readers; the record in the note is what dsnap reads and what `update` rewrites.
        var message = request.name ?? "\(dataset.name) snapshot"
        if !request.description.isEmpty { message += "\n\n" + request.description }
        message += "\n\nDsnap-Reason: \(request.reason.rawValue)\n"

        let id = try dataset.wrapGit {
            try repository.createCommit(tree: tree, parents: previous.map { [$0] } ?? [],
                                        author: signature, committer: signature, message: message,
                                        updateReference: nil)
        }
        let record = SnapshotRecord(
            name: request.name ?? Snapshot.defaultName(datasetName: dataset.name, id: id),
            description: request.description, reason: request.reason, nImages: counts.images,
            nVideos: counts.videos, trainingModelID: request.trainingModelID,
            trainingModelName: request.trainingModelName, createdAt: createdAt, createdBy: identity.email,
            clonedFromDataset: clonedFrom?.dataset, clonedFromSnapshot: clonedFrom?.snapshot.hex)

        // Order matters for crashes: objects durable first, then the record and the snapshot's own
        // ref, HEAD last, so a process killed (or a machine losing power) half-way leaves either
        // the old current snapshot or the new one, complete.
        if let parent, parent.tree == tree {
            // The content is the parent's, durable since the parent was taken: only the commit is new.
            let path = id.looseObjectPath(in: dataset.gitDir + "/objects")
            try FileSystemSync.sync(paths: [path.file, path.folder])
        } else {
            try FileSystemSync.sync(containing: dataset.gitDir)
        }
        try MetadataLock.withLock(on: dataset) {
            try catalog.writeRecord(record, for: id, identity: identity, context: context)
        }
        try dataset.wrapGit {
            try repository.setReference(SnapshotCatalog.snapshotRefPrefix + id.hex, to: id,
                                        message: "dsnap: \(request.reason.rawValue)")
            try repository.setReference(Dataset.branch, to: id, message: "dsnap: \(request.reason.rawValue)")
        }
        return SnapshotResult(snapshot: try catalog.snapshot(id), previous: previous,
                              unchanged: parent?.tree == tree)
    }
}

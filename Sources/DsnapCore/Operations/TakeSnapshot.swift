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

/// Takes a snapshot of the whole work tree and makes it current.
public enum TakeSnapshot {
    /// `dsnap commit` whole, as any caller runs it: under the dataset's exclusive lock, the
    /// request checked before anything is written, the snapshot recorded as a task.
    public static func perform(_ request: SnapshotRequest, in dataset: Dataset, writer: SnapshotWriter,
                               context: OperationContext, progress: ProgressSink? = nil) throws -> SnapshotResult {
        let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: "commit", context: context)
        defer { withExtendedLifetime(lock) {} }
        return try recorded(request, in: dataset, writer: writer, context: context, progress: progress)
    }

    /// Takes the snapshot as a CREATE task of the journal, its progress forwarded to `progress`
    /// (whose display is finished before this returns); a request `validate` refuses is no task.
    /// The caller holds the exclusive lock.
    static func recorded(_ request: SnapshotRequest, in dataset: Dataset, writer: SnapshotWriter,
                         context: OperationContext, progress: ProgressSink?) throws -> SnapshotResult {
        try validate(request, in: dataset)
        let recorder = TaskRecorder(type: .create, snapshotID: nil, datasetName: dataset.name, gitDir: dataset.gitDir,
                                    context: context, forward: progress)
        defer { recorder.finish() }
        return try recorder.run(context: context) {
            let result = try run(request, in: dataset, writer: writer, context: context, progress: recorder)
            recorder.setSnapshot(result.snapshot.id, files: result.fileCount)
            return result
        }
    }

    /// The snapshot itself, with no checks of the request (`validate`) and no task: the caller
    /// holds the dataset's exclusive lock. A restore's autosave runs it directly.
    /// `makeCurrent` false leaves HEAD where it is: a partial restore's autosave, which must not
    /// move the current snapshot even if the process dies right after it.
    static func run(_ request: SnapshotRequest, in dataset: Dataset, writer: SnapshotWriter,
                    context: OperationContext, progress: ProgressSink? = nil,
                    makeCurrent: Bool = true, mergedParent: GitOID? = nil) throws -> SnapshotResult {
        // Holding the exclusive lock, lock files on our refs are leftovers of a killed dsnap.
        for ref in ["HEAD", Dataset.branch] { StaleGitLock.remove(dataset.gitDir + "/" + ref + ".lock") }
        // An autosave runs inside a restore, which settled these already.
        if request.reason != .autosave { UnsyncedWorkTree.settle(root: dataset.root, gitDir: dataset.gitDir) }
        let written = try writer.writeTree(of: dataset, progress: progress)
        var result = try record(tree: written.tree, counts: written.counts, request: request, in: dataset,
                                context: context, makeCurrent: makeCurrent, mergedParent: mergedParent)
        result.skippedRepositories = written.skippedRepositories
        result.skippedSpecialFiles = written.skippedSpecialFiles
        result.fileCount = written.fileCount
        return result
    }

    /// The checks made before anything is written: an empty name, an interrupted restore, a
    /// restore's files lost in a power cut (autosaves run inside a restore and skip the last two).
    public static func validate(_ request: SnapshotRequest, in dataset: Dataset) throws {
        if let name = request.name, name.isEmpty { throw SnapshotError.invalidName("the name is empty") }
        if let pending = RestoreMarker.target(in: dataset), request.reason != .autosave {
            throw RestoreError.interrupted(target: pending.hex)
        }
        if let lost = UnsyncedWorkTree.fromEarlierBoot(gitDir: dataset.gitDir).first, request.reason != .autosave {
            throw RestoreError.unsyncedBeforeRestart(operation: lost.operation)
        }
        // The merge takes its own snapshot (`merge --continue`); another would drop its second parent.
        if request.reason != .autosave { try MergeSnapshot.refuseWhileMerging(in: dataset) }
    }

    /// Records `tree` (already written, and matching the index) as a new snapshot and makes it
    /// current (unless `makeCurrent` is false). Clone uses it directly: its checkout already wrote
    /// the index.
    static func record(tree: GitOID, counts: MediaCounts, request: SnapshotRequest, in dataset: Dataset,
                       context: OperationContext, clonedFrom: (dataset: String, snapshot: GitOID)? = nil,
                       makeCurrent: Bool = true, mergedParent: GitOID? = nil) throws -> SnapshotResult {
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
            try repository.createCommit(tree: tree, parents: (previous.map { [$0] } ?? []) + (mergedParent.map { [$0] } ?? []),
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
        if let parent, parent.tree == tree, mergedParent == nil {
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
            if makeCurrent {
                try repository.setReference(Dataset.branch, to: id, message: "dsnap: \(request.reason.rawValue)")
            }
        }
        return SnapshotResult(snapshot: try catalog.snapshot(id), previous: previous,
                              unchanged: parent?.tree == tree)
    }
}

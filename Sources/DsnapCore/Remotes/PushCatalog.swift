import FoundationEssentials

/// `dsnap push`: the dataset's live catalog (or chosen snapshots) to a remote. It first brings
/// in and merges the remote's catalog, so the records ref it sends always fast-forwards the
/// server's; a push that loses a race with another push (the server refuses the records ref as
/// not a fast-forward, or finds a ref moved since its advertisement) fetches, merges and tries
/// again. Snapshot refs are named by their commit, so two machines never fight over one:
/// divergent snapshots are both kept.
///
/// The push opens its connection first: when the server advertises exactly what the tracking
/// refs say it holds, and the records here already include the ones the tracking refs name,
/// there is nothing to fetch, and the push goes on over that one connection, its ref updates
/// compared against that very advertisement. Otherwise (and on every retry) it fetches and
/// merges as above, then connects again.
public enum PushCatalog {
    public struct Result: Sendable {
        public let remote: String
        public let url: String
        /// Snapshots the remote did not have.
        public var snapshotsSent: [GitOID] = []
        public var recordsSent = false
        public var tombstonesSent = 0
        public var tombstonesRemoved = 0
        /// What the fetch before the push brought in.
        public var received = CatalogMergeReport()
        /// How many times the push was refused by a concurrent push and retried.
        public var retries = 0
        /// Packs sent: more than one when what the remote lacked exceeded the batch size.
        public var batches = 0
        /// Why the server refused to move its `main` to this dataset's current snapshot (a forge's
        /// protected branch, say); everything else landed.
        public var currentRefused: String?
    }

    static let maximumAttempts = 5

    /// `allowUnrelated`: push even to a remote that holds another dataset (see `FetchCatalog`).
    public static func run(remote name: String, snapshots references: [String], in dataset: Dataset,
                           context: OperationContext, allowUnrelated: Bool = false,
                           progress: ProgressSink? = nil) throws -> Result {
        let lock = try DatasetLock.acquire(.shared, on: dataset, command: "push \(name)", context: context)
        defer { withExtendedLifetime(lock) {} }
        let catalog = SnapshotCatalog(dataset: dataset)
        let chosen = try references.map { try catalog.resolve($0).id }
        try publishDatasetInfo(in: dataset, context: context)
        var attempt = 0
        while true {
            let session = try RemoteSession(name: name, in: dataset)
            var result = Result(remote: name, url: session.url)
            result.retries = attempt
            var connection: RemoteSession.Connection? = try session.connect(.push, in: dataset, progress: progress)
            if try attempt > 0 || !upToDate(connection!, session: session, in: dataset) {
                connection = nil
                let fetched = try FetchCatalog.fetchAndMerge(name, in: dataset, context: context,
                                                             allowUnrelated: allowUnrelated, progress: progress)
                result.received = fetched.merge
            }
            let plan = try plan(session.refs, chosen: chosen.isEmpty ? nil : Set(chosen), in: dataset, result: &result)
            guard !plan.isEmpty else { return result }
            let rejected: [String: String]
            do {
                let ahead = try batchesAhead(plan, session: session, in: dataset)
                for batch in ahead {
                    // libgit2 ends the connection with the push: later batches connect again.
                    defer { connection = nil }
                    let refused = try session.push(batch, from: dataset, over: connection, progress: progress)
                    if let (reference, reason) = refused.first(where: { _ in true }) {
                        throw RemoteError.rejected(name: name, reference: reference, reason: reason)
                    }
                    try recordPushed(batch, refs: session.refs, in: dataset)
                }
                let sentAhead = Set(ahead.joined().map(\.destination))
                result.batches = ahead.count + 1
                rejected = try session.push(plan.filter { !sentAhead.contains($0.destination) }, from: dataset,
                                            over: connection, progress: progress)
            } catch is RemoteSession.LostRace where attempt + 1 < maximumAttempts {
                progress?.finish()
                attempt += 1
                continue
            } catch is RemoteSession.LostRace {
                progress?.finish()
                throw RemoteError.rejected(name: name, reference: SnapshotCatalog.notesRef,
                                           reason: "other pushes kept landing first (\(maximumAttempts) attempts)")
            }
            progress?.finish()
            var refused = rejected
            // The remote's main only says which snapshot is current there: its refusal is no
            // reason to fail a push whose snapshots and records landed.
            result.currentRefused = refused.removeValue(forKey: Dataset.branch)
            if let (reference, reason) = refused.first(where: { _ in true }) {
                if rejected.keys.contains(SnapshotCatalog.notesRef), attempt + 1 < maximumAttempts {
                    attempt += 1
                    continue
                }
                throw RemoteError.rejected(name: name, reference: reference, reason: reason)
            }
            try recordPushed(plan.filter { $0.destination != Dataset.branch || result.currentRefused == nil },
                             refs: session.refs, in: dataset)
            return result
        }
    }

    /// True when the server holds exactly what the tracking refs say (nothing landed there since
    /// this dataset last fetched or pushed) and this dataset's records descend from the
    /// tracking records (a fetch that stopped before its merge leaves them apart).
    private static func upToDate(_ connection: RemoteSession.Connection, session: RemoteSession,
                                 in dataset: Dataset) throws -> Bool {
        guard try connection.catalog == session.trackingCatalog(in: dataset) else { return false }
        return try dataset.wrapGit {
            guard let theirs = try dataset.repository.resolve(reference: session.refs.notes) else { return true }
            guard let ours = try dataset.repository.resolve(reference: SnapshotCatalog.notesRef) else { return false }
            return try dataset.repository.isDescendant(ours, of: theirs)
        }
    }

    /// The default most new bytes one pack of a push to a server carries: under the 2 GiB a
    /// forge often accepts, and what is lost when a transfer breaks off.
    static let defaultBatchBytes: Int64 = 1 << 30

    /// Snapshot refs to send before the rest, in packs of at most the batch size (the dataset's
    /// `dsnap.pushBatchSize`, e.g. `512m`): oldest first, each batch's snapshots with the new
    /// objects they need, so an interrupted push leaves whole snapshots on the server and the
    /// next push sends only what is missing. Empty when all fits in one pack, and for a path
    /// remote (its objects are copied, never packed).
    static func batchesAhead(_ plan: [Update], session: RemoteSession, in dataset: Dataset) throws -> [[Update]] {
        guard RemoteURL.localPath(session.url) == nil else { return [] }
        let repository = dataset.repository
        let limit = try dataset.wrapGit { try repository.configString("dsnap.pushBatchSize") }
            .flatMap(ByteSize.parse) ?? defaultBatchBytes
        return try dataset.wrapGit {
            var snapshotUpdates: [(update: Update, id: GitOID, time: Int64)] = []
            for update in plan where update.destination.hasPrefix(SnapshotCatalog.snapshotRefPrefix) {
                guard let source = update.source, let id = try repository.resolve(reference: source) else { continue }
                snapshotUpdates.append((update, id, try repository.commit(id).author.time))
            }
            // One snapshot goes in one pack whatever its size: nothing to weigh (an incremental
            // push, most of the time, skips this walk).
            guard snapshotUpdates.count > 1 else { return [] }
            snapshotUpdates.sort { $0.time < $1.time }
            var complete = try repository.referenceNames(matching: session.refs.root + "*")
                .compactMap { try repository.resolve(reference: $0) }
            var batches: [[Update]] = []
            var batch: [Update] = []
            var bytes: Int64 = 0
            // Weighed as the pack will carry them, from the pack indexes and loose headers: asking
            // libgit2 for each object's header tried its loose file first, a failed open for every
            // packed one (100,000 for a dataset of small files).
            let sizes = PackedEntries(objectsDirectory: repository.objectsPath)
            defer { sizes.close() }
            for (update, id, _) in snapshotUpdates {
                let needed = try repository.objectsMissing(from: [id], complete: complete, targetHas: { _ in false })
                    .reduce(Int64(0)) { $0 + (try sizes.sentSize(of: $1, objectsDirectory: repository.objectsPath)) }
                if !batch.isEmpty, bytes + needed > limit {
                    batches.append(batch)
                    batch = []
                    bytes = 0
                }
                batch.append(update)
                bytes += needed
                complete.append(id)
            }
            // The last batch goes with the records and the rest.
            return batches
        }
    }

    /// One ref update to send: `source` nil deletes `destination` on the server.
    struct Update {
        let source: String?
        let destination: String
        let force: Bool

        var refspec: String { (force ? "+" : "") + (source ?? "") + ":" + destination }
    }

    /// What the server lacks, judged by its tracking refs just fetched: the chosen snapshots (by
    /// default all, deleted ones too: their tombstones name their commits, so their objects travel
    /// anyway) it does not have, tombstones that differ, the records ref, the current
    /// snapshot (the server's HEAD, so a plain `git clone` checks out something sensible) and
    /// the dataset's name.
    static func plan(_ refs: RemoteRefs, chosen: Set<GitOID>?, in dataset: Dataset, result: inout Result) throws -> [Update] {
        let repository = dataset.repository
        return try dataset.wrapGit {
            var updates: [Update] = []
            let theirs = Set(try repository.referenceNames(matching: refs.snapshotsPrefix + "*")
                .map { String($0.dropFirst(refs.snapshotsPrefix.count)) })
            let tombstones = try repository.referenceNames(matching: SnapshotCatalog.deletedRefPrefix + "*")
            let deletedIDs = Set(tombstones.map { String($0.dropFirst(SnapshotCatalog.deletedRefPrefix.count)) })
            for name in try repository.referenceNames(matching: SnapshotCatalog.snapshotRefPrefix + "*").sorted() {
                let hex = String(name.dropFirst(SnapshotCatalog.snapshotRefPrefix.count))
                guard !theirs.contains(hex), let id = GitOID(hex: hex) else { continue }
                if let chosen, !chosen.contains(id) { continue }
                updates.append(Update(source: name, destination: name, force: false))
                result.snapshotsSent.append(id)
            }
            for name in tombstones {
                let hex = String(name.dropFirst(SnapshotCatalog.deletedRefPrefix.count))
                if let chosen, let id = GitOID(hex: hex), !chosen.contains(id) { continue }
                if try repository.resolve(reference: name) != repository.resolve(reference: refs.deletedPrefix + hex) {
                    updates.append(Update(source: name, destination: name, force: true))
                    result.tombstonesSent += 1
                }
            }
            // Undeleted here after the merge (the winning record says so): the server's tombstone
            // goes. A snapshot whose record says deleted but is live here because it is current
            // here keeps the server's tombstone.
            let catalog = SnapshotCatalog(dataset: dataset)
            for name in try repository.referenceNames(matching: refs.deletedPrefix + "*") {
                let hex = String(name.dropFirst(refs.deletedPrefix.count))
                guard let id = GitOID(hex: hex) else { continue }
                if let chosen, !chosen.contains(id) { continue }
                if !deletedIDs.contains(hex), (try? catalog.snapshot(id))?.record.deletedAt == nil {
                    updates.append(Update(source: nil, destination: SnapshotCatalog.deletedRefPrefix + hex, force: true))
                    result.tombstonesRemoved += 1
                }
            }
            if try repository.resolve(reference: SnapshotCatalog.notesRef) != repository.resolve(reference: refs.notes) {
                updates.append(Update(source: SnapshotCatalog.notesRef, destination: SnapshotCatalog.notesRef, force: false))
                result.recordsSent = true
            }
            if let current = try repository.headCommit(), chosen?.contains(current) ?? true,
               try repository.resolve(reference: refs.current) != current {
                updates.append(Update(source: Dataset.branch, destination: Dataset.branch, force: true))
            }
            if try repository.resolve(reference: RemoteRefs.datasetInfo) != repository.resolve(reference: refs.datasetInfo) {
                updates.append(Update(source: RemoteRefs.datasetInfo, destination: RemoteRefs.datasetInfo, force: true))
            }
            return updates
        }
    }

    /// The tracking refs now say what the server has, so the next push sends only what is new.
    private static func recordPushed(_ updates: [Update], refs: RemoteRefs, in dataset: Dataset) throws {
        let repository = dataset.repository
        try dataset.wrapGit {
            for update in updates {
                guard let tracking = refs.tracking(update.destination) else { continue }
                if let source = update.source, let target = try repository.resolve(reference: source) {
                    try repository.setReference(tracking, to: target, message: "dsnap: pushed")
                } else {
                    try repository.deleteReference(tracking)
                }
            }
        }
    }

    /// `refs/dsnap/info/dataset`: a commit of the empty tree whose message is `{"name": ...}`, for
    /// whoever clones the remote (a commit, not a blob: libgit2 pushes only commits' histories).
    static func publishDatasetInfo(in dataset: Dataset, context: OperationContext) throws {
        let text = JSONWriter.render(.object([("name", .string(dataset.name)),
                                              ("format_version", .integer(Dataset.formatVersion))]), pretty: true) + "\n"
        try dataset.wrapGit {
            let repository = dataset.repository
            if let existing = try repository.resolve(reference: RemoteRefs.datasetInfo),
               (try? repository.commit(existing).message) == text { return }
            let identity = Identity.resolve(explicit: nil, repository: repository, environment: context.environment)
            let signature = GitSignature(name: identity.name, email: identity.email, time: context.now().seconds)
            let commit = try repository.createCommit(tree: try repository.writeEmptyTree(), parents: [],
                                                     author: signature, committer: signature, message: text,
                                                     updateReference: nil)
            try FileSystemSync.sync(containing: repository.objectsPath)
            try repository.setReference(RemoteRefs.datasetInfo, to: commit, message: "dsnap: dataset name")
        }
    }

    /// The name in a dataset-info commit (nil when it is not one).
    static func datasetName(inInfo commit: GitOID, of dataset: Dataset) -> String? {
        (try? dataset.wrapGit({ try dataset.repository.commit(commit).message })).flatMap(datasetName(inInfoMessage:))
    }

    /// The name in a dataset-info commit's message (nil when it holds none).
    static func datasetName(inInfoMessage message: String) -> String? {
        guard case let .object(members)? = try? JSONParser.parse(message),
              case let .string(name)? = members.first(where: { $0.key == "name" })?.value, !name.isEmpty else { return nil }
        return name
    }
}

import FoundationEssentials

/// One remote as an operation uses it: its name, URL and tracking refs, the caps on what it may
/// send, and the conversion of libgit2's transport failures into errors that name the remote
/// and the cause.
struct RemoteSession {
    let name: String
    let url: String
    let refs: RemoteRefs
    let limits: FetchLimits

    init(name: String, in dataset: Dataset) throws {
        self.name = name
        url = try RemoteRegistry.url(of: name, in: dataset)
        refs = RemoteRefs(remote: name)
        limits = try FetchLimits(for: dataset, remote: name, url: url)
    }

    /// A push another push overtook: the caller fetches, merges and tries again.
    struct LostRace: Error {}

    /// Runs a transfer; a libgit2 failure becomes `RemoteError` (or the local disk's error when
    /// it was the local disk that failed), a lost push race `LostRace`.
    func transfer<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as GitFailure {
            if failure.isLostPushRace { throw LostRace() }
            if failure.isAuthenticationFailure {
                throw RemoteError.authenticationRefused(name: name, url: url, cause: failure.message)
            }
            if failure.osError != 0 || failure.kind == .diskFull { throw failure.asDsnapError(path: url) }
            throw RemoteError.unreachable(name: name, url: url, cause: failure.message)
        }
    }

    /// A remote on this machine's file systems, moved by dsnap itself (`PathTransport`).
    private var path: String? { RemoteURL.localPath(url) }

    /// The server as one transfer sees it: its catalog refs as it advertised them and, for a
    /// server reached through libgit2, the open connection the transfer goes on over.
    final class Connection {
        let remote: GitRemote?
        let session: GitRemote.Session?
        /// The server's catalog refs, by the tracking ref each one mirrors to.
        let catalog: [String: GitOID]
        /// The dataset's name as the remote's dataset-info ref says, when it can be read before
        /// anything is fetched (a path remote; over the network, `checkRelated` fetches it).
        let datasetName: String?

        init(remote: GitRemote?, session: GitRemote.Session?, catalog: [String: GitOID], datasetName: String?) {
            self.remote = remote
            self.session = session
            self.catalog = catalog
            self.datasetName = datasetName
        }
    }

    /// Opens a connection for a fetch or a push and reads the server's catalog from its
    /// advertisement (a path remote's refs are read directly).
    func connect(_ direction: GitRemote.Direction, in dataset: Dataset, progress: ProgressSink?) throws -> Connection {
        if let path {
            let transport = try transfer { try PathTransport(path: path) }
            return try transfer {
                Connection(remote: nil, session: nil, catalog: try transport.catalog(refs), datasetName: transport.datasetName())
            }
        }
        let remote = try dataset.wrapGit { try GitRemote(url: url, in: dataset.repository) }
        let phase = direction == .fetch ? "receiving" : "sending"
        let session = GitRemote.Session { moved in
            progress?.report(OperationProgress(phase: phase, filesDone: moved.objectsDone,
                                               filesTotal: moved.objectsTotal, bytesDone: Int64(moved.bytes)))
        }
        session.limits = limits
        session.credentialHelper = GitCredentialHelper(gitDir: dataset.gitDir)
        let advertised = try transfer {
            try remote.connect(direction, session: session)
            return try remote.advertisedReferences()
        }
        var catalog: [String: GitOID] = [:]
        for (reference, target) in advertised {
            if let tracking = refs.tracking(reference) { catalog[tracking] = target }
        }
        return Connection(remote: remote, session: session, catalog: catalog, datasetName: nil)
    }

    /// The tracking refs as they are: what the last fetch or push saw of the server.
    func trackingCatalog(in dataset: Dataset) throws -> [String: GitOID] {
        try dataset.wrapGit {
            var catalog: [String: GitOID] = [:]
            for reference in try dataset.repository.referenceNames(matching: refs.root + "*") {
                if let target = try dataset.repository.resolve(reference: reference) { catalog[reference] = target }
            }
            return catalog
        }
    }

    /// Brings the server's catalog into the tracking refs, durably (libgit2 writes the pack
    /// without syncing it: the dataset's own refs move to it only once it is on disk). Nothing
    /// is transferred when the tracking refs already hold what the server advertises. A remote
    /// holding another dataset is refused before any of its catalog is fetched, unless
    /// `allowUnrelated`. `durably` false leaves the flush to the caller (a clone, built where no
    /// one looks until it is flushed and renamed into place).
    func fetch(into dataset: Dataset, progress: ProgressSink?, allowUnrelated: Bool = false, durably: Bool = true) throws {
        let connection = try connect(.fetch, in: dataset, progress: progress)
        if !allowUnrelated { try checkRelated(connection, to: dataset) }
        guard try connection.catalog != trackingCatalog(in: dataset) else { return }
        if let path {
            try transfer {
                try PathTransport(path: path).fetch(into: dataset, refs: refs, limits: limits, durably: durably)
            }
            return
        }
        try transfer { try connection.remote!.fetch(refs.fetchRefspecs, session: connection.session!) }
        if durably { try FileSystemSync.sync(containing: dataset.repository.objectsPath) }
    }

    /// Refuses a remote whose snapshots are all unknown here while this dataset has snapshots
    /// of its own: two datasets' catalogs would merge into one. A dataset and every clone of it
    /// share snapshots (the same commits, the same ids), and both sides keep every snapshot they
    /// ever had (deleted ones as tombstones), so datasets that ever exchanged a catalog share
    /// at least one. An empty remote, and a dataset with no snapshot yet (a clone being
    /// made), relate to anything.
    func checkRelated(_ connection: Connection, to dataset: Dataset) throws {
        let theirs = Set(connection.catalog.keys.compactMap { reference -> GitOID? in
            for prefix in [refs.snapshotsPrefix, refs.deletedPrefix] where reference.hasPrefix(prefix) {
                return GitOID(hex: String(reference.dropFirst(prefix.count)))
            }
            return nil
        })
        guard !theirs.isEmpty else { return }
        let repository = dataset.repository
        try dataset.wrapGit {
            let ours = try repository.referenceNames(matching: SnapshotCatalog.snapshotRefPrefix + "*")
                + repository.referenceNames(matching: SnapshotCatalog.deletedRefPrefix + "*")
            guard !ours.isEmpty else { return }
            for id in theirs where try repository.objectKind(id) == .commit { return }
            let theirName = connection.datasetName ?? datasetName(over: connection, in: dataset)
            throw RemoteError.unrelated(name: name, url: url, dataset: theirName, snapshots: theirs.count)
        }
    }

    /// The most a remote's dataset-info commit (`{"name": ..., "format_version": ...}`, a few
    /// hundred bytes) may weigh for a refusal to read it: in the pack that brings it, and inflated.
    static let datasetInfoLimit = 4096

    /// The dataset a network remote holds, for the refusal to name: only its dataset-info commit
    /// (and the empty tree it points at) is downloaded, over the connection already open, and
    /// only on the way to a refusal, capped at a few objects and `datasetInfoLimit` bytes. No ref
    /// moves; the commit stays in the store unreferenced, as a fetch stopped by a cap leaves what
    /// it received, and a second refusal finds it there. Nil when the remote has no such commit
    /// or anything fails: the refusal stands without the name. The connection ends with it.
    private func datasetName(over connection: Connection, in dataset: Dataset) -> String? {
        guard let remote = connection.remote, let info = connection.catalog[refs.datasetInfo] else { return nil }
        let repository = dataset.repository
        if (try? repository.objectExists(info)) != true {
            // A session of its own, which reports no progress; libgit2 keeps the callbacks of the
            // last call, so the connection ends while it lives.
            let probe = GitRemote.Session { _ in }
            probe.credentialHelper = connection.session?.credentialHelper
            probe.limits = FetchLimits(remote: name, url: url, maxObjects: 4, maxBytes: Int64(Self.datasetInfoLimit))
            let downloaded = withExtendedLifetime(probe) {
                defer { remote.disconnect() }
                return (try? remote.download([RemoteRefs.datasetInfo], session: probe)) != nil
            }
            guard downloaded else { return nil }
        }
        guard let header = try? repository.objectHeader(info), header.kind == .commit,
              header.size <= Self.datasetInfoLimit else { return nil }
        return PushCatalog.datasetName(inInfo: info, of: dataset)
    }

    /// Sends `updates`, over `connection` when it is still open (its advertisement is what the
    /// compare-and-swap of each ref compares against); returns the refs the server refused,
    /// with why. A ref that must fast-forward and no longer can is `LostRace`.
    func push(_ updates: [PushCatalog.Update], from dataset: Dataset, over connection: Connection? = nil,
              progress: ProgressSink?) throws -> [String: String] {
        if let path {
            try transfer {
                try PathTransport(path: path).push(updates, from: dataset) { destination in
                    try refs.tracking(destination).flatMap { try dataset.repository.resolve(reference: $0) }
                }
            }
            return [:]
        }
        if let remote = connection?.remote, let session = connection?.session {
            return try transfer {
                try remote.push(updates.map(\.refspec), session: session, shallow: ShallowFile.read(gitDir: dataset.gitDir))
            }
        }
        return try push(updates, from: dataset, over: try connect(.push, in: dataset, progress: progress),
                        progress: progress)
    }
}

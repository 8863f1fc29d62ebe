import FoundationEssentials

/// One remote as an operation uses it: its name, URL and tracking refs, and the conversion of
/// libgit2's transport failures into errors that name the remote and the cause.
struct RemoteSession {
    let name: String
    let url: String
    let refs: RemoteRefs

    init(name: String, in dataset: Dataset) throws {
        self.name = name
        url = try RemoteRegistry.url(of: name, in: dataset)
        refs = RemoteRefs(remote: name)
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

    /// Brings the server's catalog into the tracking refs, durably (libgit2 writes the pack
    /// without syncing it: the dataset's own refs move to it only once it is on disk).
    func fetch(into dataset: Dataset, progress: ProgressSink?) throws {
        if let path {
            try transfer { try PathTransport(path: path).fetch(into: dataset, refs: refs) }
            return
        }
        let remote = try dataset.wrapGit { try GitRemote(url: url, in: dataset.repository) }
        let session = GitRemote.Session { transfer in
            progress?.report(OperationProgress(phase: "receiving", filesDone: transfer.objectsDone,
                                               filesTotal: transfer.objectsTotal, bytesDone: Int64(transfer.bytes)))
        }
        try transfer { try remote.fetch(refs.fetchRefspecs, session: session) }
        try FileSystemSync.sync(containing: dataset.repository.objectsPath)
    }

    /// Sends `updates`; returns the refs the server refused, with why. A ref that must
    /// fast-forward and no longer can is `LostRace`.
    func push(_ updates: [PushCatalog.Update], from dataset: Dataset, progress: ProgressSink?) throws -> [String: String] {
        if let path {
            try transfer {
                try PathTransport(path: path).push(updates, from: dataset) { destination in
                    try refs.tracking(destination).flatMap { try dataset.repository.resolve(reference: $0) }
                }
            }
            return [:]
        }
        let remote = try dataset.wrapGit { try GitRemote(url: url, in: dataset.repository) }
        let session = GitRemote.Session { sent in
            progress?.report(OperationProgress(phase: "sending", filesDone: sent.objectsDone,
                                               filesTotal: sent.objectsTotal, bytesDone: Int64(sent.bytes)))
        }
        return try transfer { try remote.push(updates.map(\.refspec), session: session) }
    }
}

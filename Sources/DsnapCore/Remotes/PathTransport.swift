import FoundationEssentials
import Glibc

/// Fetch and push for a remote on this machine's file systems (a path or `file://`: a share, a
/// disk, another dataset's folder), done by dsnap itself: objects move with `ObjectTransfer`
/// and refs are written into the other repository directly, a compare-and-swap for the records
/// ref as a server would do it. libgit2's own file transport re-packs everything in process.
struct PathTransport {
    let remote: GitRepository
    let remoteGitDir: String
    let remoteObjects: String
    let groupShared: Bool

    /// Opens the repository at `path`: a bare repository, or a dataset folder (its `.dsnap`).
    init(path: String) throws {
        let gitDir = FileManager.default.fileExists(atPath: path + "/" + Dataset.gitDirName)
            ? path + "/" + Dataset.gitDirName : path
        remote = try GitRepository.open(gitDir: gitDir)
        remoteGitDir = gitDir
        remoteObjects = remote.objectsPath
        let shared = (try? remote.configString("core.sharedRepository"))?.lowercased() ?? ""
        groupShared = ["group", "true", "1", "all", "world", "everybody"].contains(shared)
    }

    /// The remote's catalog refs, by the tracking ref each one mirrors to.
    func catalog(_ refs: RemoteRefs) throws -> [String: GitOID] {
        var catalog: [String: GitOID] = [:]
        for (server, tracking) in refs.mirrored {
            for name in try remote.referenceNames(matching: server + "*") {
                guard let target = try remote.resolve(reference: name) else { continue }
                catalog[tracking + name.dropFirst(server.count)] = target
            }
        }
        return catalog
    }

    /// The dataset's name as the remote's dataset-info commit says (nil when there is none).
    func datasetName() -> String? {
        guard let info = try? remote.resolve(reference: RemoteRefs.datasetInfo),
              let message = try? remote.commit(info).message else { return nil }
        return PushCatalog.datasetName(inInfoMessage: message)
    }

    /// Mirrors the remote's catalog refs into `refs`'s tracking refs, their objects first (each
    /// checked, on disk before any tracking ref names them, within `limits`); tracking refs the
    /// remote no longer has go. `durably` false leaves flushing the objects to the caller.
    func fetch(into dataset: Dataset, refs: RemoteRefs, limits: FetchLimits, durably: Bool) throws {
        let wanted = try catalog(refs)
        let transfer = ObjectTransfer(source: remote, sourceGitDir: remoteGitDir, sourceObjects: remoteObjects,
                                      target: dataset.repository, targetObjects: dataset.repository.objectsPath,
                                      groupShared: false)
        _ = try transfer.copyMissing(from: Array(wanted.values), verifying: true, limits: limits)
        if durably { try FileSystemSync.sync(containing: dataset.repository.objectsPath) }
        for stale in try dataset.repository.referenceNames(matching: refs.root + "*") where wanted[stale] == nil {
            try dataset.repository.deleteReference(stale)
        }
        for (tracking, target) in wanted.sorted(by: { $0.key < $1.key })
        where try dataset.repository.resolve(reference: tracking) != target {
            try dataset.repository.setReference(tracking, to: target, message: "dsnap: fetch")
        }
    }

    /// Sends `updates`: their objects, synced on the remote's disk, then the refs. An update that
    /// is not forced moves only if the remote ref is still what the last fetch saw (`expected`);
    /// otherwise another push landed first and this one is `LostRace`.
    func push(_ updates: [PushCatalog.Update], from dataset: Dataset, expected: (String) throws -> GitOID?) throws {
        let repository = dataset.repository
        let roots = try updates.compactMap { try $0.source.flatMap { try repository.resolve(reference: $0) } }
        let transfer = ObjectTransfer(source: repository, sourceGitDir: dataset.gitDir, sourceObjects: repository.objectsPath,
                                      target: remote,
                                      targetObjects: remoteObjects, groupShared: groupShared)
        _ = try transfer.copyMissing(from: roots, shallow: ShallowFile.read(gitDir: dataset.gitDir), verifying: false)
        try FileSystemSync.sync(containing: remoteObjects)
        for update in updates {
            guard let source = update.source else {
                try remote.deleteReference(update.destination)
                continue
            }
            guard let target = try repository.resolve(reference: source) else { continue }
            if update.force {
                try remote.setReference(update.destination, to: target, message: "dsnap: push")
            } else {
                do {
                    try remote.swapReference(update.destination, to: target, expected: try expected(update.destination),
                                             message: "dsnap: push")
                } catch let failure as GitFailure where failure.isLostPushRace {
                    throw RemoteSession.LostRace()
                }
            }
        }
        // libgit2 makes the folders of new refs after the umask: in a group's repository, every
        // member must be able to update them.
        if groupShared { RemoteRegistry.makeGroupWritable(remoteGitDir + "/refs") }
    }
}

import FoundationEssentials
import Glibc

/// A remote as `dsnap remote` lists it.
public struct RemoteInfo: Sendable, Equatable {
    public let name: String
    public let url: String
}

/// `dsnap remote add/remove/list`: the remotes named in `.dsnap/config`.
public enum RemoteRegistry {
    public static func list(in dataset: Dataset) throws -> [RemoteInfo] {
        try dataset.wrapGit {
            try dataset.repository.remoteNames().map { name in
                RemoteInfo(name: name, url: try dataset.repository.configString("remote.\(name).url") ?? "")
            }
        }
    }

    /// The URL of remote `name`; throws `unknown` (listing the known ones) when there is none.
    public static func url(of name: String, in dataset: Dataset) throws -> String {
        let known = try list(in: dataset)
        guard let remote = known.first(where: { $0.name == name }) else {
            throw RemoteError.unknown(name: name, known: known.map(\.name))
        }
        return remote.url
    }

    /// Adds remote `name` at `url` (a path is made absolute, so the dataset may be run from
    /// anywhere). `create` makes a group-shared bare repository at that path first.
    public static func add(_ name: String, url: String, create: Bool, in dataset: Dataset,
                           workingDirectory: String) throws -> RemoteInfo {
        try checkName(name)
        let stored = RemoteURL.normalized(url, from: workingDirectory)
        if let existing = try list(in: dataset).first(where: { $0.name == name }) {
            throw RemoteError.alreadyExists(name: name, url: existing.url)
        }
        if create {
            guard let path = RemoteURL.localPath(stored) else { throw RemoteError.cannotCreate(url: url) }
            try createBareRepository(at: path)
        }
        try dataset.wrapGit { try dataset.repository.addRemote(name, url: stored) }
        return RemoteInfo(name: name, url: stored)
    }

    /// The snapshots remote `name` holds, as its last fetch or push saw them.
    public static func snapshotsHeld(by name: String, in dataset: Dataset) throws -> Set<GitOID> {
        _ = try url(of: name, in: dataset)
        let prefix = RemoteRefs(remote: name).snapshotsPrefix
        return Set(try dataset.wrapGit { try dataset.repository.referenceNames(matching: prefix + "*") }
            .compactMap { GitOID(hex: String($0.dropFirst(prefix.count))) })
    }

    /// Removes remote `name` and what was fetched from it (its snapshots stay: they are the
    /// dataset's own now).
    public static func remove(_ name: String, in dataset: Dataset) throws {
        _ = try url(of: name, in: dataset)
        let refs = RemoteRefs(remote: name)
        try dataset.wrapGit {
            try dataset.repository.removeRemote(name)
            for reference in try dataset.repository.referenceNames(matching: refs.root + "*") {
                try dataset.repository.deleteReference(reference)
            }
        }
    }

    /// A bare repository for a lab's share: HEAD on `main`, writable by the owner's group, and
    /// never repacked by plain git behind the datasets that push to it.
    static func createBareRepository(at path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? ["?"]
            guard info.st_mode & S_IFMT == S_IFDIR, contents.isEmpty else {
                throw RemoteError.createTargetExists(path: path)
            }
        }
        do {
            try GitRepository.createBare(at: path, initialBranch: "main", groupShared: true)
            let repository = try GitRepository.open(gitDir: path)
            try repository.setConfig("gc.auto", "0")
            // The remote's main is the current snapshot of the last push: it moves to whatever
            // the pushing machine has current, not only forward (libgit2's shared init denies that).
            try repository.setConfig("receive.denyNonFastforwards", "false")
            try repository.setConfig("receive.denyDeleteCurrent", "false")
        } catch let failure as GitFailure {
            throw failure.asDsnapError(path: path)
        }
        makeGroupWritable(path)
    }

    /// Every folder of a new shared repository writable by the group, new entries inheriting
    /// the group (setgid), as `git init --shared=group` leaves it: libgit2 does so only for some.
    static func makeGroupWritable(_ path: String) {
        chmod(path, 0o2775)
        for relative in (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? [] {
            var info = stat()
            let full = path + "/" + relative
            guard lstat(full, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                chmod(full, 0o2775)
            } else if info.st_mode & S_IFMT == S_IFREG {
                chmod(full, (info.st_mode & 0o777) | ((info.st_mode & 0o600) >> 3))
            }
        }
    }

    /// Names as git allows them in `remote.NAME.url` and in ref names, and no more.
    static func checkName(_ name: String) throws {
        guard !name.isEmpty else { throw RemoteError.invalidName("the name is empty") }
        guard !name.hasPrefix("-"), !name.hasPrefix("."), !name.contains(".."),
              name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                  || "-_.".unicodeScalars.contains($0)) }) else {
            throw RemoteError.invalidName("'\(TerminalText.escape(name))'")
        }
    }
}

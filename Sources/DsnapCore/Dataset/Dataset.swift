import FoundationEssentials
import Glibc

/// An open dataset: a folder whose git directory is `ROOT/.dsnap` and whose work tree is `ROOT`.
public final class Dataset {
    /// Absolute path of the dataset folder, without a trailing slash.
    public let root: String
    /// The dataset's name (`source_dataset_name`), from `.dsnap/config`.
    public let name: String
    let repository: GitRepository

    /// The on-disk format this dsnap writes and reads.
    public static let formatVersion = 1
    public static let gitDirName = ".dsnap"
    public static let ignoreFileName = ".dsnapignore"
    static let branch = "refs/heads/main"
    static let nameKey = "dsnap.name"
    static let formatKey = "dsnap.formatversion"

    public var gitDir: String { root + "/" + Self.gitDirName }

    init(root: String, repository: GitRepository) throws {
        self.root = root
        self.repository = repository
        guard let version = try repository.configString(Self.formatKey) else {
            throw StorageError.corrupt(detail: "'\(Self.formatKey)' is missing from '\(root)/.dsnap/config'")
        }
        guard let number = Int(version), number <= Self.formatVersion, number >= 1 else {
            throw DatasetError.unsupportedFormat(found: version, supported: Self.formatVersion)
        }
        self.name = try repository.configString(Self.nameKey) ?? URL(fileURLWithPath: root).lastPathComponent
        try installIgnoreRules()
    }

    /// Opens the dataset whose folder is `root`.
    public static func open(root: String) throws -> Dataset {
        // Foundation and most of dsnap's own calls take the repository's paths as UTF-8 text:
        // any other byte would name another folder (found missing, or made anew).
        guard !PathBytes.hasEscapes(root) else { throw DatasetError.folderNotUTF8(path: root) }
        let gitDir = root + "/" + gitDirName
        guard FileManager.default.fileExists(atPath: gitDir + "/HEAD") else {
            throw DatasetError.notADataset(path: root)
        }
        let repository: GitRepository
        do {
            repository = try GitRepository.open(gitDir: gitDir)
        } catch let failure as GitFailure where failure.kind == .notOwned {
            throw DatasetError.ownedByAnotherUser(path: root)
        } catch let failure as GitFailure {
            throw failure.asDsnapError(path: gitDir)
        }
        return try Dataset(root: root, repository: repository)
    }

    /// Finds the dataset containing `directory` (itself or the nearest parent with a `.dsnap`).
    public static func discover(from directory: String) throws -> Dataset {
        let start = URL(fileURLWithPath: directory).standardizedFileURL.path
        var candidate = start
        while true {
            // Asked with the folder's own bytes: `open` refuses a folder whose path is not UTF-8.
            if PathBytes.withCString(candidate + "/" + gitDirName + "/HEAD", { access($0, F_OK) }) == 0 {
                let dataset = try open(root: candidate)
                // Any command cleans up after a clone of this dataset that was killed.
                PendingClones.sweep(gitDir: dataset.gitDir)
                return dataset
            }
            guard candidate != "/" && !candidate.isEmpty else { break }
            candidate = candidate.parentPath
        }
        throw DatasetError.notADataset(path: start)
    }

    /// `.dsnap` must never be snapshotted, whatever a `.gitignore` in the dataset says; and
    /// `.dsnapignore` holds the user's exclusions (gitignore syntax), read fresh on every open.
    private func installIgnoreRules() throws {
        try wrapGit { try repository.addIgnoreRules(Self.builtInIgnoreRules) }
        let ignorePath = root + "/" + Self.ignoreFileName
        if let rules = try? String(contentsOfFile: ignorePath, encoding: .utf8), !rules.isEmpty {
            try wrapGit { try repository.addIgnoreRules(rules) }
        }
    }

    /// Ignore rules every dataset has: its own `.dsnap`, and that of any dataset nested in it.
    static let builtInIgnoreRules = "\(gitDirName)/\n"

    /// Prefix of the temporary files a checkout writes beside their targets before renaming them.
    static let temporaryFilePrefix = ".dsnap-tmp-"

    /// True for paths that belong to dsnap or git and are never part of a snapshot: anything in a
    /// `.dsnap` or `.git` folder at any depth, and checkout's temporary files.
    static func isInternalPath(_ path: String) -> Bool {
        isInternalPath(utf8: path.utf8)
    }

    /// `isInternalPath` on a path's UTF-8 bytes (an index entry's, read in place: a snapshot checks
    /// every entry, and a String per path cost ~1.5 µs each).
    static func isInternalPath<Bytes: Collection>(utf8 path: Bytes) -> Bool where Bytes.Element == UInt8 {
        var start = path.startIndex
        while start != path.endIndex {
            let end = path[start...].firstIndex(of: UInt8(ascii: "/")) ?? path.endIndex
            let component = path[start..<end]
            // Every internal name starts with a dot.
            if component.first == UInt8(ascii: "."),
               component.elementsEqual(gitDirName.utf8) || component.elementsEqual(".git".utf8)
                || component.starts(with: temporaryFilePrefix.utf8) {
                return true
            }
            start = end == path.endIndex ? end : path.index(after: end)
        }
        return false
    }

    /// A blob's whole content. For blobs known to be small (records, JSON sidecars) or that libgit2
    /// must read whole anyway (packed objects); large files are streamed with `readBlob` instead.
    func blobBytes(_ id: GitOID) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try wrapGit { _ = try repository.readBlob(id) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// Rebuilds the index from the current snapshot when it cannot be trusted (missing,
    /// unreadable, split, or with bits that hide edits): it is only a cache, and every file is
    /// then read again instead of trusted by its stat. Called before anything compares the work
    /// tree with the current snapshot; returns why it was rebuilt, if it was.
    @discardableResult
    func ensureTrustworthyIndex() throws -> String? {
        let current = try wrapGit { try repository.headCommit() }
        guard let problem = repository.indexProblem(hasSnapshot: current != nil) else { return nil }
        try wrapGit { try repository.rebuildIndex(from: try current.map { try repository.commit($0).tree }) }
        return problem
    }

    /// Runs libgit2 work, turning its failures into errors a user can act on.
    func wrapGit<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as GitFailure {
            throw failure.asDsnapError(path: gitDir)
        }
    }
}

/// A libgit2 failure that is not a dsnap error: a bug or an unexpected library failure (exit 1).
public struct InternalError: DsnapError {
    public let failure: GitFailure

    public var kind: ErrorKind { .bug }
    public var message: String { "internal error in \(failure.function): \(failure.message)" }
    public var hint: String? { "this is a bug in dsnap or libgit2; please report it with the command you ran" }
}

extension GitFailure {
    /// Storage failures become `StorageError`s; anything else stays internal.
    public func asDsnapError(path: String) -> Error {
        // libgit2's work tree scan gives up below 100 nested folders (`FILESYSTEM_MAX_DEPTH`).
        if message.hasPrefix("directory nesting too deep") {
            return WorkTreeError.nestedTooDeep(limit: PathLimit.nestedFolders)
        }
        // The disk failed under libgit2, which may say nothing more useful ("unknown error").
        if osError != 0 && (kind == .other || kind == .locked || kind == .storage) {
            return StorageError.fromErrno(osError, path: quotedPath ?? path)
        }
        // libgit2 reports a file it may not open as "locked" (GIT_ELOCKED), with the OS's words.
        if kind == .locked, message.lowercased().contains("permission denied") {
            return StorageError.permissionDenied(path: quotedPath ?? path)
        }
        switch kind {
        case .diskFull: return StorageError.diskFull(path: quotedPath ?? path)
        case .permissionDenied: return StorageError.permissionDenied(path: quotedPath ?? path)
        case .storage: return StorageError.io(path: quotedPath ?? path, reason: message)
        case .damaged:
            // libgit2 says "object not found - no match for id (HEX)": say it as a person would.
            if let id = missingObjectID {
                return StorageError.corrupt(detail: "object \(id.short) is missing")
            }
            return StorageError.corrupt(detail: Self.shortenObjectIDs(message))
        case .notOwned: return DatasetError.ownedByAnotherUser(path: path)
        case .notFound, .locked, .exists, .other: return InternalError(failure: self)
        }
    }

    /// `object <40 hex>` as `object <12 hex>`: ids in prose have 12 digits, as everywhere else in
    /// dsnap's messages. Only after the word `object`, so a file named by a hash keeps its name.
    static func shortenObjectIDs(_ message: String) -> String {
        var result = ""
        var rest = Substring(message)
        while let range = rest.firstRange(of: "object ") {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let hex = rest.prefix(40)
            let next = rest.dropFirst(40).first
            if hex.count == 40, GitOID(hex: String(hex)) != nil, next.map({ !$0.isHexDigit }) ?? true {
                result += hex.prefix(12)
                rest = rest.dropFirst(40)
            }
        }
        return result + rest
    }
}

/// Which snapshots a listing includes.
public enum SnapshotVisibility: Sendable {
    /// Live snapshots, autosaves hidden: what `dsnap log` shows.
    case live
    /// Live snapshots including autosaves (`dsnap log --all`).
    case liveWithAutosaves
    /// Only deleted snapshots (`dsnap log --deleted`).
    case deleted
}

/// Reads the snapshot catalog: the refs `refs/dsnap/snapshots/<id>`, the tombstones
/// `refs/dsnap/deleted/<id>` and the records on `refs/notes/dsnap`.
public struct SnapshotCatalog {
    static let snapshotRefPrefix = "refs/dsnap/snapshots/"
    static let deletedRefPrefix = "refs/dsnap/deleted/"
    static let notesRef = "refs/notes/dsnap"

    let dataset: Dataset
    /// Reads a record that is not valid JSON as if there were none (rebuilt from the commit),
    /// instead of failing: how `dsnap update` writes a sound record over a damaged one.
    var rebuildsUnreadableRecords = false

    public init(dataset: Dataset) {
        self.dataset = dataset
    }

    /// Ids of every snapshot ever taken and not garbage (deleted ones included).
    func allIDs() throws -> [GitOID] {
        try ids(under: Self.snapshotRefPrefix)
    }

    func deletedIDs() throws -> Set<GitOID> {
        Set(try ids(under: Self.deletedRefPrefix))
    }

    private func ids(under prefix: String) throws -> [GitOID] {
        try dataset.wrapGit {
            try dataset.repository.referenceNames(matching: prefix + "*").compactMap {
                GitOID(hex: String($0.dropFirst(prefix.count)))
            }
        }
    }

    /// The current snapshot's id (HEAD), or nil when none was taken yet. Throws when plain git
    /// moved HEAD off dsnap's branch: which snapshot is current is then unknown, and a commit or
    /// restore would report a new current snapshot that HEAD does not name.
    public func currentID() throws -> GitOID? {
        guard headIsOnBranch else { throw StorageError.headMoved(gitDir: dataset.gitDir) }
        return try dataset.wrapGit { try dataset.repository.headCommit() }
    }

    /// Whether HEAD is the symbolic ref to dsnap's branch, as dsnap always leaves it.
    var headIsOnBranch: Bool {
        let text = (try? String(contentsOfFile: dataset.gitDir + "/HEAD", encoding: .utf8)) ?? ""
        return text.trimmed(newlines: true) == "ref: " + Dataset.branch
    }

    /// Snapshots newest first.
    public func snapshots(_ visibility: SnapshotVisibility) throws -> [Snapshot] {
        let deleted = try deletedIDs()
        let current = try currentID()
        let restoring = RestoreMarker.runningTarget(in: dataset)
        let notes = try dataset.wrapGit { try dataset.repository.noteIndex(notesRef: Self.notesRef) }
        var result: [Snapshot] = []
        for id in try allIDs() {
            let isDeleted = deleted.contains(id)
            switch visibility {
            case .live, .liveWithAutosaves: if isDeleted { continue }
            case .deleted: if !isDeleted { continue }
            }
            let snapshot = try load(id, current: current, restoring: restoring, isDeleted: isDeleted,
                                    note: .known(notes[id]))
            if visibility == .live && snapshot.record.reason == .autosave { continue }
            result.append(snapshot)
        }
        // Sorted by key, then gathered: moving whole snapshots (a dozen strings each) while
        // sorting cost a listing of 1,000 more than its JSON.
        let order = result.indices.map { (result[$0].record.createdAt, result[$0].id, $0) }
            .sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 > $1.1 }
        return order.map { result[$0.2] }
    }

    static func newestFirst(_ a: Snapshot, _ b: Snapshot) -> Bool {
        if a.record.createdAt != b.record.createdAt { return a.record.createdAt > b.record.createdAt }
        return a.id > b.id
    }

    /// One snapshot by id, live or deleted.
    public func snapshot(_ id: GitOID) throws -> Snapshot {
        try load(id, current: try currentID(), restoring: RestoreMarker.runningTarget(in: dataset),
                 isDeleted: try deletedIDs().contains(id))
    }

    /// Finds the snapshot a user named: `current`, a full id, a unique prefix of 4+ hex digits, or
    /// a name exactly one snapshot bears. Only live snapshots unless `visibility` is `.deleted`.
    public func resolve(_ reference: String, among visibility: SnapshotVisibility = .liveWithAutosaves) throws -> Snapshot {
        if reference == "current" && visibility != .deleted {
            guard let current = try currentID(), !(try deletedIDs().contains(current)) else {
                throw SnapshotError.noCurrentSnapshot
            }
            return try snapshot(current)
        }
        let candidates = try snapshots(visibility)
        let lowered = reference.lowercased()
        let isHexPrefix = reference.utf8.count >= 4 && reference.utf8.allSatisfy { $0.isHexDigit }
        var matches = candidates.filter { isHexPrefix && $0.id.hex.hasPrefix(lowered) }
        if matches.count == 1 && matches[0].id.hex == lowered { return matches[0] }
        matches += candidates.filter { $0.record.name == reference && !matches.contains($0) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 {
            throw SnapshotError.ambiguous(reference: reference, candidates: matches.map {
                "\($0.id.hex.prefix(12))  \($0.record.name)"
            })
        }
        if visibility != .deleted, let hidden = try? resolve(reference, among: .deleted) {
            throw SnapshotError.deleted(reference: reference, id: hidden.id.hex)
        }
        throw SnapshotError.notFound(reference: reference)
    }

    /// Where a snapshot's record is: looked up, or already known from a note index.
    enum NoteLocation {
        case lookUp
        case known(GitOID?)
    }

    func load(_ id: GitOID, current: GitOID?, restoring: GitOID?, isDeleted: Bool,
                      note: NoteLocation = .lookUp) throws -> Snapshot {
        let commit = try CatalogMemo.commit(id) { try dataset.wrapGit { try dataset.repository.commit(id) } }
        let record = try self.record(for: commit, note: note)
        return Snapshot(id: id, record: record, parent: commit.parents.first, tree: commit.tree,
                        datasetName: dataset.name, isCurrent: id == current, isRestoring: id == restoring,
                        isDeleted: isDeleted, mergedParent: commit.parents.dropFirst().first)
    }

    /// The snapshot's note, or a record rebuilt from the commit when the note is missing (a commit
    /// made by plain git, say): it is still a snapshot, just one nobody described.
    private func record(for commit: GitCommitInfo, note: NoteLocation) throws -> SnapshotRecord {
        let text: String?
        switch note {
        case .lookUp:
            text = try dataset.wrapGit { try dataset.repository.note(on: commit.id, notesRef: Self.notesRef) }
        case let .known(blob?):
            let parsed = try CatalogMemo.record(inNote: blob) {
                Self.parseRecord(String(decoding: try dataset.blobBytes(blob), as: UTF8.self))
            }
            if let parsed { return parsed }
            guard rebuildsUnreadableRecords else { throw RecordError.unreadable(id: commit.id) }
            text = nil
        case .known(nil):
            text = nil
        }
        if let text {
            if let record = Self.parseRecord(text) { return record }
            guard rebuildsUnreadableRecords else { throw RecordError.unreadable(id: commit.id) }
        }
        let counts = try MediaCounts(tree: commit.tree, in: dataset)
        // dsnap's commits say why they were taken in a trailer (`Dsnap-Reason: manual`).
        let trailer = commit.message.split(separator: "\n").last { $0.hasPrefix("Dsnap-Reason: ") }
        let reason = trailer.flatMap { SnapshotReason(rawValue: String($0.dropFirst("Dsnap-Reason: ".count))) }
        return SnapshotRecord(
            name: Snapshot.defaultName(datasetName: dataset.name, id: commit.id), description: "",
            reason: reason ?? .manual, nImages: counts.images, nVideos: counts.videos, trainingModelID: nil,
            trainingModelName: nil, createdAt: Timestamp(microseconds: commit.author.time * 1_000_000),
            createdBy: commit.author.email)
    }

    private static func parseRecord(_ text: String) -> SnapshotRecord? {
        (try? JSONParser.parse(text)).flatMap(SnapshotRecord.init(json:))
    }

    /// Writes a snapshot's record (under the metadata lock, so concurrent edits lose nothing).
    func writeRecord(_ record: SnapshotRecord, for id: GitOID, identity: Identity, context: OperationContext) throws {
        let now = context.now()
        let signature = GitSignature(name: identity.name, email: identity.email, time: now.seconds)
        var record = record
        record.updatedAt = now
        let text = JSONWriter.render(record.json, pretty: true) + "\n"
        try dataset.wrapGit {
            try dataset.repository.setNote(on: id, notesRef: Self.notesRef, text: text, signature: signature) { objects in
                // A few small loose objects: flushed one by one (a syncfs would wait for every
                // other write on the file system, a restored video's included).
                let paths = objects.map { $0.looseObjectPath(in: dataset.gitDir + "/objects") }
                try FileSystemSync.sync(paths: paths.map(\.file) + Set(paths.map(\.folder)).sorted())
            }
        }
    }
}

/// A file of a snapshot, as `dsnap show --files` lists it.
public struct SnapshotFile: Sendable, Equatable {
    public let path: String
    public let fileClass: FileClass
    /// `file`, `executable`, `symlink` or `submodule`.
    public let kind: String
}

extension SnapshotCatalog {
    /// Every file of a snapshot, in tree order.
    public func files(of snapshot: Snapshot) throws -> [SnapshotFile] {
        try dataset.wrapGit { try dataset.repository.treeEntries(snapshot.tree) }.map { entry in
            let kind: String
            switch entry.kind {
            case .blob, .tree: kind = "file"
            case .executable: kind = "executable"
            case .symlink: kind = "symlink"
            case .submodule: kind = "submodule"
            }
            return SnapshotFile(path: entry.path, fileClass: FileClass(path: entry.path), kind: kind)
        }
    }
}

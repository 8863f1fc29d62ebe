/// `dsnap verify`: checks that every object, record and ref the chosen snapshots need is there
/// and sound. Takes no lock and writes nothing, so it runs beside any other command.
///
/// Three passes: the snapshots' trees are walked once each (a tree shared by many snapshots is
/// read once), listing every object they reach; the objects are then inflated and hashed on
/// every core; only when some object is bad are the trees walked again, to name the paths and
/// snapshots that hold it. Memory is the list of object ids, never an object's content.
public enum VerifyDataset {
    public enum Selection: Sendable {
        /// Live snapshots and autosaves (the default).
        case live
        /// Deleted snapshots too (`--all`).
        case all
        /// The snapshots the user named.
        case named([String])
    }

    public static func run(_ selection: Selection, in dataset: Dataset, progress: ProgressSink?) throws -> VerifyReport {
        var walk = StoreWalk(dataset: dataset)
        walk.checkHeadAndRefs()
        walk.checkPendingOperations()
        let chosen = try walk.choose(selection)
        for (position, label) in chosen.enumerated() {
            walk.walkSnapshot(label)
            progress?.report(OperationProgress(phase: "reading snapshots", filesDone: position + 1,
                                               filesTotal: chosen.count))
        }
        try walk.checkObjects(progress: progress)
        walk.nameDamagedObjects(in: chosen)
        progress?.finish()
        return VerifyReport(snapshotsChecked: chosen.count, objectsChecked: walk.objects.count,
                            bytesChecked: walk.bytesChecked, problems: walk.problems)
    }
}

/// The state of one verify: what was found to check, and what is wrong.
struct StoreWalk {
    let dataset: Dataset
    private var repository: GitRepository { dataset.repository }
    private(set) var problems: [VerifyProblem] = []
    /// Every object to hash, each once, in the order found.
    private(set) var objects: [GitOID] = []
    private var queued: Set<GitOID> = []
    private(set) var bytesChecked: Int64 = 0
    /// Media counts of each tree walked whole; a tree met again is not read again.
    private var treeCounts: [GitOID: MediaCounts] = [:]
    /// Trees that could not be read, and the problem each is.
    private var damagedTrees: [GitOID: Int] = [:]
    /// Problems of objects found bad by hashing, by object.
    private var damagedObjects: [GitOID: Int] = [:]
    private var records: [GitOID: SnapshotRecord] = [:]
    private var noteBlobs: [GitOID: GitOID] = [:]
    private var liveIDs: [GitOID] = []
    private lazy var shallow = ShallowFile.read(gitDir: dataset.gitDir)
    private var deletedIDs: Set<GitOID> = []

    init(dataset: Dataset) {
        self.dataset = dataset
    }

    // MARK: Refs, HEAD, records

    /// HEAD must be dsnap's branch, at a live snapshot; refs must name what they point at; every
    /// tombstone must hide a snapshot dsnap has (or record that it was purged).
    mutating func checkHeadAndRefs() {
        if !SnapshotCatalog(dataset: dataset).headIsOnBranch {
            let error = StorageError.headMoved(gitDir: dataset.gitDir)
            problems.append(VerifyProblem(kind: .reference, detail: error.message, fix: error.hint))
        }
        // Read in the order writers make them, backwards: a commit writes the snapshot ref before
        // moving HEAD, and a delete finds the snapshot ref before writing its tombstone. So HEAD,
        // then the tombstones, then the snapshot refs: whatever runs meanwhile, what is read
        // first is backed by what is read after.
        let head = try? repository.headCommit()
        let deletedPrefix = SnapshotCatalog.deletedRefPrefix
        let tombstones = (try? repository.referenceNames(matching: deletedPrefix + "*")) ?? []
        let prefix = SnapshotCatalog.snapshotRefPrefix
        let names = (try? repository.referenceNames(matching: prefix + "*")) ?? []
        for name in names {
            let suffix = String(name.dropFirst(prefix.count))
            guard let id = GitOID(hex: suffix) else {
                problems.append(VerifyProblem(kind: .reference, detail: "ref '\(name)' does not name a snapshot id",
                                              fix: "remove it: git --git-dir=\(dataset.gitDir) update-ref -d \(name)"))
                continue
            }
            do {
                guard try repository.resolve(reference: name) == id else {
                    problems.append(VerifyProblem(kind: .reference, object: id,
                                                  detail: "ref '\(name)' points at another object",
                                                  fix: "point it back with 'git --git-dir=\(dataset.gitDir) update-ref \(name) "
                                                    + "\(id.short)' if that commit exists, else remove it with 'update-ref -d \(name)'"))
                    continue
                }
            } catch {
                problems.append(VerifyProblem(kind: .reference, object: id, detail: "ref '\(name)' cannot be read"))
                continue
            }
            liveIDs.append(id)
        }
        let withRefs = Set(liveIDs)
        for name in tombstones {
            guard let id = GitOID(hex: String(name.dropFirst(deletedPrefix.count))) else {
                problems.append(VerifyProblem(kind: .reference, detail: "tombstone '\(name)' does not name a snapshot id"))
                continue
            }
            if withRefs.contains(id) {
                deletedIDs.insert(id)
            } else if (try? Tombstone.purgeRecord(of: id, in: dataset)) == nil {
                problems.append(VerifyProblem(kind: .reference, object: id,
                                              detail: "tombstone '\(name)' hides a snapshot that has no ref"))
            }
        }
        liveIDs.removeAll { deletedIDs.contains($0) }
        if let head, !withRefs.contains(head) || deletedIDs.contains(head) {
            problems.append(VerifyProblem(kind: .reference, object: head,
                                          detail: "HEAD points at \(head.short), which is not a live snapshot",
                                          fix: "run 'dsnap restore SNAP' to make a snapshot current"))
        }
        do {
            noteBlobs = try repository.noteIndex(notesRef: SnapshotCatalog.notesRef)
            if let notes = try repository.resolve(reference: SnapshotCatalog.notesRef) {
                enqueue(notes)
                enqueue(try repository.commit(notes).tree)
            }
        } catch {
            problems.append(VerifyProblem(kind: .record, detail: "the records (refs/notes/dsnap) cannot be read: \(Self.describe(error))"))
        }
    }

    /// An interrupted restore, or files a restore or clone wrote that a restart may have lost.
    mutating func checkPendingOperations() {
        if let target = RestoreMarker.target(in: dataset), DatasetLock.runningOperation(in: dataset) == nil {
            problems.append(VerifyProblem(kind: .interrupted, object: target,
                                          detail: "a restore to snapshot \(target.short) was interrupted",
                                          fix: "run 'dsnap restore --continue' to finish it"))
        }
        if let lost = UnsyncedWorkTree.fromEarlierBoot(gitDir: dataset.gitDir).first {
            problems.append(VerifyProblem(
                kind: .interrupted,
                detail: "the machine restarted before the files written by '\(lost.operation)' were on disk",
                fix: "run 'dsnap restore current' to check every file and rewrite damaged ones"))
        }
    }

    /// The snapshots to check, with the names their records give them.
    mutating func choose(_ selection: VerifyDataset.Selection) throws -> [SnapshotLabel] {
        let ids: [GitOID]
        switch selection {
        case .live: ids = liveIDs
        case .all: ids = liveIDs + deletedIDs.sorted()
        case let .named(references):
            let catalog = SnapshotCatalog(dataset: dataset)
            ids = try references.map { reference in
                do {
                    return try catalog.resolve(reference).id
                } catch SnapshotError.deleted(_, let hex) {
                    // Verify checks deleted snapshots too when named.
                    if let id = GitOID(hex: hex) { return id }
                    throw SnapshotError.notFound(reference: reference)
                } catch let error as SnapshotError {
                    throw error
                } catch {
                    // The catalog cannot load a damaged snapshot: an id or a prefix still finds it.
                    let lowered = reference.lowercased()
                    let matches = (liveIDs + deletedIDs).filter { reference.count >= 4 && $0.hex.hasPrefix(lowered) }
                    guard matches.count == 1 else { throw error }
                    return matches[0]
                }
            }
        }
        var seen: Set<GitOID> = []
        var labels: [SnapshotLabel] = []
        for id in ids where seen.insert(id).inserted { labels.append(label(id)) }
        return labels
    }

    private mutating func label(_ id: GitOID) -> SnapshotLabel {
        if let blob = noteBlobs[id] {
            enqueue(blob)
            do {
                let text = String(decoding: try dataset.blobBytes(blob), as: UTF8.self)
                guard let json = try? JSONParser.parse(text), let record = SnapshotRecord(json: json) else {
                    let label = SnapshotLabel(id: id, name: id.short)
                    problems.append(VerifyProblem(
                        kind: .record, object: blob, snapshots: [label], detail: "the record is not valid JSON",
                        fix: "run 'dsnap update \(id.short) --name NAME' to write a new record"))
                    return label
                }
                records[id] = record
                return SnapshotLabel(id: id, name: record.name)
            } catch {
                // Named again when the objects are hashed; the snapshot keeps its id as a name.
            }
        }
        return SnapshotLabel(id: id, name: Snapshot.defaultName(datasetName: dataset.name, id: id))
    }

    // MARK: Trees

    private mutating func enqueue(_ id: GitOID) {
        if queued.insert(id).inserted { objects.append(id) }
    }

    /// Reads the snapshot's commit and every tree under it, listing the objects to hash, and
    /// compares its record's counts with its tree.
    mutating func walkSnapshot(_ snapshot: SnapshotLabel) {
        enqueue(snapshot.id)
        let commit: GitCommitInfo
        do {
            commit = try repository.commit(snapshot.id)
        } catch {
            noteObjectFailure(snapshot.id, error: error, path: nil, snapshot: snapshot)
            return
        }
        // A parent gc purged is not kept (the snapshot is in git's shallow file).
        if !shallow.contains(snapshot.id) { commit.parents.forEach { enqueue($0) } }
        guard let counts = walkTree(commit.tree, path: "", snapshot: snapshot) else { return }
        if let record = records[snapshot.id], record.nImages != counts.images || record.nVideos != counts.videos {
            problems.append(VerifyProblem(
                kind: .record, snapshots: [snapshot],
                detail: "its record counts \(record.nImages) images and \(record.nVideos) videos, its files "
                    + "\(counts.images) and \(counts.videos)"))
        }
    }

    /// The media counts of `tree`, or nil when it or a tree under it cannot be read.
    private mutating func walkTree(_ tree: GitOID, path: String, snapshot: SnapshotLabel) -> MediaCounts? {
        if let counts = treeCounts[tree] { return counts }
        if let problem = damagedTrees[tree] {
            problems[problem].add(path: path.isEmpty ? nil : path, snapshot: snapshot)
            return nil
        }
        enqueue(tree)
        let entries: [GitRepository.TreeLevelEntry]
        do {
            entries = try repository.treeLevel(tree)
        } catch {
            damagedTrees[tree] = noteObjectFailure(tree, error: error, path: path.isEmpty ? nil : path,
                                                   snapshot: snapshot)
            return nil
        }
        var counts = MediaCounts()
        var whole = true
        for entry in entries {
            let entryPath = path + entry.name
            if entry.isTree {
                if let inner = walkTree(entry.id, path: entryPath + "/", snapshot: snapshot) {
                    counts.images += inner.images
                    counts.videos += inner.videos
                } else {
                    whole = false
                }
            } else if entry.isFile || entry.isLink {
                enqueue(entry.id)
                if entry.isFile { counts.add(FileClass(path: entry.name)) }
            }
        }
        guard whole else { return nil }
        treeCounts[tree] = counts
        return counts
    }

    /// Records a problem for an object that could not be read; returns its index.
    @discardableResult
    private mutating func noteObjectFailure(_ id: GitOID, error: Error, path: String?, snapshot: SnapshotLabel) -> Int {
        var problem: VerifyProblem
        if case let StorageError.corrupt(detail) = error, detail.hasSuffix("is missing") {
            problem = objectProblem(id, .missing)
        } else if let failure = error as? GitFailure, failure.missingObjectID != nil {
            problem = objectProblem(id, .missing)
        } else {
            problem = objectProblem(id, .corrupt(Self.describe(error)))
        }
        problem.add(path: path, snapshot: snapshot)
        problems.append(problem)
        damagedObjects[id] = problems.count - 1
        return problems.count - 1
    }

    /// A missing or damaged object, with the one repair there is: its file from a copy that has it.
    private func objectProblem(_ id: GitOID, _ fault: ObjectFault) -> VerifyProblem {
        let file = ".dsnap/objects/\(id.hex.prefix(2))/\(id.hex.dropFirst(2))"
        let fix = "copy \(file) from a backup or a clone of this dataset that has it, then run 'dsnap verify' again"
        switch fault {
        case .missing:
            return VerifyProblem(kind: .missingObject, object: id, detail: "missing", fix: fix)
        case let .corrupt(message):
            // libgit2's and dsnap's readers say "object HEX is corrupt: ..."; the line names it already.
            var detail = message.split(separator: "object \(id.hex) ", omittingEmptySubsequences: false).joined()
            if detail.hasPrefix("is ") { detail.removeFirst(3) }
            return VerifyProblem(kind: .corruptObject, object: id, detail: detail, fix: fix)
        }
    }

    private static func describe(_ error: Error) -> String {
        if let failure = error as? GitFailure { return failure.message }
        if let error = error as? DsnapError { return error.message }
        return "\(error)"
    }

    // MARK: Objects

    /// Inflates and hashes every object found, on every core.
    mutating func checkObjects(progress: ProgressSink?) throws {
        let objects = objects
        let gitDir = dataset.gitDir
        let counter = ByteCounter()
        let results: [(fault: ObjectFault?, bytes: Int64)] = try ParallelWork.run(
            objects.count, phase: "checking objects", progress: progress, bytes: counter,
            makeState: { (try? GitRepository.open(gitDir: gitDir), GitRepository.ObjectCheckBuffers()) }
        ) { position, state in
            guard let repository = state.0 else {
                throw StorageError.io(path: gitDir, reason: "cannot open the repository")
            }
            let checked = repository.checkObject(objects[position], buffers: state.1)
            counter.add(Int(checked.bytes))
            return (checked.fault, checked.bytes)
        }
        for (position, result) in results.enumerated() {
            bytesChecked += result.bytes
            guard let fault = result.fault, damagedObjects[objects[position]] == nil else { continue }
            let id = objects[position]
            problems.append(objectProblem(id, fault))
            damagedObjects[id] = problems.count - 1
        }
    }

    /// Names the paths and snapshots that hold each damaged object, by walking the chosen
    /// snapshots' trees again (only when something is damaged).
    mutating func nameDamagedObjects(in chosen: [SnapshotLabel]) {
        let unnamed = damagedObjects.filter { problems[$0.value].snapshots.isEmpty }
        guard !unnamed.isEmpty else { return }
        for snapshot in chosen {
            if let problem = unnamed[snapshot.id] { problems[problem].add(path: nil, snapshot: snapshot) }
            if let blob = noteBlobs[snapshot.id], let problem = unnamed[blob] {
                problems[problem].add(path: "(its record)", snapshot: snapshot)
            }
            guard let tree = try? repository.commit(snapshot.id).tree else { continue }
            if let problem = unnamed[tree] { problems[problem].add(path: "/", snapshot: snapshot) }
            var visited: Set<GitOID> = []
            name(unnamed, under: tree, path: "", snapshot: snapshot, visited: &visited)
        }
    }

    private mutating func name(_ unnamed: [GitOID: Int], under tree: GitOID, path: String, snapshot: SnapshotLabel,
                               visited: inout Set<GitOID>) {
        guard visited.insert(tree).inserted, damagedTrees[tree] == nil,
              let entries = try? repository.treeLevel(tree) else { return }
        for entry in entries {
            let entryPath = path + entry.name
            if let problem = unnamed[entry.id] {
                problems[problem].add(path: entryPath + (entry.isTree ? "/" : ""), snapshot: snapshot)
            }
            if entry.isTree { name(unnamed, under: entry.id, path: entryPath + "/", snapshot: snapshot, visited: &visited) }
        }
    }
}

import FoundationEssentials
import Glibc

/// What a clone made.
public struct CloneResult: Sendable {
    public let path: String
    public let datasetName: String
    public let snapshot: Snapshot
    public let stats: CheckoutStats
    /// Objects hard-linked from the source, and objects copied (across file systems, or packed).
    public let objectsLinked: Int
    public let objectsCopied: Int
}

/// `dsnap clone`: a new, independent dataset from a snapshot. It is built in a hidden temporary
/// folder beside the destination and renamed into place at the end, so an interrupted clone leaves
/// no half-made dataset. The source is only read: it is not locked.
public enum CloneDataset {
    /// `dsnap clone` whole: accepted, then executed on this thread.
    public static func run(_ reference: String, from source: Dataset, to destination: String?, name: String?,
                           checkout: WorkTreeCheckout, context: OperationContext,
                           progress: ProgressSink? = nil) throws -> CloneResult {
        try accept(reference, from: source, to: destination, name: name, checkout: checkout, context: context,
                   progress: progress).execute()
    }

    /// Everything a clone can refuse before it copies anything (no such snapshot, a hostile tree,
    /// a destination in the way), then its hidden folder made and its task recorded. The caller runs
    /// `execute` on the result, on this thread or another (`dsnap serve` answers 202 in between).
    public static func accept(_ reference: String, from source: Dataset, to destination: String?, name: String?,
                              checkout: WorkTreeCheckout, context: OperationContext,
                              progress: ProgressSink? = nil) throws -> AcceptedClone {
        let snapshot = try SnapshotCatalog(dataset: source).resolve(reference)
        let target = try destination.map(checkedDestination) ?? defaultDestination(for: source.root)
        let datasetName = name ?? "\(source.name) (cloned)"
        guard !datasetName.isEmpty else { throw DatasetError.invalidName("the name is empty") }
        // The snapshot's entries are judged in the source before a folder is made or an object
        // copied. A missing blob is found by the copy instead of a look-up per file first (a system
        // call each): the clone is built in a hidden folder that any failure removes, and the
        // copy's failure is then explained entry by entry (see AcceptedClone).
        try SnapshotTreeCheck.check(snapshot.tree, in: source, requireBlobs: false)

        let parent = target.parentPath
        let base = target.lastPathComponent
        removeAbandonedTemporaries(in: parent, for: base)
        let temporary = temporaryFolder(for: target)
        // Noted before it exists: whatever stops this process, someone removes the folder.
        let note = PendingClones.note(temporary, source: source.gitDir)
        InterruptCleanup.remember(temporary)
        do {
            try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        } catch {
            InterruptCleanup.forget(temporary)
            PendingClones.done(note)
            throw StorageError.fromErrno(access(parent, W_OK) == 0 ? EIO : EACCES, path: parent)
        }
        // The task goes to the source's journal, where the clone was started and where a failed
        // clone's task stays (the new dataset is removed with it); the new dataset gets a copy
        // once it exists, as the API shows a clone's task for the new dataset.
        let recorder = TaskRecorder(type: .clone, snapshotID: nil, datasetName: datasetName, gitDir: source.gitDir,
                                    context: context, forward: progress)
        return AcceptedClone(snapshot: snapshot, source: source, target: target, temporary: temporary,
                             datasetName: datasetName, note: note, recorder: recorder, checkout: checkout,
                             context: context)
    }

    /// The hidden folder a clone to `target` is built in, beside it.
    static func temporaryFolder(for target: String) -> String {
        target.parentPath + "/.\(target.lastPathComponent).dsnap-clone-\(getpid())"
    }

    /// Copies the snapshot's objects into the hidden folder, records the clone's snapshot, writes
    /// its work tree and moves it into place.
    static func build(_ clone: AcceptedClone, recorder: TaskRecorder) throws -> (CloneResult, unsynced: String?) {
        let (snapshot, source, temporary, context) = (clone.snapshot, clone.source, clone.temporary, clone.context)
        _ = try DatasetSetup.createRepository(root: temporary, name: clone.datasetName)
        let gitDir = temporary + "/" + Dataset.gitDirName
        recorder.alsoRecord(inGitDir: gitDir)
        let (linked, copied): (Int, Int)
        do {
            (linked, copied) = try copyObjects(of: snapshot.tree, from: source, toGitDir: gitDir)
        } catch {
            // A missing object: named by the file that needs it, when one does.
            try SnapshotTreeCheck.check(snapshot.tree, in: source, requireBlobs: true)
            throw error
        }
        // Opened after the objects arrived, so libgit2 sees them.
        let dataset = try Dataset.open(root: temporary)
        // A new dataset: empty index, empty work tree, so the tree is compared with the index alone.
        let plan = try clone.checkout.plan(snapshot.tree, in: dataset, workTreeMatchesIndex: true)
        // The snapshot is recorded (and its objects flushed) before the work tree is
        // written, so that flush has only the repository to write, not a copy of the data.
        let counts = MediaCounts(paths: plan.writes.filter {
            $0.mode == GitFileMode.regular || $0.mode == GitFileMode.executable
        }.map(\.path))
        let recorded = try TakeSnapshot.record(
            tree: snapshot.tree, counts: counts, request: SnapshotRequest(reason: .clone), in: dataset,
            context: context, clonedFrom: (source.name, snapshot.id))
        recorder.setSnapshot(recorded.snapshot.id)
        let unsynced = try UnsyncedWorkTree.begin(gitDir: gitDir, operation: "clone \(snapshot.id.short)")
        let stats = try clone.checkout.apply(plan, in: dataset, progress: ProgressStep(recorder, phase: "cloning"))
        // No one else has seen the new dataset: a lock or temporary file libgit2 could not
        // remove (a failed unlink) is nobody's, and must not greet its first command.
        Leftovers.remove(in: gitDir)
        // In the task: a clone that cannot take its place failed.
        try moveIntoPlace(temporary, clone.target)
        recorder.journalMoved(from: gitDir, to: clone.target + "/" + Dataset.gitDirName)
        return (CloneResult(path: clone.target, datasetName: clone.datasetName, snapshot: recorded.snapshot,
                            stats: stats, objectsLinked: linked, objectsCopied: copied), unsynced)
    }

    /// A destination the user named: absent, or an empty directory.
    static func checkedDestination(_ path: String) throws -> String {
        let target = URL(fileURLWithPath: path).standardizedFileURL.path
        guard !PathBytes.hasEscapes(target) else { throw DatasetError.folderNotUTF8(path: target) }
        var info = stat()
        guard lstat(target, &info) == 0 else { return target }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? ["?"]
        guard info.st_mode & S_IFMT == S_IFDIR, contents.isEmpty else { throw CloneError.destinationExists(path: target) }
        return target
    }

    /// `<source>-clone`, then `<source>-clone-2`, ... beside the source folder: the first that
    /// neither exists nor is being built by another clone of this process (`dsnap serve` runs
    /// several, choosing each one's destination in turn).
    static func defaultDestination(for sourceRoot: String) -> String {
        var candidate = sourceRoot + "-clone"
        var number = 2
        while FileManager.default.fileExists(atPath: candidate)
                || FileManager.default.fileExists(atPath: temporaryFolder(for: candidate)) {
            candidate = sourceRoot + "-clone-\(number)"
            number += 1
        }
        return candidate
    }

    /// Hard-links the snapshot's objects (immutable files, so sharing them is safe and the clone
    /// stays independent); copies them across file systems; packed ones travel as packs.
    private static func copyObjects(of tree: GitOID, from source: Dataset, toGitDir gitDir: String) throws -> (Int, Int) {
        let objects = try source.wrapGit { try source.repository.reachableObjects(fromTree: tree) }
        var linked = 0
        var copied = 0
        var packed: [GitOID] = []
        var madeFolders = Set<String>()
        for id in objects {
            let from = id.looseObjectPath(in: source.gitDir + "/objects").file
            let (folder, to) = id.looseObjectPath(in: gitDir + "/objects")
            if madeFolders.insert(folder).inserted {
                mkdir(folder, 0o777)
            }
            if link(from, to) == 0 || errno == EEXIST {
                linked += 1
                continue
            }
            switch errno {
            case ENOENT:
                packed.append(id)
            case EXDEV, EPERM, EMLINK:
                try copyFile(from, to)
                copied += 1
            default:
                throw StorageError.fromErrno(errno, path: to)
            }
        }
        if !packed.isEmpty {
            // Packed objects travel as packs: linked whole when every object is wanted, else
            // their entries copied as they are. Only deltas (a pack made by `git gc`) go one by one.
            let outcome = try PackCopy.copy(packed, from: source.gitDir + "/objects", to: gitDir + "/objects")
            linked += outcome.objectsLinked
            copied += outcome.objectsCopied
            if !outcome.left.isEmpty {
                let clone = try GitRepository.open(gitDir: gitDir)
                for id in outcome.left {
                    try source.wrapGit { try clone.copyObject(id, from: source.repository) }
                    copied += 1
                }
            }
        }
        return (linked, copied)
    }

    private static func copyFile(_ from: String, _ to: String) throws {
        do {
            try FileManager.default.copyItem(atPath: from, toPath: to)
        } catch {
            throw StorageError.io(path: to, reason: String(describing: error))
        }
    }

    /// Renames the finished clone over the destination (an empty directory there is replaced).
    static func moveIntoPlace(_ temporary: String, _ target: String) throws {
        rmdir(target)
        guard rename(temporary, target) == 0 else {
            if errno == ENOTEMPTY || errno == EEXIST { throw CloneError.destinationExists(path: target) }
            throw StorageError.fromErrno(errno, path: target)
        }
        // The rename itself made durable: the folder is flushed, not the whole file system.
        try FileSystemSync.sync(paths: [target.parentPath])
    }

    /// A killed clone leaves its hidden temporary folder: remove those whose process is gone.
    static func removeAbandonedTemporaries(in parent: String, for base: String) {
        let prefix = ".\(base).dsnap-clone-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), !TaskJournal.isAlive(pid) else { continue }
            try? FileManager.default.removeItem(atPath: parent + "/" + name)
        }
    }
}

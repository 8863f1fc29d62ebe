import FoundationEssentials
import Glibc

/// What a merge did (or, on a dry run, would do).
public struct MergeResult: Sendable {
    public let ours: Snapshot
    public let theirs: Snapshot
    /// The dataset their snapshot came from, when it is another one (a clone).
    public let theirsDataset: String?
    /// The snapshot both sides started from; nil when ours already holds theirs.
    public let base: GitOID?
    /// The merge snapshot, once taken: nil while conflicts wait, on a dry run, or when up to date.
    public let merged: Snapshot?
    public let autosave: Snapshot?
    /// Files taken from their side, and sidecars both sides changed, merged field by field.
    public let taken: [String]
    public let fieldMerged: [String]
    /// Every conflict met, with the side chosen for it where one was.
    public let conflicts: [MergeConflict]
    public let stats: CheckoutStats
    public let dryRun: Bool
    /// Ours already holds theirs (it is theirs, or has it in its history): nothing to merge.
    public var upToDate: Bool { base == nil }
    public var unresolved: [MergeConflict] { conflicts.filter { $0.resolution == nil } }
}

/// What `merge --resolve` settled, and what is left.
public struct MergeResolution: Sendable {
    public let resolved: [MergeConflict]
    public let state: MergeState
    public let stats: CheckoutStats
}

/// What `merge --abort` did.
public struct MergeAbort: Sendable {
    /// The snapshot whose merge was given up; nil when its journal could not be read.
    public let theirs: GitOID?
    /// Edits made during the merge, saved before the work tree went back.
    public let autosave: Snapshot?
    public let stats: CheckoutStats
}

/// `dsnap merge`: combines another snapshot into the work tree three-way (`TreeMerge`), with
/// restore's safety: the whole merged tree is built and checked before the first file is
/// written, uncommitted changes are refused or autosaved first, each file is replaced
/// atomically, and a journal (`MergeState`) written before the first write lets a merge killed
/// at any instant be finished (`--continue`) or undone (`--abort`). With no conflict left it
/// takes a snapshot with two parents; otherwise the files keep ours' values where sides
/// conflict, and `--resolve`, `--continue` and `--abort` take it from there.
public enum MergeSnapshot {
    /// Commit, restore and a second merge wait while a merge is unfinished.
    static func refuseWhileMerging(in dataset: Dataset) throws {
        guard MergeState.exists(in: dataset) else { return }
        let state = try MergeState.read(in: dataset)
        if let state {
            let interrupted = state.phase == .applying && DatasetLock.runningOperation(in: dataset) == nil
            throw MergeError.inProgress(theirs: state.theirs.hex, interrupted: interrupted)
        }
    }

    /// `dsnap merge SNAP`: `reference` names a snapshot of `other` when given (`PATH:SNAP`), else
    /// of this dataset.
    public static func perform(_ reference: String, from other: Dataset?, options: MergeOptions, discard: Bool,
                               dryRun: Bool, in dataset: Dataset, checkout: WorkTreeCheckout, writer: SnapshotWriter,
                               context: OperationContext, progress: ProgressSink? = nil) throws -> MergeResult {
        let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: "merge", context: context)
        defer { withExtendedLifetime(lock) {} }
        try refuseWhileMerging(in: dataset)
        if let pending = RestoreMarker.target(in: dataset) { throw RestoreError.interrupted(target: pending.hex) }
        if let lost = UnsyncedWorkTree.fromEarlierBoot(gitDir: dataset.gitDir).first {
            throw RestoreError.unsyncedBeforeRestart(operation: lost.operation)
        }
        let catalog = SnapshotCatalog(dataset: dataset)
        guard let oursID = try catalog.currentID() else { throw MergeError.noCurrentSnapshot }
        let ours = try catalog.snapshot(oursID)
        let theirsCatalog = other.map(SnapshotCatalog.init(dataset:)) ?? catalog
        let theirs = try theirsCatalog.resolve(reference)
        let repository = dataset.repository
        if let other {
            // Read in place to plan; copied into this dataset only once the merge goes ahead.
            try dataset.wrapGit { try repository.addReadableObjects(fromGitDir: other.gitDir) }
        }
        func result(base: GitOID?, merged: Snapshot? = nil, autosave: Snapshot? = nil, files: [FileMerge] = [],
                    conflicts: [MergeConflict]? = nil, stats: CheckoutStats = CheckoutStats()) -> MergeResult {
            MergeResult(ours: ours, theirs: theirs, theirsDataset: other?.root, base: base, merged: merged,
                        autosave: autosave, taken: files.filter { $0.how == .taken }.map(\.path),
                        fieldMerged: files.filter { $0.how == .fields }.map(\.path),
                        conflicts: conflicts ?? files.flatMap(\.conflicts), stats: stats, dryRun: dryRun)
        }
        if try dataset.wrapGit({ try repository.isDescendant(ours.id, of: theirs.id) }) { return result(base: nil) }
        guard let base = try MergeBase.find(ours: ours.id, theirs: theirs.id, in: dataset, theirsCatalog: theirsCatalog) else {
            throw MergeError.noCommonSnapshot(ours: ours.id.hex, theirs: theirs.id.hex)
        }
        // Their tree may come from elsewhere: judged whole, as a restore judges it, before anything.
        try SnapshotTreeCheck.check(theirs.tree, in: dataset, requireBlobs: false)
        let baseTree = try dataset.wrapGit { try repository.commit(base).tree }
        let files = try TreeMerge.plan(base: baseTree, ours: ours.tree, theirs: theirs.tree, in: dataset, options: options)
        if dryRun { return result(base: base, files: files) }

        let clean = try ReadStatus.workTreeMatchesIndexAndCurrent(in: dataset)
        let changes = clean ? [] : try ReadStatus.changes(in: dataset, knownChanged: true)
        if !changes.isEmpty && !discard {
            throw MergeError.uncommittedChanges(paths: changes.prefix(10).map(\.path), total: changes.count)
        }
        if let other { try adopt(theirs, from: other, into: dataset, context: context) }
        // From here on a handle that reads this dataset's store alone: libgit2 skips writing an
        // object it can read, and one read from the other store would be missing here later.
        let dataset = other == nil ? dataset : try Dataset.open(root: dataset.root)
        let mergedTree = try tree(of: files, onto: ours.tree, in: dataset)
        // The merged sidecars' objects are on disk before the journal names the tree holding them.
        try FileSystemSync.sync(containing: dataset.gitDir)
        let plan = try checkout.plan(mergedTree, in: dataset, workTreeMatchesIndex: clean)

        let recorder = TaskRecorder(type: .merge, snapshotID: nil, datasetName: dataset.name, gitDir: dataset.gitDir,
                                    context: context, forward: progress)
        defer { recorder.finish() }
        return try recorder.run(context: context) {
            UnsyncedWorkTree.settle(root: dataset.root, gitDir: dataset.gitDir)
            ReplacedFiles.delete(gitDir: dataset.gitDir)
            // HEAD stays on ours: the merge snapshot's first parent.
            let autosave = try TakeSnapshot.autosave(changes.count, name: "autosave before merging " + theirs.id.hex.prefix(12),
                                                     savedBy: "saved by dsnap merge", makeCurrent: false, in: dataset,
                                                     writer: writer, context: context)
            var state = MergeState(phase: .applying, ours: ours.id, theirs: theirs.id, base: base,
                                   theirsName: theirs.record.name, theirsDataset: other?.root,
                                   theirsDatasetName: other?.name, options: options,
                                   startTree: autosave?.tree ?? ours.tree, mergedTree: mergedTree,
                                   autosave: autosave?.id, conflicts: files.flatMap(\.conflicts), startedAt: context.now())
            try state.write(in: dataset)
            let stats = try apply(plan, in: dataset, checkout: checkout, context: context, progress: recorder,
                                  operation: "merge \(theirs.id.short)") {
                if !state.unresolved.isEmpty {
                    state.phase = .conflicts
                    try state.write(in: dataset)
                }
            }
            var merged: Snapshot?
            if state.unresolved.isEmpty {
                // The index holds the merged tree, as the checkout left it.
                let counts = try MediaCounts(tree: mergedTree, in: dataset)
                merged = try TakeSnapshot.record(tree: mergedTree, counts: counts, request: request(for: state, in: dataset),
                                                 in: dataset, context: context, mergedParent: theirs.id).snapshot
                try MergeState.clear(in: dataset)
                recorder.setSnapshot(merged!.id)
            }
            return result(base: base, merged: merged, autosave: try autosave.map { try catalog.snapshot($0.id) },
                          files: files, conflicts: state.conflicts, stats: stats)
        }
    }

    /// `dsnap merge --continue`: finishes writing the files of a merge that was interrupted, and
    /// once no conflict is left open, takes the merge snapshot of the work tree as it stands
    /// (hand edits included).
    public static func continueMerge(in dataset: Dataset, checkout: WorkTreeCheckout, writer: SnapshotWriter,
                                     context: OperationContext, progress: ProgressSink? = nil) throws -> (state: MergeState, merged: Snapshot, stats: CheckoutStats) {
        let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: "merge", context: context)
        defer { withExtendedLifetime(lock) {} }
        guard var state = try MergeState.read(in: dataset) else { throw MergeError.nothingInProgress(action: "continue") }
        var stats = CheckoutStats()
        if state.phase == .applying {
            let plan = try checkout.plan(state.mergedTree, in: dataset, workTreeMatchesIndex: false)
            stats = try apply(plan, in: dataset, checkout: checkout, context: context, progress: progress,
                              operation: "merge --continue") {
                state.phase = .conflicts
                try state.write(in: dataset)
            }
        }
        let open = try self.progress(state, in: dataset).open
        if !open.isEmpty {
            var files: [String] = []
            for conflict in open where !files.contains(conflict.path) { files.append(conflict.path) }
            throw MergeError.unresolved(count: open.count, files: Array(files.prefix(5)))
        }
        let recorder = TaskRecorder(type: .merge, snapshotID: nil, datasetName: dataset.name, gitDir: dataset.gitDir,
                                    context: context, forward: nil)
        defer { recorder.finish() }
        let merged = try recorder.run(context: context) { () throws -> Snapshot in
            let snapshot = try TakeSnapshot.run(request(for: state, in: dataset), in: dataset, writer: writer,
                                                context: context, mergedParent: state.theirs).snapshot
            try MergeState.clear(in: dataset)
            recorder.setSnapshot(snapshot.id)
            return snapshot
        }
        return (state, merged, stats)
    }

    /// `dsnap merge --abort`: the work tree as it was before the merge, byte for byte (the
    /// uncommitted changes the merge autosaved included), the current snapshot unmoved. Edits
    /// made to the files since the merge wrote them are autosaved first.
    public static func abort(in dataset: Dataset, checkout: WorkTreeCheckout, writer: SnapshotWriter,
                             context: OperationContext, progress: ProgressSink? = nil) throws -> MergeAbort {
        let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: "merge", context: context)
        defer { withExtendedLifetime(lock) {} }
        let state: MergeState
        do {
            guard let read = try MergeState.read(in: dataset) else { throw MergeError.nothingInProgress(action: "abort") }
            state = read
        } catch let error as StorageError where MergeState.exists(in: dataset) {
            return try abandon(after: error, in: dataset, checkout: checkout, writer: writer, context: context,
                               progress: progress)
        }
        let recorder = TaskRecorder(type: .restore, snapshotID: state.ours.hex, datasetName: dataset.name,
                                    gitDir: dataset.gitDir, context: context, forward: progress)
        defer { recorder.finish() }
        return try recorder.run(context: context) {
            var autosave: Snapshot?
            // Interrupted half-way, the differences are the merge's own unfinished work.
            if state.phase == .conflicts, !(try ReadStatus.changes(in: dataset, since: state.mergedTree)).isEmpty {
                let request = SnapshotRequest(name: "autosave before aborting the merge of " + state.theirs.hex.prefix(12),
                                              description: "edits made during the merge, saved by dsnap merge --abort",
                                              reason: .autosave)
                autosave = try TakeSnapshot.run(request, in: dataset, writer: writer, context: context,
                                                makeCurrent: false).snapshot
            }
            let plan = try checkout.plan(state.startTree, in: dataset, workTreeMatchesIndex: false)
            let stats = try apply(plan, in: dataset, checkout: checkout, context: context, progress: recorder,
                                  operation: "merge --abort") {
                try MergeState.clear(in: dataset)
            }
            return MergeAbort(theirs: state.theirs, autosave: autosave, stats: stats)
        }
    }

    /// `--abort` with a journal that cannot be read: what the merge started from is unknown, so
    /// the work tree goes back to the current snapshot (which a merge never moves), everything
    /// that differs from it autosaved first.
    private static func abandon(after error: StorageError, in dataset: Dataset, checkout: WorkTreeCheckout,
                                writer: SnapshotWriter, context: OperationContext,
                                progress: ProgressSink?) throws -> MergeAbort {
        guard let current = try SnapshotCatalog(dataset: dataset).currentID() else { throw error }
        let snapshot = try SnapshotCatalog(dataset: dataset).snapshot(current)
        var autosave: Snapshot?
        if !(try ReadStatus.changes(in: dataset, since: snapshot.tree)).isEmpty {
            let request = SnapshotRequest(name: "autosave before aborting a merge",
                                          description: "the work tree of a merge whose journal could not be read, saved by dsnap merge --abort",
                                          reason: .autosave)
            autosave = try TakeSnapshot.run(request, in: dataset, writer: writer, context: context, makeCurrent: false).snapshot
        }
        let plan = try checkout.plan(snapshot.tree, in: dataset, workTreeMatchesIndex: false)
        let stats = try apply(plan, in: dataset, checkout: checkout, context: context, progress: progress,
                              operation: "merge --abort") {
            try MergeState.clear(in: dataset)
        }
        return MergeAbort(theirs: nil, autosave: autosave, stats: stats)
    }

    /// `dsnap merge --resolve ours|theirs [-- PATH|PATH#POINTER...]`: settles the conflicts
    /// selected (all open ones when none is named; one resolved already may be settled again)
    /// and rewrites their files, each atomically.
    public static func resolve(_ side: MergeSide, selectors: [(path: String, pointer: String?)], in dataset: Dataset,
                               checkout: WorkTreeCheckout, context: OperationContext,
                               progress: ProgressSink? = nil) throws -> MergeResolution {
        let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: "merge", context: context)
        defer { withExtendedLifetime(lock) {} }
        guard var state = try MergeState.read(in: dataset) else { throw MergeError.nothingInProgress(action: "resolve") }
        guard state.phase == .conflicts else { throw MergeError.interruptedWhileResolving }
        var chosen = Set<Int>()
        if selectors.isEmpty {
            chosen = Set(state.conflicts.indices.filter { state.conflicts[$0].resolution == nil })
        }
        for selector in selectors {
            let matches = state.conflicts.indices.filter { index in
                let conflict = state.conflicts[index]
                guard selector.path.isEmpty || conflict.path == selector.path
                        || conflict.path.hasPrefix(selector.path + "/") else { return false }
                guard let pointer = selector.pointer else { return true }
                guard let own = conflict.pointer else { return false }
                return pointer.isEmpty || own == pointer || own.hasPrefix(pointer + "/")
            }
            guard !matches.isEmpty else {
                throw MergeError.noSuchConflict(selector.pointer.map { selector.path + "#" + $0 } ?? selector.path)
            }
            chosen.formUnion(matches)
        }
        let paths = Set(chosen.map { state.conflicts[$0].path })
        let edited = try self.progress(state, in: dataset, paths: paths.sorted()).editedByHand
        if let path = paths.sorted().first(where: edited.contains) { throw MergeError.editedByHand(path: path) }
        for index in chosen { state.conflicts[index].resolution = side }

        let repository = dataset.repository
        let trees = try dataset.wrapGit {
            (base: try repository.commit(state.base).tree, ours: try repository.commit(state.ours).tree,
             theirs: try repository.commit(state.theirs).tree)
        }
        func version(_ path: String, _ tree: GitOID) throws -> MergeFileVersion? {
            try dataset.wrapGit { try repository.fileVersion(at: path, inTree: tree) }.map { MergeFileVersion(id: $0.id, mode: $0.mode) }
        }
        var merges: [FileMerge] = []
        for path in paths.sorted() {
            let ours = try version(path, trees.ours)
            var file = try TreeMerge.file(path, base: try version(path, trees.base), ours: ours,
                                          theirs: try version(path, trees.theirs), in: dataset, options: state.options,
                                          resolutions: state.resolutions[path] ?? [:])
            // Back to ours explicitly: the merged tree may hold theirs from an earlier choice.
            if file.outcome == .keepOurs { file = FileMerge(path: path, outcome: .set(ours), how: file.how, conflicts: file.conflicts) }
            merges.append(file)
            let recomputed = Dictionary(uniqueKeysWithValues: file.conflicts.map { ($0.ordinal, $0) })
            state.conflicts = state.conflicts.map { $0.path == path ? recomputed[$0.ordinal] ?? $0 : $0 }
        }
        state.mergedTree = try tree(of: merges, onto: state.mergedTree, in: dataset)
        try FileSystemSync.sync(containing: dataset.gitDir)
        state.phase = .applying
        try state.write(in: dataset)
        let plan = try checkout.plan(state.mergedTree, in: dataset, workTreeMatchesIndex: false, paths: paths.sorted())
        let stats = try apply(plan, in: dataset, checkout: checkout, context: context, progress: progress,
                              operation: "merge --resolve") {
            state.phase = .conflicts
            try state.write(in: dataset)
        }
        let resolved = chosen.sorted().map { state.conflicts[$0] }
        return MergeResolution(resolved: resolved, state: state, stats: stats)
    }

    /// The unfinished merge, if any, with the conflicted files edited by hand since.
    public static func progress(in dataset: Dataset) throws -> MergeProgress? {
        guard let state = try MergeState.read(in: dataset) else { return nil }
        return try progress(state, in: dataset)
    }

    private static func progress(_ state: MergeState, in dataset: Dataset, paths: [String]? = nil) throws -> MergeProgress {
        var files = paths ?? []
        if paths == nil { for conflict in state.conflicts where !files.contains(conflict.path) { files.append(conflict.path) } }
        guard !files.isEmpty, state.phase == .conflicts else { return MergeProgress(state: state, editedByHand: []) }
        let edited = try ReadStatus.changes(in: dataset, since: state.mergedTree, paths: files).map(\.path)
        return MergeProgress(state: state, editedByHand: Set(edited))
    }

    /// The merge snapshot's record: no name of its own (the default), a description naming both sides.
    private static func request(for state: MergeState, in dataset: Dataset) throws -> SnapshotRequest {
        let catalog = SnapshotCatalog(dataset: dataset)
        let ours = try catalog.snapshot(state.ours)
        var description = "Merge of '\(state.theirsName)' (\(state.theirs.hex.prefix(12)))"
        if let other = state.theirsDatasetName { description += " of dataset '\(other)'" }
        description += " into '\(ours.record.name)' (\(state.ours.hex.prefix(12))), from base \(state.base.hex.prefix(12))"
        return SnapshotRequest(description: description, reason: .merge)
    }

    /// Writes the merged sidecars as objects and returns `tree` with the merge's files put in.
    private static func tree(of files: [FileMerge], onto tree: GitOID, in dataset: Dataset) throws -> GitOID {
        let repository = dataset.repository
        var updates: [(path: String, entry: (id: GitOID, mode: UInt32)?)] = []
        for file in files {
            switch file.outcome {
            case .keepOurs: continue
            case let .set(version): updates.append((file.path, version.map { ($0.id, $0.mode) }))
            case let .write(bytes, mode):
                let id = try dataset.wrapGit { try repository.writeObject(.blob, bytes) }
                updates.append((file.path, (id, mode)))
            }
        }
        return try dataset.wrapGit { try repository.tree(tree, updating: updates) }
    }

    /// Copies their snapshot's objects into this dataset and makes it one of its snapshots, as a
    /// fetch adopts one: the merge snapshot names it as a parent.
    private static func adopt(_ theirs: Snapshot, from other: Dataset, into dataset: Dataset,
                              context: OperationContext) throws {
        // A handle of its own: the dataset's reads the other store too, and would think it had everything.
        let own = try Dataset.open(root: dataset.root)
        let target = own.repository
        let transfer = ObjectTransfer(source: other.repository, sourceGitDir: other.gitDir,
                                      sourceObjects: other.repository.objectsPath,
                                      target: target, targetObjects: target.objectsPath, groupShared: false)
        _ = try dataset.wrapGit { try transfer.copyMissing(from: [theirs.id], verifying: true) }
        try FileSystemSync.sync(containing: target.objectsPath)
        let name = SnapshotCatalog.snapshotRefPrefix + theirs.id.hex
        guard try dataset.wrapGit({ try target.resolve(reference: name) }) == nil else { return }
        let identity = Identity.resolve(explicit: nil, repository: target, environment: context.environment)
        try MetadataLock.withLock(on: dataset) {
            try SnapshotCatalog(dataset: own).writeRecord(theirs.record, for: theirs.id, identity: identity, context: context)
        }
        try dataset.wrapGit { try target.setReference(name, to: theirs.id, message: "dsnap: merge") }
    }

    /// Applies a checkout plan with the restore's flush bookkeeping; `afterWrites` runs once the
    /// files are in place, before they are flushed.
    private static func apply(_ plan: CheckoutPlan, in dataset: Dataset, checkout: WorkTreeCheckout,
                              context: OperationContext, progress: ProgressSink?, operation: String,
                              afterWrites: () throws -> Void) throws -> CheckoutStats {
        let unsynced = plan.writes.isEmpty ? nil : try UnsyncedWorkTree.begin(gitDir: dataset.gitDir, operation: operation)
        let stats = try checkout.apply(plan, in: dataset, progress: progress)
        try afterWrites()
        if let unsynced {
            try UnsyncedWorkTree.finish(token: unsynced, root: dataset.root, gitDir: dataset.gitDir, flush: context.workTreeFlush)
        }
        return stats
    }
}

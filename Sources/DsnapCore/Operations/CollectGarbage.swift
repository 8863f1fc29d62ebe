/// `dsnap gc`: reclaims space. Removes what nothing can reach (objects of killed or failed
/// commits, temporary files of dead writers, loose copies of packed objects, and the lock files,
/// replaced files and half-written task records killed processes leave), packs small loose
/// objects (records, trees, JSON sidecars; never media), and, when asked, purges deleted
/// snapshots and autosaves past an age.
///
/// Safe by construction: what is kept is everything reachable from every ref (the ones plain
/// git honours too), HEAD, the index and an interrupted restore's target; a store that cannot be
/// walked whole is left untouched. Purges move refs only, objects go in the sweep after; a kill at
/// any instant leaves a store the next gc finishes. It holds the dataset's exclusive lock.
public enum CollectGarbage {
    public struct Options: Sendable {
        public var dryRun = false
        /// Purge snapshots deleted longer ago than this many seconds; nil: keep them.
        public var pruneDeletedAge: Int64?
        /// Purge autosaves taken longer ago than this many seconds; nil: keep them.
        public var pruneAutosavesAge: Int64?

        public init(dryRun: Bool = false, pruneDeletedAge: Int64? = nil, pruneAutosavesAge: Int64? = nil) {
            self.dryRun = dryRun
            self.pruneDeletedAge = pruneDeletedAge
            self.pruneAutosavesAge = pruneAutosavesAge
        }
    }

    public struct Purged: Sendable {
        public let snapshot: SnapshotLabel
        /// `deleted` or `autosave`.
        public let kind: String
    }

    public struct Report: Sendable {
        public let dryRun: Bool
        public let purged: [Purged]
        public let objectsRemoved: Int
        public let temporariesRemoved: Int
        public let objectsPacked: Int
        /// Bytes the files removed took, less the packs written.
        public let bytesFreed: Int64
    }

    /// Loose objects at most this large (compressed) that are not media go into a pack.
    static let smallObjectLimit: Int64 = 64 * 1024
    /// Fewer small loose objects than this stay loose: a pack per handful would slow look-ups.
    static let packingThreshold = 16

    public static func run(_ options: Options, in dataset: Dataset, context: OperationContext,
                           progress: ProgressSink?) throws -> Report {
        let lock = try DatasetLock.acquire(.exclusive, on: dataset, command: "gc", context: context)
        defer { withExtendedLifetime(lock) {} }
        // An unfinished merge's files are objects no ref reaches yet.
        try MergeSnapshot.refuseWhileMerging(in: dataset)
        let repository = dataset.repository
        let purges = try purgeCandidates(options, in: dataset, now: context.now())
        // Purged now, or by an earlier gc that may have been killed before its reflogs were cut.
        let purged = Set(purges.map(\.snapshot.id)).union(try Tombstone.purgedIDs(in: dataset))
        if !options.dryRun {
            // Kept snapshots taken on top of a purged one keep no link to it (git's shallow file),
            // or it would stay reachable as their parent and free nothing.
            try ShallowFile.add(try children(of: Set(purges.map(\.snapshot.id)), in: dataset), gitDir: dataset.gitDir)
            let identity = Identity.resolve(explicit: nil, repository: repository, environment: context.environment)
            for purge in purges {
                try Tombstone.purge(purge.snapshot.id, now: context.now(), identity: identity, in: dataset)
            }
            try dataset.wrapGit { try repository.dropReflogEntries(naming: purged) }
        }
        progress?.report(OperationProgress(phase: "finding what is needed", filesDone: 0))
        let indexed = try dataset.wrapGit { try repository.indexedObjects() }
        var roots = try dataset.wrapGit { try repository.allReferenceTargets() + repository.reflogTargets() }
        roots += indexed ?? []
        // What the purges leave (in a dry run, would leave): their commits no longer count.
        roots.removeAll { purged.contains($0) }
        if let target = RestoreMarker.target(in: dataset) { roots.append(target) }
        var shallow = ShallowFile.read(gitDir: dataset.gitDir)
        if options.dryRun { shallow.formUnion(try children(of: Set(purges.map(\.snapshot.id)), in: dataset)) }
        let needed = try dataset.wrapGit { try repository.reachableObjects(from: roots, shallow: shallow) }
        // An index whose cache tree cannot be read may name any tree: none is removed then.
        let mayRemoveTrees = indexed != nil

        let store = LooseObjectStore(objectsPath: repository.objectsPath)
        let packs = PackIndex.all(in: store.objectsPath)
        var removed = 0
        var freed: Int64 = 0
        var small: [(id: GitOID, file: LooseObjectStore.File)] = []
        let loose = store.objects()
        for (position, (id, file)) in loose.enumerated() {
            let packed = packs.contains { $0.contains(id) }
            let unneeded = !needed.contains(id) && (mayRemoveTrees || (try? repository.objectKind(id)) != .tree)
            if unneeded || packed {
                if !options.dryRun { try store.remove(file) }
                removed += 1
                freed += file.bytes
            } else if file.bytes <= smallObjectLimit && !store.isStoredBlocks(file) {
                small.append((id, file))
            }
            if position % 1024 == 0 {
                progress?.report(OperationProgress(phase: "sweeping", filesDone: position, filesTotal: loose.count))
            }
        }
        let temporaries = store.temporaries() + Leftovers.find(in: dataset.gitDir)
        for file in temporaries {
            if !options.dryRun { try store.remove(file) }
            freed += file.bytes
        }
        var packed = 0
        if small.count >= packingThreshold {
            progress?.report(OperationProgress(phase: "packing small objects", filesDone: 0, filesTotal: small.count))
            packed = small.count
            if !options.dryRun {
                // Packing is for speed; a pack of a few hundred tiny objects may take a little
                // more room than their files did, which is not counted against what was freed.
                let packBytes = try dataset.wrapGit { try store.pack(small) }
                freed += max(0, small.reduce(0) { $0 + $1.file.bytes } - packBytes)
            }
        }
        progress?.finish()
        return Report(dryRun: options.dryRun, purged: purges, objectsRemoved: removed,
                      temporariesRemoved: temporaries.count, objectsPacked: packed, bytesFreed: freed)
    }

    /// The snapshots not in `purged` whose parent is: every snapshot ref's and tombstone's commit.
    private static func children(of purged: Set<GitOID>, in dataset: Dataset) throws -> Set<GitOID> {
        guard !purged.isEmpty else { return [] }
        let catalog = SnapshotCatalog(dataset: dataset)
        var found: Set<GitOID> = []
        for id in try catalog.allIDs() where !purged.contains(id) {
            let parents = try dataset.wrapGit { try dataset.repository.commit(id).parents }
            if parents.contains(where: purged.contains) { found.insert(id) }
        }
        return found
    }

    /// Deleted snapshots and autosaves past their age. Never the current snapshot, nor the
    /// target of an interrupted restore.
    private static func purgeCandidates(_ options: Options, in dataset: Dataset, now: Timestamp) throws -> [Purged] {
        guard options.pruneDeletedAge != nil || options.pruneAutosavesAge != nil else { return [] }
        let catalog = SnapshotCatalog(dataset: dataset)
        let current = try catalog.currentID()
        let restoring = RestoreMarker.target(in: dataset)
        // Age 0 ("now") is every one, even one stamped a microsecond ahead (snapshot times
        // are kept strictly increasing).
        func isOlder(_ time: Timestamp, than age: Int64) -> Bool {
            age == 0 || now.microseconds - time.microseconds >= age * 1_000_000
        }
        var result: [Purged] = []
        if let age = options.pruneDeletedAge {
            for snapshot in try catalog.snapshots(.deleted)
            where isOlder(snapshot.record.deletedAt ?? snapshot.record.createdAt, than: age)
                && snapshot.id != current && snapshot.id != restoring {
                result.append(Purged(snapshot: SnapshotLabel(id: snapshot.id, name: snapshot.record.name), kind: "deleted"))
            }
        }
        if let age = options.pruneAutosavesAge {
            for snapshot in try catalog.snapshots(.liveWithAutosaves)
            where snapshot.record.reason == .autosave && isOlder(snapshot.record.createdAt, than: age)
                && snapshot.id != current && snapshot.id != restoring {
                result.append(Purged(snapshot: SnapshotLabel(id: snapshot.id, name: snapshot.record.name), kind: "autosave"))
            }
        }
        return result
    }
}

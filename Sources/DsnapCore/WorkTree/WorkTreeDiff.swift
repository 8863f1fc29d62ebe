import Glibc

/// The work tree compared with a tree or with the index: libgit2's diff, completed below the
/// paths too long for it to reach (`DeepWorkTree`). libgit2 lists what lies there in the tree or
/// the index as deleted; those deltas are replaced by what dsnap finds in the work tree there.
/// Where no path is that long (the usual dataset), this is libgit2's diff and nothing more.
enum WorkTreeDiff {
    /// Files that differ from `tree` (nil: the empty tree) to the work tree, limited to `paths`
    /// (empty: everywhere), as `GitRepository.diffTreeToWorkTree` finds them. `trustingIndex`
    /// false: every file is read, none judged by its stat.
    static func fromTree(_ tree: GitOID?, in dataset: Dataset, paths: [String] = [], detectRenames: Bool = false,
                         trustingIndex: Bool = true) throws -> [GitFileDelta] {
        let found = try dataset.wrapGit {
            try dataset.repository.diffTreeToWorkTree(tree, paths: paths, detectRenames: detectRenames,
                                                      trustingIndex: trustingIndex)
        }
        // A path asked for below the limit: libgit2 looks for nothing past it (its path list
        // expects a folder where it finds an entry it cannot stat).
        let rootBytes = PathBytes.byteCount(dataset.root)
        let asked = paths.compactMap { PathLimit.firstDeepPart(of: $0, rootBytes: rootBytes) }
        let roots = outermost(found.unreached + asked)
        guard !roots.isEmpty else { return found.deltas }
        // Submodules aside, as libgit2's diff leaves them (`GIT_DIFF_IGNORE_SUBMODULES`).
        let expected = try dataset.wrapGit {
            try roots.flatMap { root in try tree.map { try dataset.repository.treeEntries($0, under: root) } ?? [] }
        }.filter { $0.kind != .submodule }.map { (path: $0.path, id: $0.id, mode: mode(of: $0.kind)) }
        return try completed(found.deltas, roots: roots, expected: expected, in: dataset, paths: paths,
                             trustingIndex: trustingIndex)
    }

    /// Files that differ between the index and the work tree (`GitRepository.diffIndexToWorkTree`).
    static func fromIndex(_ index: GitIndex, in dataset: Dataset) throws -> [GitFileDelta] {
        let found = try dataset.wrapGit { try dataset.repository.diffIndexToWorkTree(index) }
        let roots = outermost(found.unreached)
        guard !roots.isEmpty else { return found.deltas }
        let expected = roots.flatMap { index.entries(under: $0) }.filter { $0.mode != GitFileMode.submodule }
            .map { (path: $0.path, id: $0.id, mode: $0.mode) }
        return try completed(found.deltas, roots: roots, expected: expected, in: dataset, paths: [],
                             trustingIndex: true)
    }

    /// `deltas` without those at or below `roots`, plus what differs there between `expected`
    /// (the tree's or the index's entries there) and the work tree.
    private static func completed(_ deltas: [GitFileDelta], roots: [String], expected: [(path: String, id: GitOID, mode: UInt32)],
                                  in dataset: Dataset, paths: [String], trustingIndex: Bool) throws -> [GitFileDelta] {
        let rootKeys = roots.map(PathBytes.bytes)
        let pathKeys = paths.map(PathBytes.bytes)
        func isBelowRoot(_ path: String) -> Bool { rootKeys.contains { covers($0, PathBytes.bytes(path)) } }
        func isAsked(_ key: [UInt8]) -> Bool { pathKeys.isEmpty || pathKeys.contains { $0.isEmpty || covers($0, key) } }
        var result: [GitFileDelta] = []
        for delta in deltas {
            switch (isBelowRoot(delta.oldPath), isBelowRoot(delta.newPath)) {
            case (false, false): result.append(delta)
            case (true, false) where delta.status == .renamed:
                // Paired with a deep file libgit2 took for deleted: only the new side is news.
                result.append(Self.delta(.added, old: (delta.newPath, Self.noObject, 0),
                                         new: (delta.newPath, delta.newID, delta.newMode), newIDKnown: delta.newIDKnown))
            default: break
            }
        }

        let index = try dataset.wrapGit { try dataset.repository.index() }
        let indexed = roots.flatMap { index.entries(under: $0) }
        var byPath: [[UInt8]: GitIndexEntry] = [:]
        for entry in indexed where entry.stage == 0 { byPath[PathBytes.bytes(entry.path)] = entry }
        let indexWritten = modificationTime(of: dataset.gitDir + "/index")
        var walker = DeepWorkTree(dataset: dataset, tracked: indexed.map(\.path))
        var present: [[UInt8]: (path: String, id: GitOID, mode: UInt32)] = [:]
        try walker.walk(roots) { folder, name, file in
            let key = PathBytes.bytes(file.path)
            guard isAsked(key) else { return }
            let id: GitOID
            if trustingIndex, let entry = byPath[key], entry.matches(file.info, indexWritten: indexWritten) {
                id = entry.id
            } else {
                id = try DeepWorkTree.objectID(of: name, in: folder, file: file)
            }
            present[key] = (file.path, id, file.mode)
        }

        var deep: [GitFileDelta] = []
        for old in expected {
            let key = PathBytes.bytes(old.path)
            guard isAsked(key) else { continue }
            guard let new = present.removeValue(forKey: key) else {
                deep.append(delta(.deleted, old: old, new: (old.path, Self.noObject, 0), newIDKnown: false))
                continue
            }
            guard new.id != old.id || new.mode != old.mode else { continue }
            let kindChanged = (old.mode == GitFileMode.symlink) != (new.mode == GitFileMode.symlink)
                || old.mode == GitFileMode.submodule
            deep.append(delta(kindChanged ? .typeChanged : .modified, old: old, new: new, newIDKnown: true))
        }
        for new in present.values {
            deep.append(delta(.added, old: (new.path, Self.noObject, 0), new: new, newIDKnown: true))
        }
        result += deep
        result.sort { left, right in
            PathBytes.bytes(left.status == .deleted ? left.oldPath : left.newPath)
                .lexicographicallyPrecedes(PathBytes.bytes(right.status == .deleted ? right.oldPath : right.newPath))
        }
        return result
    }

    private static func delta(_ status: GitFileDelta.Status, old: (path: String, id: GitOID, mode: UInt32),
                              new: (path: String, id: GitOID, mode: UInt32), newIDKnown: Bool) -> GitFileDelta {
        GitFileDelta(status: status, oldPath: old.path, newPath: new.path, oldID: old.id, newID: new.id,
                     oldMode: old.mode, newMode: new.mode, newIDKnown: newIDKnown)
    }

    /// The id of the side a file is missing from, as libgit2 gives it: all zeros.
    private static let noObject = GitOID(rawBytes: [UInt8](repeating: 0, count: 20))

    /// True when `path` is `folder` or below it.
    private static func covers(_ folder: [UInt8], _ path: [UInt8]) -> Bool {
        path.starts(with: folder) && (path.count == folder.count || path[folder.count] == UInt8(ascii: "/"))
    }

    /// The paths none of the others covers, once each.
    static func outermost(_ paths: [String]) -> [String] {
        let keys = Set(paths.map(PathBytes.bytes))
        return keys.filter { key in
            !keys.contains { $0 != key && covers($0, key) }
        }.sorted { $0.lexicographicallyPrecedes($1) }.map { PathBytes.string($0) }
    }

    static func mode(of kind: GitTreeEntry.Kind) -> UInt32 {
        switch kind {
        case .blob: GitFileMode.regular
        case .executable: GitFileMode.executable
        case .symlink: GitFileMode.symlink
        case .submodule: GitFileMode.submodule
        case .tree: GitFileMode.tree
        }
    }

    /// When the file at `path` was last modified; zero when it cannot be read (nothing then
    /// counts as older than it).
    static func modificationTime(of path: String) -> timespec {
        var info = stat()
        guard stat(path, &info) == 0 else { return timespec(tv_sec: 0, tv_nsec: 0) }
        return info.st_mtim
    }
}

import Clibgit2

/// Which objects something still needs: the ones `dsnap gc` must keep.
extension GitRepository {
    /// Every object reachable from `roots` (commits, trees, blobs, and whatever a root is):
    /// commits through their parents (but not those of `shallow` commits, as git does) and
    /// trees, trees through their entries. A tree met again is not read again. Throws (and the
    /// caller deletes nothing) when an object cannot be read: a store that is already damaged is
    /// not the place to guess what is safe to remove.
    func reachableObjects(from roots: [GitOID], shallow: Set<GitOID> = []) throws -> Set<GitOID> {
        var reached: Set<GitOID> = []
        var pending: [GitOID] = []
        for root in roots where reached.insert(root).inserted { pending.append(root) }
        while let id = pending.popLast() {
            switch try objectKind(id) {
            case nil:
                throw GitFailure(function: "reachableObjects", code: GIT_ENOTFOUND.rawValue,
                                 errorClass: Int32(GIT_ERROR_ODB.rawValue), message: "object \(id.hex) is missing")
            case .commit:
                let commit = try self.commit(id)
                let parents = shallow.contains(id) ? [] : commit.parents
                for next in parents + [commit.tree] where reached.insert(next).inserted { pending.append(next) }
            case .tree:
                for entry in try treeLevel(id) {
                    // A gitlink names a commit of another repository: nothing of ours.
                    guard entry.mode != GIT_FILEMODE_COMMIT.rawValue else { continue }
                    if entry.isTree {
                        if reached.insert(entry.id).inserted { pending.append(entry.id) }
                    } else {
                        // Blobs are not read: being named is enough to be kept.
                        reached.insert(entry.id)
                    }
                }
            default:
                continue
            }
        }
        return reached
    }

    /// Every reference's target (HEAD included), each once: what plain git keeps too.
    func allReferenceTargets() throws -> [GitOID] {
        var targets: Set<GitOID> = []
        for name in try referenceNames(matching: "refs/*") {
            if let id = try resolve(reference: name) { targets.insert(id) }
        }
        if let head = try headCommit() { targets.insert(head) }
        return targets.sorted()
    }

    /// The ids of every entry in the index and of its cache tree: a killed commit may have left
    /// entries whose objects no snapshot names yet, the index trusts them to be there, and git's
    /// fsck checks the cache tree's. Nil when the cache tree cannot be read: then any tree may be
    /// named, and none may be removed.
    func indexedObjects() throws -> [GitOID]? {
        let index = try self.index()
        let entries = (0..<git_index_entrycount(index.pointer)).compactMap { position in
            git_index_get_byindex(index.pointer, position).map { GitOID($0.pointee.id) }
        }
        guard let trees = IndexFile.cacheTreeIDs(path: String(cString: git_repository_path(pointer)) + "index") else {
            return nil
        }
        return entries + trees
    }

    // MARK: Reflogs

    /// Every id the reflogs of HEAD and of each ref name (old and new sides): git's fsck checks
    /// them, and `git gc` keeps what they reach, so dsnap's gc does too.
    func reflogTargets() throws -> [GitOID] {
        var ids: Set<GitOID> = []
        try eachReflog { reflog, _ in
            for position in 0..<git_reflog_entrycount(reflog) {
                guard let entry = git_reflog_entry_byindex(reflog, position) else { continue }
                for side in [git_reflog_entry_id_old(entry), git_reflog_entry_id_new(entry)] {
                    guard let side, git_oid_is_zero(side) == 0 else { continue }
                    ids.insert(GitOID(side))
                }
            }
        }
        return ids.sorted()
    }

    /// Drops the reflog entries that name any of `ids` (purged snapshots), as
    /// `git reflog expire --expire-unreachable` would, and rewrites those reflogs.
    func dropReflogEntries(naming ids: Set<GitOID>) throws {
        guard !ids.isEmpty else { return }
        try eachReflog { reflog, name in
            var dropped = false
            var position = git_reflog_entrycount(reflog)
            while position > 0 {
                position -= 1
                guard let entry = git_reflog_entry_byindex(reflog, position) else { continue }
                let named = [git_reflog_entry_id_old(entry), git_reflog_entry_id_new(entry)].contains { side in
                    side.map { ids.contains(GitOID($0)) } ?? false
                }
                if named {
                    try check(git_reflog_drop(reflog, position, 1), "git_reflog_drop")
                    dropped = true
                }
            }
            if dropped { try check(git_reflog_write(reflog), "git_reflog_write") }
        }
    }

    /// Deletes the reflog of `name`, if it has one.
    func deleteReflog(of name: String) throws {
        let result = git_reflog_delete(pointer, name)
        if result != GIT_ENOTFOUND.rawValue { try check(result, "git_reflog_delete") }
    }

    private func eachReflog(_ body: (OpaquePointer, String) throws -> Void) throws {
        for name in ["HEAD"] + (try referenceNames(matching: "refs/*")) {
            var reflog: OpaquePointer?
            try check(git_reflog_read(&reflog, pointer, name), "git_reflog_read")
            defer { git_reflog_free(reflog) }
            try body(reflog!, name)
        }
    }
}

import Clibgit2

/// Which objects something still needs: the ones `dsnap gc` must keep.
extension GitRepository {
    /// Every object reachable from `roots` (commits, trees, blobs, and whatever a root is):
    /// commits through their parents and trees, trees through their entries. A tree met again
    /// is not read again. Throws (and the caller deletes nothing) when an object cannot be read:
    /// a store that is already damaged is not the place to guess what is safe to remove.
    func reachableObjects(from roots: [GitOID]) throws -> Set<GitOID> {
        var reached: Set<GitOID> = []
        var pending: [GitOID] = []
        for root in roots where reached.insert(root).inserted { pending.append(root) }
        while let id = pending.popLast() {
            switch try objectType(id) {
            case GIT_OBJECT_COMMIT:
                let commit = try self.commit(id)
                for next in commit.parents + [commit.tree] where reached.insert(next).inserted { pending.append(next) }
            case GIT_OBJECT_TREE:
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

    /// The type of object `id`, from its header.
    func objectType(_ id: GitOID) throws -> git_object_t {
        try withObjectDatabase { odb in
            var oid = id.raw
            var size = 0
            var type = GIT_OBJECT_INVALID
            try check(git_odb_read_header(&size, &type, odb, &oid), "git_odb_read_header")
            return type
        }
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

    /// The ids of every entry in the index: a killed commit may have left entries whose objects
    /// no snapshot names yet, and the index trusts them to be there.
    func indexedObjects() throws -> [GitOID] {
        let index = try self.index()
        return (0..<git_index_entrycount(index.pointer)).compactMap { position in
            git_index_get_byindex(index.pointer, position).map { GitOID($0.pointee.id) }
        }
    }
}

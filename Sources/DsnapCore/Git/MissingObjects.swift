import Clibgit2

/// What a transfer must send: the objects reachable from some commits that another repository
/// lacks, found without trusting an object's mere presence there. A push or fetch killed half-way
/// (or cut by a power failure) may leave a commit or tree in the target whose own objects never
/// arrived; only what the target's refs reach is known complete, since refs move last.
extension GitRepository {
    /// The objects reachable from `roots` that `target` lacks, given `complete`: commits the
    /// target's refs reach (with everything beneath them). Commits the target's refs reach are
    /// skipped with their history; so are the trees of such commits and all beneath them. Any
    /// other tree is walked even when the target has it, and each object is sent unless the
    /// target has it.
    func objectsMissing(in target: GitRepository, from roots: [GitOID], complete: [GitOID],
                        shallow: Set<GitOID> = []) throws -> [GitOID] {
        try objectsMissing(from: roots, complete: complete, shallow: shallow, targetHas: { try target.objectExists($0) })
    }

    /// The same, for a target that cannot be asked object by object (a server): `targetHas`
    /// answers from what is known of it (nothing, for an estimate that never undercounts).
    func objectsMissing(from roots: [GitOID], complete: [GitOID], shallow: Set<GitOID> = [],
                        targetHas: (GitOID) throws -> Bool) throws -> [GitOID] {
        let completeCommits = try commitHistory(of: complete.filter { try objectKind($0) == .commit }, shallow: shallow)
        var missing: [GitOID] = []
        // Each new tree with the tree it replaces, when that one is whole on the other side: the
        // previous snapshot's root, and its folders of the same names.
        var newTrees: [(tree: GitOID, counterpart: GitOID?)] = []
        var completeTreeRoots: [GitOID] = []
        var seen: Set<GitOID> = []
        var pending = roots.filter { seen.insert($0).inserted }
        while let id = pending.popLast() {
            guard !completeCommits.contains(id) else { continue }
            switch try objectKind(id) {
            case .commit:
                if try !targetHas(id) { missing.append(id) }
                let commit = try self.commit(id)
                var counterpart: GitOID?
                for parent in shallow.contains(id) ? [] : commit.parents {
                    if completeCommits.contains(parent) {
                        let parentTree = try self.commit(parent).tree
                        counterpart = counterpart ?? parentTree
                        if seen.insert(parent).inserted { completeTreeRoots.append(parentTree) }
                    } else if seen.insert(parent).inserted {
                        pending.append(parent)
                    }
                }
                newTrees.append((commit.tree, counterpart))
            case .tree:
                newTrees.append((id, nil))
            case nil:
                throw GitFailure(function: "objectsMissing", code: GIT_ENOTFOUND.rawValue,
                                 errorClass: Int32(GIT_ERROR_ODB.rawValue), message: "object \(id.hex) is missing")
            default:
                if try !targetHas(id) { missing.append(id) }
            }
        }
        // The previous snapshot's folders are on the other side whole: a folder unchanged since
        // then is the same tree, skipped without a look inside; in a changed folder, an entry
        // the same as in the folder it replaces (most files of a folder where one changed) is
        // there too, and is not even asked about.
        var completeTrees = try treesBeneath(completeTreeRoots)
        var treesToWalk = newTrees
        while let (tree, counterpart) = treesToWalk.popLast() {
            guard completeTrees.insert(tree).inserted else { continue }
            if try !targetHas(tree) { missing.append(tree) }
            var replaced: [String: TreeLevelEntry] = [:]
            if let counterpart {
                for entry in try treeLevel(counterpart) { replaced[entry.name] = entry }
            }
            for entry in try treeLevel(tree) where entry.mode != GIT_FILEMODE_COMMIT.rawValue {
                let before = replaced[entry.name]
                if before?.id == entry.id { continue }
                if entry.isTree {
                    treesToWalk.append((entry.id, before?.isTree == true ? before?.id : nil))
                } else if completeTrees.insert(entry.id).inserted, try !targetHas(entry.id) {
                    missing.append(entry.id)
                }
            }
        }
        return missing
    }

    /// Every commit in the history of `tips` this repository has (stopping at shallow commits,
    /// as git does, and where a purge cut the history here).
    private func commitHistory(of tips: [GitOID], shallow: Set<GitOID>) throws -> Set<GitOID> {
        var history = Set<GitOID>()
        var pending = tips
        while let id = pending.popLast() {
            guard history.insert(id).inserted, !shallow.contains(id) else { continue }
            pending += try commit(id).parents.filter { try objectKind($0) == .commit }
        }
        return history
    }

    /// `roots` and every tree beneath them (trees only: blobs are not listed).
    private func treesBeneath(_ roots: [GitOID]) throws -> Set<GitOID> {
        var trees = Set<GitOID>()
        var pending = roots
        while let tree = pending.popLast() {
            guard trees.insert(tree).inserted else { continue }
            pending += try treeLevel(tree).filter(\.isTree).map(\.id)
        }
        return trees
    }
}

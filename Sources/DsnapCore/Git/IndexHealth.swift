import Clibgit2
import Glibc

/// The index is a cache of the current snapshot's tree plus each file's stat: dsnap can always
/// rebuild it, and must whenever it cannot be trusted, or status, commit and restore's autosave
/// could miss an edit. Plain git can leave it missing, unreadable, split (libgit2 1.5 refuses
/// the `link` extension), or with bits that hide edits (assume-unchanged, skip-worktree).
extension GitRepository {
    /// Why the index cannot be trusted, or nil when it can. `hasSnapshot`: there is a current
    /// snapshot, so a missing index is a lost one (not a dataset with no files yet).
    func indexProblem(hasSnapshot: Bool) -> String? {
        let path = String(cString: git_repository_path(pointer)) + "index"
        guard access(path, F_OK) == 0 else { return hasSnapshot ? "missing" : nil }
        // The common case, read in place: version 2 or 3, no special bits.
        if IndexFile.read(path: path) != nil { return nil }
        var handle: OpaquePointer?
        guard git_repository_index(&handle, pointer) == 0, let index = handle else { return "unreadable" }
        defer { git_index_free(index) }
        guard git_index_read(index, 1) == 0 else { return "unreadable" }
        for position in 0..<git_index_entrycount(index) {
            guard let entry = git_index_get_byindex(index, position)?.pointee else { continue }
            if UInt32(entry.flags) & UInt32(GIT_INDEX_ENTRY_VALID.rawValue) != 0 { return "marked assume-unchanged" }
            if UInt32(entry.flags_extended) & UInt32(GIT_INDEX_ENTRY_SKIP_WORKTREE.rawValue) != 0 {
                return "marked skip-worktree"
            }
            if UInt32(entry.flags) & UInt32(GIT_INDEX_ENTRY_STAGEMASK) != 0 { return "holding merge conflicts" }
        }
        return nil
    }

    /// Replaces the index with `tree`'s entries and no stat data, so every file is read again
    /// by the next status or snapshot. Written when possible; where another process holds the
    /// index lock, this process still uses the rebuilt index in memory.
    func rebuildIndex(from tree: GitOID?) throws {
        let gitDir = String(cString: git_repository_path(pointer))
        unlink(gitDir + "index")
        for name in DirectoryNames.list(gitDir) where name.hasPrefix("sharedindex.") { unlink(gitDir + name) }
        let index = try self.index()
        try check(git_index_read(index.pointer, 1), "git_index_read")
        if let tree {
            var oid = tree.raw
            var handle: OpaquePointer?
            try check(git_tree_lookup(&handle, pointer, &oid), "git_tree_lookup")
            defer { git_tree_free(handle) }
            try check(git_index_read_tree(index.pointer, handle), "git_index_read_tree")
        }
        try index.write(toleratingLock: true)
    }
}

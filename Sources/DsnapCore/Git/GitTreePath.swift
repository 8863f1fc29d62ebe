import Clibgit2

extension GitRepository {
    /// The file at `path` in tree `tree`: its blob id, or nil when the path is absent or names a
    /// folder, a link or a submodule. Only the subtrees on the way to `path` are read, so the
    /// cost does not grow with the size of the dataset (`log --field` asks this once per snapshot).
    func fileBlob(at path: String, inTree tree: GitOID) throws -> GitOID? {
        let handle = try lookupTree(tree)
        defer { git_tree_free(handle) }
        var entry: OpaquePointer?
        let result = PathBytes.withCString(path) { git_tree_entry_bypath(&entry, handle, $0) }
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_tree_entry_bypath")
        defer { git_tree_entry_free(entry) }
        switch git_tree_entry_filemode(entry) {
        case GIT_FILEMODE_BLOB, GIT_FILEMODE_BLOB_EXECUTABLE: return GitOID(git_tree_entry_id(entry))
        default: return nil
        }
    }

    /// The blob, link and submodule entries of tree `tree` at `path` or below it (a file, or a
    /// folder's files at any depth), with full paths; none when the path is absent.
    func treeEntries(_ tree: GitOID, under path: String) throws -> [GitTreeEntry] {
        let handle = try lookupTree(tree)
        defer { git_tree_free(handle) }
        var entry: OpaquePointer?
        let result = PathBytes.withCString(path) { git_tree_entry_bypath(&entry, handle, $0) }
        if result == GIT_ENOTFOUND.rawValue { return [] }
        try check(result, "git_tree_entry_bypath")
        defer { git_tree_entry_free(entry) }
        let id = GitOID(git_tree_entry_id(entry))
        switch git_tree_entry_filemode(entry) {
        case GIT_FILEMODE_TREE:
            return try treeEntries(id).map { GitTreeEntry(path: path + "/" + $0.path, kind: $0.kind, id: $0.id) }
        case GIT_FILEMODE_BLOB_EXECUTABLE: return [GitTreeEntry(path: path, kind: .executable, id: id)]
        case GIT_FILEMODE_LINK: return [GitTreeEntry(path: path, kind: .symlink, id: id)]
        case GIT_FILEMODE_COMMIT: return [GitTreeEntry(path: path, kind: .submodule, id: id)]
        default: return [GitTreeEntry(path: path, kind: .blob, id: id)]
        }
    }
}

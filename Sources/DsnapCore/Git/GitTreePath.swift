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
}

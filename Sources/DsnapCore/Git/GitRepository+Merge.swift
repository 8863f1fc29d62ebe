import Clibgit2
import Glibc

extension GitRepository {
    /// The nearest common ancestor of two commits, or nil when their histories never meet.
    func mergeBase(_ one: GitOID, _ two: GitOID) throws -> GitOID? {
        var out = git_oid()
        var first = one.raw
        var second = two.raw
        let result = git_merge_base(&out, pointer, &first, &second)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_merge_base")
        return GitOID(out)
    }

    /// A tree like `baseline` with files put in (`entry` set) or taken out (nil), folders made
    /// and emptied folders dropped as needed; only the trees on the way to each path are written.
    func tree(_ baseline: GitOID, updating files: [(path: String, entry: (id: GitOID, mode: UInt32)?)]) throws -> GitOID {
        guard !files.isEmpty else { return baseline }
        let base = try lookupTree(baseline)
        defer { git_tree_free(base) }
        // The names' own bytes (PathBytes), as every path handed to libgit2.
        let paths: [UnsafeMutablePointer<CChar>?] = files.map { file in
            PathBytes.cString(file.path).withUnsafeBufferPointer { strdup($0.baseAddress!) }
        }
        defer { paths.forEach { free($0) } }
        var updates = files.enumerated().map { index, file in
            var update = git_tree_update()
            if let entry = file.entry {
                update.action = GIT_TREE_UPDATE_UPSERT
                update.id = entry.id.raw
                update.filemode = git_filemode_t(rawValue: entry.mode)
            } else {
                update.action = GIT_TREE_UPDATE_REMOVE
            }
            update.path = UnsafePointer(paths[index])
            return update
        }
        var out = git_oid()
        try check(git_tree_create_updated(&out, pointer, base, updates.count, &updates), "git_tree_create_updated")
        return GitOID(out)
    }

    /// The file at `path` in `tree` (a blob or a link) with its mode, or nil when there is none
    /// (or a folder stands there).
    func fileVersion(at path: String, inTree tree: GitOID) throws -> (id: GitOID, mode: UInt32)? {
        let handle = try lookupTree(tree)
        defer { git_tree_free(handle) }
        var entry: OpaquePointer?
        let result = git_tree_entry_bypath(&entry, handle, path)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_tree_entry_bypath")
        defer { git_tree_entry_free(entry) }
        let mode = git_tree_entry_filemode(entry)
        guard mode != GIT_FILEMODE_TREE && mode != GIT_FILEMODE_COMMIT else { return nil }
        return (GitOID(git_tree_entry_id(entry)), UInt32(mode.rawValue))
    }
}

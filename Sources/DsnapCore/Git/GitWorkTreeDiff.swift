import Clibgit2

/// One difference between a tree and the work tree.
public struct GitDelta: Sendable, Equatable {
    public enum Status: Sendable { case added, deleted, modified, renamed, typeChanged }
    public let status: Status
    public let oldPath: String
    public let newPath: String
    /// The tree side's blob id and file mode (for a path the tree has).
    public let oldID: GitOID
    public let oldMode: UInt32
}

extension GitRepository {
    /// Differences from `tree` (nil: empty tree) to the work tree, using the index as a stat cache
    /// so only files whose stat changed are hashed. Untracked files count as added; ignored ones
    /// are left out.
    func diffToWorkTree(from tree: GitOID?) throws -> [GitDelta] {
        var treeHandle: OpaquePointer?
        if let tree {
            var oid = tree.raw
            try check(git_tree_lookup(&treeHandle, pointer, &oid), "git_tree_lookup")
        }
        defer { git_tree_free(treeHandle) }

        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        options.flags = GIT_DIFF_INCLUDE_UNTRACKED.rawValue | GIT_DIFF_RECURSE_UNTRACKED_DIRS.rawValue
            | GIT_DIFF_INCLUDE_TYPECHANGE.rawValue | GIT_DIFF_IGNORE_SUBMODULES.rawValue
            | GIT_DIFF_SKIP_BINARY_CHECK.rawValue

        var diff: OpaquePointer?
        try check(git_diff_tree_to_workdir_with_index(&diff, pointer, treeHandle, &options),
                  "git_diff_tree_to_workdir_with_index")
        defer { git_diff_free(diff) }

        var deltas: [GitDelta] = []
        for position in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, position)?.pointee else { continue }
            let status: GitDelta.Status
            switch delta.status {
            case GIT_DELTA_ADDED, GIT_DELTA_UNTRACKED: status = .added
            case GIT_DELTA_DELETED: status = .deleted
            case GIT_DELTA_MODIFIED: status = .modified
            case GIT_DELTA_RENAMED: status = .renamed
            case GIT_DELTA_TYPECHANGE: status = .typeChanged
            default: continue
            }
            deltas.append(GitDelta(status: status, oldPath: String(cString: delta.old_file.path),
                                   newPath: String(cString: delta.new_file.path),
                                   oldID: GitOID(delta.old_file.id), oldMode: UInt32(delta.old_file.mode)))
        }
        return deltas
    }
}

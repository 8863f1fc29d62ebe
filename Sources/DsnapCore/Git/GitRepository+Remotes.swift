import Clibgit2
import Glibc

/// Remotes as `.dsnap/config` names them (`remote.NAME.url`, as git does, so plain git can push
/// and fetch a dataset too), bare repositories to serve as one, and the raw writes a catalog
/// merge needs.
extension GitRepository {
    /// The names of the configured remotes, sorted.
    func remoteNames() throws -> [String] {
        var names = git_strarray()
        try check(git_remote_list(&names, pointer), "git_remote_list")
        defer { git_strarray_dispose(&names) }
        return (0..<names.count).compactMap { names.strings[$0].map { String(cString: $0) } }.sorted()
    }

    /// Adds remote `name` at `url` (git's default fetch refspec with it, for plain git's use).
    func addRemote(_ name: String, url: String) throws {
        var remote: OpaquePointer?
        try check(git_remote_create(&remote, pointer, name, url), "git_remote_create")
        git_remote_free(remote)
    }

    /// Removes remote `name` from the config, with git's own tracking refs of it.
    func removeRemote(_ name: String) throws {
        try check(git_remote_delete(pointer, name), "git_remote_delete")
    }

    /// Creates a bare repository at `path` whose HEAD is `initialBranch`; `groupShared` makes it
    /// writable by the owner's group (core.sharedRepository = group), for a lab's file share.
    static func createBare(at path: String, initialBranch: String, groupShared: Bool) throws {
        LibGit2.ensureInitialized()
        var options = git_repository_init_options()
        try check(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)),
                  "git_repository_init_options_init")
        options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue | GIT_REPOSITORY_INIT_BARE.rawValue
            | GIT_REPOSITORY_INIT_NO_REINIT.rawValue
        if groupShared { options.mode = UInt32(GIT_REPOSITORY_INIT_SHARED_GROUP.rawValue) }
        var handle: OpaquePointer?
        try initialBranch.withCString { branch in
            options.initial_head = branch
            try check(git_repository_init_ext(&handle, path, &options), "git_repository_init_ext")
        }
        git_repository_free(handle)
    }

    /// Writes one object of `type` with content `bytes` and returns its id.
    func writeObject(_ type: ObjectType, _ bytes: [UInt8]) throws -> GitOID {
        try withObjectDatabase { odb in
            var oid = git_oid()
            _ = try bytes.withUnsafeBytes { raw in
                try check(git_odb_write(&oid, odb, raw.baseAddress, raw.count, type.libgit2), "git_odb_write")
            }
            return GitOID(oid)
        }
    }

}

extension GitRepository {
    /// True when commit `descendant` has `ancestor` in its history (or is it).
    func isDescendant(_ descendant: GitOID, of ancestor: GitOID) throws -> Bool {
        if descendant == ancestor { return true }
        var first = descendant.raw
        var second = ancestor.raw
        return try check(git_graph_descendant_of(pointer, &first, &second), "git_graph_descendant_of") == 1
    }
}

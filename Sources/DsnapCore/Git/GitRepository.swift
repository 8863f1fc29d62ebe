import Clibgit2
import FoundationEssentials
import Glibc

/// Owns one `git_repository` handle; every other Git/ wrapper keeps its repository alive.
final class GitRepository {
    let pointer: OpaquePointer
    /// The receiver of fetched packs, once a fetch has installed it (ReceivedPackBackend.swift).
    var installedPackReceiver: ReceivedPackBackend?

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        git_repository_free(pointer)
    }

    /// Creates a repository at `gitDir` whose work tree is its parent folder (`core.worktree = ../`,
    /// relative, so the dataset folder can be moved). It is created bare and then given its work
    /// tree, so libgit2 never writes a `.git` file into the work tree (which fails over an existing
    /// `.git`, and would make plain git see the dataset as a repository of its own).
    static func create(gitDir: String, initialBranch: String) throws -> GitRepository {
        LibGit2.ensureInitialized()
        var options = git_repository_init_options()
        try check(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)),
                  "git_repository_init_options_init")
        // MKDIR, not MKPATH: the dataset folder exists already, and must not be made again by
        // libgit2 once an interrupted clone has removed its hidden folder.
        options.flags = GIT_REPOSITORY_INIT_MKDIR.rawValue | GIT_REPOSITORY_INIT_BARE.rawValue
            | GIT_REPOSITORY_INIT_NO_REINIT.rawValue
        var handle: OpaquePointer?
        try initialBranch.withCString { branch in
            options.initial_head = branch
            try check(git_repository_init_ext(&handle, gitDir, &options), "git_repository_init_ext")
        }
        let bare = GitRepository(pointer: handle!)
        try bare.setConfig("core.bare", "false")
        try bare.setConfig("core.worktree", "../")
        // Reopened, so the handle sees the work tree the config now names.
        return try open(gitDir: gitDir)
    }

    /// Opens the repository at `gitDir` exactly (no upward search; discovery is the caller's).
    static func open(gitDir: String) throws -> GitRepository {
        LibGit2.ensureInitialized()
        var handle: OpaquePointer?
        try check(git_repository_open_ext(&handle, gitDir, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil),
                  "git_repository_open_ext")
        let repository = GitRepository(pointer: handle!)
        try repository.withObjectDatabase { odb in
            try CheckedLooseBackend.install(on: odb, objectsPath: repository.objectsPath)
        }
        return repository
    }

    /// The repository's `objects` folder.
    var objectsPath: String {
        // git_repository_path ends with a slash.
        String(cString: git_repository_path(pointer)) + "objects"
    }

    /// Throws unless object `id` is in the store and reads whole: for the fast paths that trust
    /// the index instead of reading a snapshot's tree (a root tree is a few hundred bytes).
    func requireObject(_ id: GitOID) throws {
        try withObjectDatabase { odb in
            var oid = id.raw
            var object: OpaquePointer?
            try check(git_odb_read(&object, odb, &oid), "git_odb_read")
            git_odb_object_free(object)
        }
    }

    /// Runs `body` with the repository's object database (owned by the repository).
    func withObjectDatabase<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        var odb: OpaquePointer?
        try check(git_repository_odb(&odb, pointer), "git_repository_odb")
        defer { git_odb_free(odb) }
        return try body(odb!)
    }

    // MARK: Config

    private func withConfig<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        var config: OpaquePointer?
        try check(git_repository_config(&config, pointer), "git_repository_config")
        defer { git_config_free(config) }
        return try body(config!)
    }

    /// The repository-local value of `key`, or nil when unset.
    func configString(_ key: String) throws -> String? {
        try withConfig { config in
            var entry: UnsafeMutablePointer<git_config_entry>?
            let result = git_config_get_entry(&entry, config, key)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check(result, "git_config_get_entry")
            defer { git_config_entry_free(entry) }
            return String(cString: entry!.pointee.value)
        }
    }

    /// Sets `key` in the repository's own config file (`.dsnap/config`).
    func setConfig(_ key: String, _ value: String) throws {
        try withConfig { config in
            var local: OpaquePointer?
            try check(git_config_open_level(&local, config, GIT_CONFIG_LEVEL_LOCAL), "git_config_open_level")
            defer { git_config_free(local) }
            try check(git_config_set_string(local, key, value), "git_config_set_string")
        }
    }

    // MARK: References

    /// The commit HEAD points at, or nil when the branch is unborn.
    func headCommit() throws -> GitOID? {
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, pointer, "HEAD")
        if result == GIT_ENOTFOUND.rawValue || result == GIT_EUNBORNBRANCH.rawValue { return nil }
        try check(result, "git_reference_name_to_id")
        return GitOID(oid)
    }

    /// The object a reference points at (following symbolic refs), or nil when it does not exist.
    func resolve(reference name: String) throws -> GitOID? {
        var oid = git_oid()
        let result = git_reference_name_to_id(&oid, pointer, name)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_reference_name_to_id")
        return GitOID(oid)
    }

    /// Creates or moves a direct reference.
    func setReference(_ name: String, to target: GitOID, message: String) throws {
        var oid = target.raw
        var reference: OpaquePointer?
        try check(git_reference_create(&reference, pointer, name, &oid, 1, message), "git_reference_create")
        git_reference_free(reference)
    }

    /// Moves `name` to `target` only if it still points at `expected` (nil: only if it does not
    /// exist): a compare-and-swap, so a concurrent writer's move is never overwritten.
    func swapReference(_ name: String, to target: GitOID, expected: GitOID?, message: String) throws {
        var oid = target.raw
        var reference: OpaquePointer?
        if var old = expected?.raw {
            try check(git_reference_create_matching(&reference, pointer, name, &oid, 1, &old, message),
                      "git_reference_create_matching")
        } else {
            try check(git_reference_create(&reference, pointer, name, &oid, 0, message), "git_reference_create")
        }
        git_reference_free(reference)
    }

    /// Deletes a reference; a missing one is not an error.
    func deleteReference(_ name: String) throws {
        var reference: OpaquePointer?
        let result = git_reference_lookup(&reference, pointer, name)
        if result == GIT_ENOTFOUND.rawValue { return }
        try check(result, "git_reference_lookup")
        defer { git_reference_free(reference) }
        try check(git_reference_delete(reference), "git_reference_delete")
    }

    // MARK: Objects

    /// Writes the empty tree (which libgit2 does not assume present) and returns its id.
    func writeEmptyTree() throws -> GitOID {
        try withObjectDatabase { odb in
            var oid = git_oid()
            try check(git_odb_write(&oid, odb, "", 0, GIT_OBJECT_TREE), "git_odb_write")
            return GitOID(oid)
        }
    }

    /// Writes a commit and returns its id. With `updateReference`, the ref (e.g. `HEAD`) moves to it,
    /// and libgit2 refuses if the ref no longer points at `parents.first`.
    func createCommit(tree: GitOID, parents: [GitOID], author: GitSignature, committer: GitSignature,
                      message: String, updateReference: String?) throws -> GitOID {
        var treeOID = tree.raw
        var treeHandle: OpaquePointer?
        try check(git_tree_lookup(&treeHandle, pointer, &treeOID), "git_tree_lookup")
        defer { git_tree_free(treeHandle) }

        var parentHandles: [OpaquePointer?] = []
        defer { parentHandles.forEach { git_commit_free($0) } }
        for parent in parents {
            var parentOID = parent.raw
            var handle: OpaquePointer?
            try check(git_commit_lookup(&handle, pointer, &parentOID), "git_commit_lookup")
            parentHandles.append(handle)
        }

        let authorSignature = try makeSignature(author)
        defer { git_signature_free(authorSignature) }
        let committerSignature = try makeSignature(committer)
        defer { git_signature_free(committerSignature) }

        var result = git_oid()
        _ = try parentHandles.withUnsafeMutableBufferPointer { buffer in
            try check(git_commit_create(&result, pointer, updateReference, authorSignature, committerSignature,
                                        "UTF-8", message, treeHandle, parents.count, buffer.baseAddress),
                      "git_commit_create")
        }
        return GitOID(result)
    }

    func commit(_ id: GitOID) throws -> GitCommitInfo {
        var oid = id.raw
        var handle: OpaquePointer?
        try check(git_commit_lookup(&handle, pointer, &oid), "git_commit_lookup")
        defer { git_commit_free(handle) }
        var parents: [GitOID] = []
        for index in 0..<git_commit_parentcount(handle) {
            if let parent = git_commit_parent_id(handle, index) { parents.append(GitOID(parent)) }
        }
        let author = git_commit_author(handle)!.pointee
        return GitCommitInfo(
            id: id,
            tree: GitOID(git_commit_tree_id(handle)),
            parents: parents,
            author: GitSignature(name: String(cString: author.name), email: String(cString: author.email),
                                 time: author.when.time, offsetMinutes: author.when.offset),
            message: git_commit_message(handle).map { String(cString: $0) } ?? "")
    }

    /// Every blob, link and submodule entry of a tree, depth first, with full paths.
    func treeEntries(_ tree: GitOID) throws -> [GitTreeEntry] {
        var oid = tree.raw
        var handle: OpaquePointer?
        try check(git_tree_lookup(&handle, pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(handle) }
        final class Collector { var entries: [GitTreeEntry] = [] }
        let collector = Collector()
        let payload = Unmanaged.passUnretained(collector).toOpaque()
        try check(git_tree_walk(handle, GIT_TREEWALK_PRE, { root, entry, payload in
            let collector = Unmanaged<Collector>.fromOpaque(payload!).takeUnretainedValue()
            let name = PathBytes.string(cString: git_tree_entry_name(entry))
            let path = PathBytes.string(cString: root!) + name
            let kind: GitTreeEntry.Kind
            switch git_tree_entry_filemode(entry) {
            case GIT_FILEMODE_TREE: return 0
            case GIT_FILEMODE_BLOB_EXECUTABLE: kind = .executable
            case GIT_FILEMODE_LINK: kind = .symlink
            case GIT_FILEMODE_COMMIT: kind = .submodule
            default: kind = .blob
            }
            collector.entries.append(GitTreeEntry(path: path, kind: kind, id: GitOID(git_tree_entry_id(entry))))
            return 0
        }, payload), "git_tree_walk")
        return collector.entries
    }

    // MARK: Notes

    /// The text of the note on `target` under `notesRef`, or nil when there is none.
    func note(on target: GitOID, notesRef: String) throws -> String? {
        var oid = target.raw
        var note: OpaquePointer?
        let result = git_note_read(&note, pointer, notesRef, &oid)
        if result == GIT_ENOTFOUND.rawValue { return nil }
        try check(result, "git_note_read")
        defer { git_note_free(note) }
        return git_note_message(note).map { String(cString: $0) }
    }

    /// Every note under `notesRef`, as annotated object -> note blob, read in one pass over the
    /// notes tree (a look-up per snapshot would re-read that tree each time). The tree is walked
    /// here rather than through `git_note_foreach`: libgit2's notes iterator loads and checks the
    /// whole index (1.7 MB for 20,000 files) just to learn whether paths are case-sensitive.
    func noteIndex(notesRef: String) throws -> [GitOID: GitOID] {
        guard let notesCommit = try resolve(reference: notesRef) else { return [:] }
        let entries = try treeEntries(try commit(notesCommit).tree)
        var notes: [GitOID: GitOID] = [:]
        notes.reserveCapacity(entries.count)
        for entry in entries where entry.kind == .blob || entry.kind == .executable {
            // Notes trees may fan out (`ab/cdef...`): the annotated object's id is the path without slashes.
            let hex = entry.path.filter { $0 != "/" }
            if let annotated = GitOID(hex: hex) { notes[annotated] = entry.id }
        }
        return notes
    }

    /// Writes (or rewrites) the note on `target`. Each write is a commit on `notesRef`, so the
    /// record's earlier versions stay in that ref's history.
    /// Adds or replaces the note on `target`. The new objects (note blob, notes trees, notes
    /// commit) are written first and handed to `beforeReferenceMoves`, which makes them durable;
    /// only then does `notesRef` move, and only if no one moved it meanwhile. (`git_note_create`
    /// does both at once: a power cut could leave the ref naming objects the disk never got.)
    func setNote(on target: GitOID, notesRef: String, text: String, signature: GitSignature,
                 beforeReferenceMoves: ([GitOID]) throws -> Void) throws {
        let author = try makeSignature(signature)
        defer { git_signature_free(author) }
        let previous = try resolve(reference: notesRef)
        var parent: OpaquePointer?
        if var raw = previous?.raw {
            try check(git_commit_lookup(&parent, pointer, &raw), "git_commit_lookup")
        }
        defer { git_commit_free(parent) }
        var oid = target.raw
        var commitOID = git_oid()
        var blobOID = git_oid()
        try check(git_note_commit_create(&commitOID, &blobOID, pointer, parent, author, author, &oid, text, 1),
                  "git_note_commit_create")
        let commit = GitOID(commitOID)
        let tree = try self.commit(commit).tree
        try beforeReferenceMoves([GitOID(blobOID), commit, tree] + (try fanoutTrees(in: tree, toward: target)))
        try swapReference(notesRef, to: commit, expected: previous, message: "notes: dsnap record of \(target.hex)")
    }

    /// The subtrees of a notes tree on the way to `target`'s note (`ab/`, `ab/cd/`, ...: git's
    /// fan-out, used once there are many notes).
    private func fanoutTrees(in root: GitOID, toward target: GitOID) throws -> [GitOID] {
        var rootRaw = root.raw
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &rootRaw), "git_tree_lookup")
        defer { git_tree_free(tree) }
        var found: [GitOID] = []
        var path = ""
        var rest = Substring(target.hex)
        while rest.count > 2 {
            path += (path.isEmpty ? "" : "/") + rest.prefix(2)
            rest = rest.dropFirst(2)
            var entry: OpaquePointer?
            guard git_tree_entry_bypath(&entry, tree, path) == 0 else { break }
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE else { break }
            found.append(GitOID(git_tree_entry_id(entry)))
        }
        return found
    }

    // MARK: Index

    func index() throws -> GitIndex {
        var handle: OpaquePointer?
        try check(git_repository_index(&handle, pointer), "git_repository_index")
        return GitIndex(pointer: handle!, repository: self)
    }

    // MARK: Ignore rules

    /// Adds in-memory ignore rules (gitignore syntax) for this handle's lifetime.
    func addIgnoreRules(_ rules: String) throws {
        try check(git_ignore_add_rule(pointer, rules), "git_ignore_add_rule")
    }

    /// Whether the ignore rules (`.gitignore` files, `.dsnapignore`, the built-in rules) exclude
    /// `path`, relative to the work tree. libgit2 stats the path to learn whether it is a folder.
    func isIgnored(_ path: String) throws -> Bool {
        var ignored: Int32 = 0
        _ = try PathBytes.withCString(path) {
            try check(git_ignore_path_is_ignored(&ignored, pointer, $0), "git_ignore_path_is_ignored")
        }
        return ignored != 0
    }

    private func makeSignature(_ value: GitSignature) throws -> UnsafeMutablePointer<git_signature> {
        var signature: UnsafeMutablePointer<git_signature>?
        try check(git_signature_new(&signature, value.name, value.email, value.time, value.offsetMinutes),
                  "git_signature_new")
        return signature!
    }
}

extension GitRepository {
    /// A value from every config file libgit2 reads (repository, global, XDG, system), or nil when
    /// unset or unreadable: used for git's own settings such as user.email.
    func configString(key: String) -> String? {
        try? configString(key)
    }
}

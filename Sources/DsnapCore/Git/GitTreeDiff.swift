import Clibgit2
import Glibc

/// One file that differs between two trees (or a tree and the work tree), with both sides' ids.
public struct GitFileDelta: Sendable, Equatable {
    public enum Status: Sendable { case added, deleted, modified, renamed, typeChanged }
    public let status: Status
    public let oldPath: String
    public let newPath: String
    public let oldID: GitOID
    public let newID: GitOID
    public let oldMode: UInt32
    public let newMode: UInt32
    /// False when libgit2 did not compute the new side's id (a work tree file it did not hash).
    public let newIDKnown: Bool
}

extension GitFileDelta.Status {
    /// Nil for what dsnap does not report (unmodified, ignored, unreadable entries).
    init?(_ status: git_delta_t) {
        switch status {
        case GIT_DELTA_ADDED, GIT_DELTA_UNTRACKED: self = .added
        case GIT_DELTA_DELETED: self = .deleted
        case GIT_DELTA_MODIFIED: self = .modified
        case GIT_DELTA_RENAMED: self = .renamed
        case GIT_DELTA_TYPECHANGE: self = .typeChanged
        default: return nil
        }
    }
}

extension git_diff_delta {
    /// True when libgit2 could not stat the work tree side: an unreadable entry, or (with
    /// typechanges asked for) a tracked file it found unreadable, reported as a typechange to
    /// mode 0 (`GIT_FILEMODE_UNREADABLE`).
    var isUnreadable: Bool {
        status == GIT_DELTA_UNREADABLE
            || (status == GIT_DELTA_TYPECHANGE && new_file.mode == UInt16(GIT_FILEMODE_UNREADABLE.rawValue))
    }
}

/// A scan stopped by its receiver (`scanIndexToWorkTree`): the receiver knows why.
struct ScanStopped: Error {}

/// What libgit2 found differing in the work tree, and where it could not look: entries whose
/// paths are longer than PATH_MAX (its scan stats by whole path), below which `DeepWorkTree`
/// takes over. Index or tree entries below those show among the deltas as deleted.
struct WorkTreeDeltas {
    var deltas: [GitFileDelta]
    var unreached: [String]
}

/// The closure a scan calls for each change, reachable from libgit2's C callback.
private final class ChangeReceiver {
    private let body: (GitFileDelta.Status, String) -> Bool
    private let rootBytes: Int
    private(set) var stopped = false
    /// A work tree entry libgit2 could not stat, which stopped the scan.
    var unreadable: String?
    /// Entries libgit2 could not stat for their length (`WorkTreeDeltas.unreached`).
    var unreached: [String] = []
    init(_ body: @escaping (GitFileDelta.Status, String) -> Bool, rootBytes: Int) {
        self.body = body
        self.rootBytes = rootBytes
    }
    func isDeep(_ path: String) -> Bool { PathLimit.isDeep(path, rootBytes: rootBytes) }
    func onChange(_ status: GitFileDelta.Status, _ path: String) -> Bool {
        if body(status, path) { return true }
        stopped = true
        return false
    }
}

extension GitRepository {
    /// Files that differ from `old` to `new` (nil: the empty tree), limited to `paths` (folders or
    /// files; empty: everything). Renames are exact-content matches only, found by hash.
    func diffTrees(_ old: GitOID?, _ new: GitOID?, paths: [String]) throws -> [GitFileDelta] {
        let oldTree = try old.map(lookupTree)
        defer { git_tree_free(oldTree) }
        let newTree = try new.map(lookupTree)
        defer { git_tree_free(newTree) }
        return try withDiffOptions(paths: paths, workTree: false) { options in
            var diff: OpaquePointer?
            try check(git_diff_tree_to_tree(&diff, pointer, oldTree, newTree, &options), "git_diff_tree_to_tree")
            defer { git_diff_free(diff) }
            return try collectDeltas(diff!, workTree: false, detectRenames: true)
        }
    }

    /// Files that differ from `old` (nil: the empty tree) to the work tree, using the index as a
    /// stat cache so only files whose stat changed are hashed; untracked files count as added and
    /// ignored ones are left out. Limited to `paths` (empty: everything). `trustingIndex` false
    /// leaves the index out: every file is read and hashed (when its stat data may lie).
    func diffTreeToWorkTree(_ old: GitOID?, paths: [String] = [], detectRenames: Bool = false,
                            trustingIndex: Bool = true) throws -> WorkTreeDeltas {
        let oldTree = try old.map(lookupTree)
        defer { git_tree_free(oldTree) }
        return try withDiffOptions(paths: paths, workTree: true) { options in
            var diff: OpaquePointer?
            if trustingIndex {
                try check(git_diff_tree_to_workdir_with_index(&diff, pointer, oldTree, &options),
                          "git_diff_tree_to_workdir_with_index")
            } else {
                try check(git_diff_tree_to_workdir(&diff, pointer, oldTree, &options), "git_diff_tree_to_workdir")
            }
            defer { git_diff_free(diff) }
            return try collectWorkTreeDeltas(diff!, detectRenames: detectRenames)
        }
    }

    /// Files that differ between the index and the work tree, judged by stat first (a file whose
    /// stat matches its index entry is not read). Untracked files count as added; ignored ones are
    /// left out.
    func diffIndexToWorkTree(_ index: GitIndex) throws -> WorkTreeDeltas {
        try withDiffOptions(paths: [], workTree: true) { options in
            var diff: OpaquePointer?
            try check(git_diff_index_to_workdir(&diff, pointer, index.pointer, &options), "git_diff_index_to_workdir")
            defer { git_diff_free(diff) }
            return try collectWorkTreeDeltas(diff!, detectRenames: false)
        }
    }

    /// The same files as `diffIndexToWorkTree`, handed to `onChange` one by one while libgit2 is
    /// still walking the work tree, so their content can be written meanwhile (a first snapshot's
    /// scan of 20,000 files took 0.4 s of one core with the other idle). The deltas are not kept:
    /// neither libgit2 nor dsnap holds the whole list. `onChange` runs on the calling thread and
    /// returns false to stop the walk, which then throws `ScanStopped`. Returns the entries too
    /// long for libgit2 to reach (`WorkTreeDeltas.unreached`).
    func scanIndexToWorkTree(_ index: GitIndex, onChange: (GitFileDelta.Status, String) -> Bool) throws -> [String] {
        try withDiffOptions(paths: [], workTree: true) { options in
            try withoutActuallyEscaping(onChange) { onChange in
                let receiver = ChangeReceiver(onChange, rootBytes: workTreeRootBytes)
                options.payload = Unmanaged.passUnretained(receiver).toOpaque()
                options.notify_cb = { _, delta, _, payload in
                    guard let delta = delta?.pointee, let payload else { return 0 }
                    let receiver = Unmanaged<ChangeReceiver>.fromOpaque(payload).takeUnretainedValue()
                    if delta.isUnreadable {
                        let path = PathBytes.string(cString: delta.new_file.path)
                        if receiver.isDeep(path) {
                            receiver.unreached.append(path)
                            return 1
                        }
                        receiver.unreadable = path
                        return GIT_EUSER.rawValue
                    }
                    guard let status = GitFileDelta.Status(delta.status) else { return 1 }
                    let path = status == .deleted ? delta.old_file.path : delta.new_file.path
                    // 1: libgit2 drops the delta instead of keeping it in its list.
                    return receiver.onChange(status, PathBytes.string(cString: path!)) ? 1 : GIT_EUSER.rawValue
                }
                var diff: OpaquePointer?
                let status = git_diff_index_to_workdir(&diff, pointer, index.pointer, &options)
                git_diff_free(diff)
                if let path = receiver.unreadable { throw WorkTreeError.unreadable(path: path) }
                if status == GIT_EUSER.rawValue && receiver.stopped { throw ScanStopped() }
                try check(status, "git_diff_index_to_workdir")
                return receiver.unreached
            }
        }
    }

    /// Files that differ between `old` (nil: the empty tree) and the index, by id alone: no file
    /// of the work tree is read or even stat'ed.
    func diffTreeToIndex(_ old: GitOID?, _ index: GitIndex) throws -> [GitFileDelta] {
        let oldTree = try old.map(lookupTree)
        defer { git_tree_free(oldTree) }
        return try withDiffOptions(paths: [], workTree: false) { options in
            var diff: OpaquePointer?
            try check(git_diff_tree_to_index(&diff, pointer, oldTree, index.pointer, &options), "git_diff_tree_to_index")
            defer { git_diff_free(diff) }
            return try collectDeltas(diff!, workTree: false, detectRenames: false)
        }
    }

    /// Makes another repository's objects readable through this handle (in memory only, never
    /// written to disk as alternates), so trees of two datasets can be compared.
    func addReadableObjects(fromGitDir otherGitDir: String) throws {
        try withObjectDatabase { odb in
            try check(git_odb_add_disk_alternate(odb, otherGitDir + "/objects"), "git_odb_add_disk_alternate")
            try CheckedLooseBackend.install(on: odb, objectsPath: otherGitDir + "/objects", asAlternate: true)
        }
    }

    /// The tree object `id`; the caller frees it.
    func lookupTree(_ id: GitOID) throws -> OpaquePointer {
        var oid = id.raw
        var tree: OpaquePointer?
        try check(git_tree_lookup(&tree, pointer, &oid), "git_tree_lookup")
        return tree!
    }

    private func withDiffOptions<T>(paths: [String], workTree: Bool, _ body: (inout git_diff_options) throws -> T) throws -> T {
        var options = git_diff_options()
        try check(git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)), "git_diff_options_init")
        options.flags = GIT_DIFF_INCLUDE_TYPECHANGE.rawValue | GIT_DIFF_IGNORE_SUBMODULES.rawValue
            | GIT_DIFF_SKIP_BINARY_CHECK.rawValue
        if workTree {
            // Unreadable: an entry whose lstat failed, which libgit2 otherwise leaves out in
            // silence: a path past PATH_MAX (`WorkTreeDeltas.unreached`), or an error.
            options.flags |= GIT_DIFF_INCLUDE_UNTRACKED.rawValue | GIT_DIFF_RECURSE_UNTRACKED_DIRS.rawValue
                | GIT_DIFF_INCLUDE_UNREADABLE.rawValue
        }
        // Pathspecs are literal paths (folders or files), never globs: a file named `*.json` is itself.
        options.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH.rawValue
        var pointers: [UnsafeMutablePointer<CChar>?] = paths.map { PathBytes.withCString($0) { strdup($0) } }
        defer { pointers.forEach { free($0) } }
        return try pointers.withUnsafeMutableBufferPointer { buffer in
            options.pathspec = git_strarray(strings: buffer.baseAddress, count: paths.count)
            return try body(&options)
        }
    }

    /// The length of the work tree's path as libgit2 joins it to a relative path (without its
    /// trailing slash, which `PathLimit` counts).
    private var workTreeRootBytes: Int {
        max(0, (git_repository_workdir(pointer).map { strlen($0) } ?? 1) - 1)
    }

    /// The work tree deltas of `diff`; an entry libgit2 could not stat is `unreached` when its
    /// path is too long for the system's calls, and an error (it cannot be read) otherwise.
    private func collectWorkTreeDeltas(_ diff: OpaquePointer, detectRenames: Bool) throws -> WorkTreeDeltas {
        var unreached: [String] = []
        let rootBytes = workTreeRootBytes
        for position in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, position)?.pointee, delta.isUnreadable else { continue }
            let path = PathBytes.string(cString: delta.new_file.path)
            guard PathLimit.isDeep(path, rootBytes: rootBytes) else { throw WorkTreeError.unreadable(path: path) }
            unreached.append(path)
        }
        return WorkTreeDeltas(deltas: try collectDeltas(diff, workTree: true, detectRenames: detectRenames),
                              unreached: unreached)
    }

    /// A rename pairs a deleted file with an added one: without both, there is nothing to find.
    private func hasAddedAndDeleted(_ diff: OpaquePointer) -> Bool {
        var added = false
        var deleted = false
        for position in 0..<git_diff_num_deltas(diff) {
            switch git_diff_get_delta(diff, position)?.pointee.status {
            case GIT_DELTA_ADDED?, GIT_DELTA_UNTRACKED?: added = true
            case GIT_DELTA_DELETED?: deleted = true
            default: break
            }
            if added && deleted { return true }
        }
        return false
    }

    private func collectDeltas(_ diff: OpaquePointer, workTree: Bool, detectRenames: Bool) throws -> [GitFileDelta] {
        if detectRenames && hasAddedAndDeleted(diff) {
            var find = git_diff_find_options()
            try check(git_diff_find_options_init(&find, UInt32(GIT_DIFF_FIND_OPTIONS_VERSION)),
                      "git_diff_find_options_init")
            find.flags = GIT_DIFF_FIND_RENAMES.rawValue | GIT_DIFF_FIND_EXACT_MATCH_ONLY.rawValue
                | (workTree ? GIT_DIFF_FIND_FOR_UNTRACKED.rawValue : 0)
            try check(git_diff_find_similar(diff, &find), "git_diff_find_similar")
        }
        var deltas: [GitFileDelta] = []
        for position in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, position)?.pointee else { continue }
            guard let status = GitFileDelta.Status(delta.status) else { continue }
            // One String when both sides name the same path (all but renames): a first snapshot
            // of 200,000 files held every path twice.
            let oldPath = PathBytes.string(cString: delta.old_file.path)
            let newPath = strcmp(delta.old_file.path, delta.new_file.path) == 0 ? oldPath : PathBytes.string(cString: delta.new_file.path)
            deltas.append(GitFileDelta(
                status: status, oldPath: oldPath, newPath: newPath, oldID: GitOID(delta.old_file.id),
                newID: GitOID(delta.new_file.id), oldMode: UInt32(delta.old_file.mode),
                newMode: UInt32(delta.new_file.mode),
                newIDKnown: delta.new_file.flags & GIT_DIFF_FLAG_VALID_ID.rawValue != 0))
        }
        return deltas
    }
}

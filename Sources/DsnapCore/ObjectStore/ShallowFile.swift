import Glibc

/// git's `shallow` file (`.dsnap/shallow`): commits whose parents the repository does not keep.
/// git's fsck, gc and log honour it as they do in a shallow clone. dsnap lists there each kept
/// snapshot whose parent `gc` purged: without it, a purged snapshot stays reachable as the
/// parent of every later one, and purging frees nothing in a straight line of snapshots.
enum ShallowFile {
    static func path(gitDir: String) -> String { gitDir + "/shallow" }

    static func read(gitDir: String) -> Set<GitOID> {
        guard let text = try? String(contentsOfFile: path(gitDir: gitDir), encoding: .utf8) else { return [] }
        return Set(text.split(separator: "\n").compactMap { GitOID(hex: String($0)) })
    }

    /// Adds `ids`, durably (written beside, flushed, renamed, the folder flushed), before any
    /// ref moves that relies on it.
    static func add(_ ids: Set<GitOID>, gitDir: String) throws {
        let existing = read(gitDir: gitDir)
        let all = existing.union(ids)
        guard all.count > existing.count else { return }
        let path = path(gitDir: gitDir)
        try FileWrite.durablyReplacing(path, with: Array(all.sorted().map { $0.hex + "\n" }.joined().utf8),
                                       temporary: path + ".lock")
        try FileSystemSync.sync(paths: [gitDir])
    }
}

import Glibc

/// What killed or failed dsnap processes leave inside `.dsnap` besides objects: git's lock files
/// on refs and the index, files a restore replaced and its background flush could not delete,
/// and task records half written. `dsnap gc` removes them, holding the exclusive lock (no live
/// dsnap holds any of them then). The flock files `dsnap.lock` and `notes.lock` are dsnap's
/// own locks, always there, and never removed.
enum Leftovers {
    /// Every leftover file, with its size.
    static func find(in gitDir: String) -> [LooseObjectStore.File] {
        var found: [String] = []
        for name in ["HEAD.lock", "index.lock", "packed-refs.lock", "config.lock"]
        where access(gitDir + "/" + name, F_OK) == 0 {
            found.append(gitDir + "/" + name)
        }
        found += files(under: gitDir + "/refs") { $0.hasSuffix(".lock") }
        found += files(under: gitDir + "/logs") { $0.hasSuffix(".lock") }
        found += files(under: ReplacedFiles.folder(gitDir: gitDir)) { _ in true }
        found += files(under: TaskJournal.directory(of: gitDir)) { $0.hasSuffix(".tmp") }
        return found.map { path in
            var info = stat()
            return LooseObjectStore.File(path: path, bytes: lstat(path, &info) == 0 ? Int64(info.st_size) : 0)
        }
    }

    /// Removes every leftover, and libgit2's temporary objects, where no process can be writing.
    static func remove(in gitDir: String) {
        for file in find(in: gitDir) { unlink(file.path) }
        TemporaryObject.removeLeftovers(in: gitDir + "/objects")
    }

    /// Files under `folder`, at any depth, whose name `matches`.
    private static func files(under folder: String, _ matches: (String) -> Bool) -> [String] {
        var found: [String] = []
        for name in DirectoryNames.list(folder) {
            let path = folder + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                found += files(under: path, matches)
            } else if matches(name) {
                found.append(path)
            }
        }
        return found
    }
}

import Glibc

extension GitRepository {
    /// The names of the references matching `glob`, `PREFIX*` (the star matches across `/`), read
    /// from the git directory itself: the loose reference files under PREFIX and the entries of
    /// `packed-refs`. libgit2's iterator skips a folder or loose file it cannot open and carries
    /// on, so an I/O error made snapshots look deleted (undelete exited 3) and could have hidden
    /// refs from gc's reachability; here any error but a missing folder or file is thrown, exit 6.
    func referenceNames(matching glob: String) throws -> [String] {
        precondition(glob.hasSuffix("*") && !glob.dropLast().contains("*"), "only PREFIX* globs")
        let prefix = String(glob.dropLast())
        let gitDir = String(objectsPath.dropLast("objects".count))
        var names = Set<String>()
        // Loose references: the folder holding PREFIX, read down to every file whose name starts so.
        let folder = prefix.contains("/") ? String(prefix[..<prefix.lastIndex(of: "/")!]) : ""
        try collectLooseReferences(in: gitDir + folder, named: folder, prefix: prefix, into: &names)
        for name in try packedReferenceNames(gitDir: gitDir) where name.hasPrefix(prefix) {
            names.insert(name)
        }
        return names.sorted()
    }

    private func collectLooseReferences(in path: String, named name: String, prefix: String,
                                        into names: inout Set<String>) throws {
        guard let stream = PathBytes.withCString(path, { opendir($0) }) else {
            if errno == ENOENT || errno == ENOTDIR { return }
            throw StorageError.fromErrno(errno, path: path)
        }
        defer { closedir(stream) }
        while true {
            errno = 0
            guard let item = readdir(stream) else {
                if errno != 0 { throw StorageError.fromErrno(errno, path: path) }
                return
            }
            let entry = DirectoryNames.name(of: item)
            // `.`, `..`, and lock files of a ref being written are no references.
            guard !entry.hasPrefix("."), !entry.hasSuffix(".lock") else { continue }
            let child = name.isEmpty ? entry : name + "/" + entry
            // Below the prefix's folder, only what can still match is visited.
            guard child.hasPrefix(prefix) || prefix.hasPrefix(child + "/") else { continue }
            let type = item.pointee.d_type
            var isFolder = type == UInt8(DT_DIR)
            if type == UInt8(DT_UNKNOWN) {
                var info = stat()
                guard PathBytes.withCString(path + "/" + entry, { lstat($0, &info) }) == 0 else {
                    throw StorageError.fromErrno(errno, path: path + "/" + entry)
                }
                isFolder = info.st_mode & S_IFMT == S_IFDIR
            }
            if isFolder {
                try collectLooseReferences(in: path + "/" + entry, named: child, prefix: prefix, into: &names)
            } else if child.hasPrefix(prefix) {
                names.insert(child)
            }
        }
    }

    /// The names in `packed-refs` (`<id> <name>` lines; `#` and `^` lines are not references).
    private func packedReferenceNames(gitDir: String) throws -> [String] {
        let path = gitDir + "packed-refs"
        errno = 0
        guard let (bytes, _) = WholeFile.read(path) else {
            if errno == ENOENT { return [] }
            throw StorageError.fromErrno(errno == 0 ? EIO : errno, path: path)
        }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard line.count > 41, line.first != UInt8(ascii: "#"), line.first != UInt8(ascii: "^") else { return nil }
            return PathBytes.string(line.dropFirst(41))
        }
    }
}

import Glibc

/// A walk of the work tree's folders, before a snapshot records anything, for what libgit2's scan
/// would leave out in silence: a folder it cannot open (skipped as if absent) refuses the
/// snapshot, naming it, unless ignore rules exclude it. (Names of any bytes are recorded:
/// `PathBytes` carries them; paths past PATH_MAX, which libgit2 never reaches, are walked by
/// `DeepWorkTree`.) Fifos, sockets and devices are not content: they are listed, for a warning.
///
/// Folders only are descended, files judged by their directory entry: no stat per file (the
/// entry's type says what it is), so the walk costs a read of each folder, which the scan does
/// anyway. Ignore rules are asked only about folders and about the entries found wanting.
struct WorkTreeAudit {
    /// Work tree paths of fifos, sockets and devices, with what each is ("a fifo").
    private(set) var specialFiles: [(path: String, kind: String)] = []

    static func run(_ dataset: Dataset) throws -> WorkTreeAudit {
        var audit = WorkTreeAudit()
        let root = Array(dataset.root.utf8)
        let limit = Int(PATH_MAX) - 1
        var pending: [[UInt8]] = [[]]
        while let folder = pending.popLast() {
            let full = folder.isEmpty ? root : root + [UInt8(ascii: "/")] + folder
            guard let entries = try list(full) else { continue }
            // A folder holding `.git` is a repository of its own: the writer skips it and warns.
            if !folder.isEmpty, entries.contains(where: { $0.name == Array(".git".utf8) }) { continue }
            for entry in entries {
                let path = folder.isEmpty ? entry.name : folder + [UInt8(ascii: "/")] + entry.name
                if Dataset.isInternalPath(utf8: path) { continue }
                let shown = display(path)
                // What libgit2 cannot reach (a path past PATH_MAX) is walked by `DeepWorkTree`,
                // which judges it by the same rules.
                if root.count + 1 + path.count > limit { continue }
                switch entry.type {
                case S_IFDIR:
                    if try !ignored(shown, in: dataset) { pending.append(path) }
                case S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK:
                    if try !ignored(shown, in: dataset) { audit.specialFiles.append((shown, kindName(entry.type))) }
                default:
                    break
                }
            }
        }
        audit.specialFiles.sort { $0.path < $1.path }
        return audit
    }

    /// The entries of folder `full` with their types, or nil when it vanished meanwhile. A folder
    /// that cannot be read refuses the snapshot: its files would be recorded as deleted.
    private static func list(_ full: [UInt8]) throws -> [(name: [UInt8], type: mode_t)]? {
        let descriptor = (full + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) }
        }
        guard descriptor >= 0 else {
            if errno == ENOENT || errno == ENOTDIR || errno == ELOOP { return nil }
            throw StorageError.fromErrno(errno, path: display(full))
        }
        guard let stream = fdopendir(descriptor) else {
            close(descriptor)
            throw StorageError.fromErrno(errno, path: display(full))
        }
        defer { closedir(stream) }
        var entries: [(name: [UInt8], type: mode_t)] = []
        while true {
            errno = 0
            guard let item = readdir(stream) else {
                if errno != 0 { throw StorageError.fromErrno(errno, path: display(full)) }
                break
            }
            let name = withUnsafeBytes(of: item.pointee.d_name) { raw in
                Array(raw.prefix(while: { $0 != 0 }))
            }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            var type = typeOf(item.pointee.d_type)
            if type == 0 {
                // The file system does not say: ask, without following a link.
                var info = stat()
                let found = (name + [0]).withUnsafeBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) {
                        fstatat(dirfd(stream), $0.baseAddress!, &info, AT_SYMLINK_NOFOLLOW)
                    }
                }
                guard found == 0 else { continue }
                type = info.st_mode & S_IFMT
            }
            entries.append((name, type))
        }
        return entries
    }

    private static func typeOf(_ direntType: UInt8) -> mode_t {
        switch Int32(direntType) {
        case Int32(DT_DIR): return S_IFDIR
        case Int32(DT_REG): return S_IFREG
        case Int32(DT_LNK): return S_IFLNK
        case Int32(DT_FIFO): return S_IFIFO
        case Int32(DT_SOCK): return S_IFSOCK
        case Int32(DT_CHR): return S_IFCHR
        case Int32(DT_BLK): return S_IFBLK
        default: return 0
        }
    }

    static func kindName(_ type: mode_t) -> String {
        switch type {
        case S_IFIFO: return "a fifo"
        case S_IFSOCK: return "a socket"
        default: return "a device"
        }
    }

    private static func ignored(_ path: String, in dataset: Dataset) throws -> Bool {
        try dataset.wrapGit { try dataset.repository.isIgnored(path) }
    }

    /// A path as dsnap holds it (`PathBytes`).
    static func display(_ bytes: [UInt8]) -> String {
        PathBytes.string(bytes)
    }
}

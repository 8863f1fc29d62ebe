import Glibc

/// The work tree below paths too long for libgit2 (`PathLimit`). libgit2's scan stats each entry
/// by its whole path: the first one past PATH_MAX fails (it reports it "unreadable") and nothing
/// below it is seen. dsnap walks from each such entry (a root) itself, from open folder
/// descriptors, by libgit2's rules: ignore rules apply (asked of libgit2 by path, a folder's with
/// a trailing slash, so it need not stat it), a file or folder the index tracks is kept even when
/// ignored, `.git` entries are left out and so are folders holding one (repositories of their own).
///
/// One rule libgit2 cannot follow there: it reads each `.gitignore` by whole path, and takes
/// one it cannot open for none, so the rules of a `.gitignore` past the limit would be dropped
/// in silence. Unless an ignore rule excludes that file itself, the walk refuses, naming it.
/// (`.dsnapignore` is read at the dataset's top only, where it always fits.)
struct DeepWorkTree {
    /// A file (regular or link) found by the walk.
    struct File {
        let path: String
        let info: stat

        /// The git mode the file has.
        var mode: UInt32 {
            switch info.st_mode & S_IFMT {
            case S_IFLNK: GitFileMode.symlink
            default: info.st_mode & 0o100 != 0 ? GitFileMode.executable : GitFileMode.regular
            }
        }
    }

    private let dataset: Dataset
    /// Index paths at or below the roots, as bytes.
    private let trackedFiles: Set<[UInt8]>
    /// Every folder holding a tracked file below the roots, as bytes.
    private let trackedFolders: Set<[UInt8]>
    /// Folders left out as repositories of their own.
    private(set) var skippedRepositories: [String] = []
    /// Fifos, sockets and devices left out, with what each is.
    private(set) var specialFiles: [(path: String, kind: String)] = []

    /// `tracked`: the index's paths at or below the roots.
    init(dataset: Dataset, tracked: [String]) {
        self.dataset = dataset
        var files = Set<[UInt8]>()
        var folders = Set<[UInt8]>()
        for path in tracked {
            var bytes = PathBytes.bytes(path)
            files.insert(bytes)
            while let slash = bytes.lastIndex(of: UInt8(ascii: "/")) {
                bytes.removeSubrange(slash...)
                guard folders.insert(bytes).inserted else { break }
            }
        }
        trackedFiles = files
        trackedFolders = folders
    }

    /// Walks each root (a path libgit2 reported unreachable; one that is gone is nothing), calling
    /// `visit` with the open folder holding each file, the file's name in it, and the file.
    mutating func walk(_ roots: [String], visit: (Int32, UnsafePointer<CChar>, File) throws -> Void) throws {
        for root in roots {
            let folder = PathLimit.openFolder(root.parentPath, under: dataset.root)
            guard folder >= 0 else {
                // Gone, or a link or a file now stands on the way: nothing of the work tree is there.
                if errno == ENOENT || errno == ENOTDIR || errno == ELOOP { continue }
                throw StorageError.fromErrno(errno, path: root.parentPath)
            }
            defer { close(folder) }
            let name = PathBytes.cString(root.lastPathComponent)
            var info = stat()
            guard fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT { continue }
                throw StorageError.fromErrno(errno, path: root)
            }
            try entry(name, in: folder, path: root, info: info, visit: visit)
        }
    }

    private mutating func entry(_ name: [CChar], in folder: Int32, path: String, info: stat,
                                visit: (Int32, UnsafePointer<CChar>, File) throws -> Void) throws {
        let last = path.lastPathComponent
        // As libgit2's scan: `.git` in any case is never content.
        if last.utf8.count == 4, last.lowercased() == ".git" { return }
        let bytes = PathBytes.bytes(path)
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            let tracked = trackedFolders.contains(bytes)
            if !tracked, try ignored(path + "/") { return }
            let descriptor = openat(folder, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else {
                if errno == ENOENT || errno == ENOTDIR || errno == ELOOP { return }
                // As for a folder of any depth: its files would be recorded as deleted.
                throw StorageError.fromErrno(errno, path: path)
            }
            guard let stream = fdopendir(descriptor) else {
                close(descriptor)
                throw StorageError.fromErrno(errno, path: path)
            }
            defer { closedir(stream) }
            let names = try Self.names(stream, path: path)
            if !tracked, names.contains(Array(".git".utf8)) {
                skippedRepositories.append(path)
                return
            }
            for child in names {
                let childName = child.map { CChar(bitPattern: $0) } + [0]
                var childInfo = stat()
                guard fstatat(dirfd(stream), childName, &childInfo, AT_SYMLINK_NOFOLLOW) == 0 else {
                    if errno == ENOENT { continue }
                    throw StorageError.fromErrno(errno, path: path + "/" + PathBytes.string(child))
                }
                try entry(childName, in: dirfd(stream), path: path + "/" + PathBytes.string(child),
                          info: childInfo, visit: visit)
            }
        case S_IFREG, S_IFLNK:
            if last == ".gitignore", try !ignored(path) {
                throw WorkTreeError.ignoreFileTooDeep(path: path, limit: PathLimit.pathBytes)
            }
            if !trackedFiles.contains(bytes), try ignored(path) { return }
            try name.withUnsafeBufferPointer { try visit(folder, $0.baseAddress!, File(path: path, info: info)) }
        case S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK:
            if try !ignored(path) { specialFiles.append((path, WorkTreeAudit.kindName(info.st_mode & S_IFMT))) }
        default:
            break
        }
    }

    /// The names in a folder but `.` and `..`, sorted by their bytes (git's order).
    private static func names(_ stream: OpaquePointer, path: String) throws -> [[UInt8]] {
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let item = readdir(stream) else {
                if errno != 0 { throw StorageError.fromErrno(errno, path: path) }
                break
            }
            let name = withUnsafeBytes(of: item.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }
    }

    private func ignored(_ path: String) throws -> Bool {
        try dataset.wrapGit { try dataset.repository.isIgnored(path) }
    }

    /// The blob id of a file found by the walk, read from the open folder holding it.
    static func objectID(of name: UnsafePointer<CChar>, in folder: Int32, file: File) throws -> GitOID {
        if file.mode == GitFileMode.symlink {
            var target = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlinkat(folder, name, &target, target.count)
            guard count >= 0 else { throw StorageError.fromErrno(errno, path: file.path) }
            var hasher = ObjectHasher(size: count)
            target.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            return hasher.finish()
        }
        let descriptor = openat(folder, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: file.path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw StorageError.fromErrno(errno, path: file.path) }
        var hasher = ObjectHasher(size: Int(info.st_size))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var remaining = Int(info.st_size)
        while remaining > 0 {
            let count = try FileRead.fill(descriptor, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<min(remaining, buffer.count)]),
                                          path: file.path)
            guard count > 0 else {
                throw StorageError.io(path: file.path, reason: "the file shrank while it was being read; run the command again")
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            remaining -= count
        }
        return hasher.finish()
    }
}

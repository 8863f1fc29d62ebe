import Glibc

/// Paths longer than PATH_MAX. The file system holds them (it limits each name, not a path),
/// but every call taking a whole path fails on one with ENAMETOOLONG, and libgit2 reaches each
/// work tree file by its whole path. Such a file is reached instead folder by folder, each
/// opened relative to its parent's descriptor (`openat`), as `rm -r` and `find` do.
///
/// dsnap keeps whole paths wherever they fit (no extra call for the usual dataset) and turns to
/// descriptors only below the first folder past the limit: `isDeep` decides.
enum PathLimit {
    /// The longest path a call takes: PATH_MAX counts the terminating NUL.
    static let pathBytes = Int(PATH_MAX) - 1
    /// The longest name of one file or folder on Linux's file systems.
    static let nameBytes = Int(NAME_MAX)
    /// The most folders libgit2's work tree scan goes into, one inside another
    /// (`FILESYSTEM_MAX_DEPTH` in libgit2 1.5 counts the work tree's own folder too).
    static let nestedFolders = 99

    /// True when `root/path` is too long for a call taking a whole path.
    static func isDeep(_ path: String, rootBytes: Int) -> Bool {
        rootBytes + 1 + PathBytes.byteCount(path) > pathBytes
    }

    /// The shortest leading part of `path` (a file or folder) whose path under a root of
    /// `rootBytes` bytes is too long for a whole-path call: where libgit2's scan stops.
    static func firstDeepPart(of path: String, rootBytes: Int) -> String? {
        guard isDeep(path, rootBytes: rootBytes) else { return nil }
        let bytes = PathBytes.bytes(path)
        var end = 0
        while end < bytes.count {
            var next = end
            while next < bytes.count && bytes[next] != UInt8(ascii: "/") { next += 1 }
            if rootBytes + 1 + next > pathBytes { return PathBytes.string(bytes[0..<next]) }
            end = next + 1
        }
        return path
    }

    /// The names in `path`, as C strings.
    static func components(_ path: String) -> [[CChar]] {
        PathBytes.bytes(path).split(separator: UInt8(ascii: "/")).map { $0.map { CChar(bitPattern: $0) } + [0] }
    }

    /// Opens the folder `path` (from `root`; "" is the root) for reading, one name at a time and
    /// never through a link: a link or a file on the way fails it with ELOOP or ENOTDIR. The
    /// descriptor, or -1 with errno set.
    static func openFolder(_ path: String, under root: String) -> Int32 {
        var descriptor = PathBytes.withCString(root) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        for name in components(path) where descriptor >= 0 {
            let next = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let failure = errno
            close(descriptor)
            descriptor = next
            errno = failure
        }
        return descriptor
    }

    /// Opens the folder `path` (from `root`) as `openFolder` does, making the folders that are
    /// missing; a file or link standing where a folder belongs is removed first, so nothing is
    /// ever written through a link (checkout's rule for whole paths too). Errors name the folder
    /// from the root.
    static func makeFolder(_ path: String, under root: String) throws -> Int32 {
        var descriptor = PathBytes.withCString(root) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: root) }
        var made = ""
        for name in components(path) {
            made += (made.isEmpty ? "" : "/") + PathBytes.string(name.dropLast().map { UInt8(bitPattern: $0) })
            var next = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && (errno == ENOTDIR || errno == ELOOP) {
                // A file or a link in the way.
                if unlinkat(descriptor, name, 0) != 0 && errno != ENOENT {
                    let failure = errno
                    close(descriptor)
                    throw StorageError.fromErrno(failure, path: made)
                }
                errno = ENOENT
            }
            if next < 0 && errno == ENOENT {
                if mkdirat(descriptor, name, 0o777) != 0 && errno != EEXIST {
                    let failure = errno
                    close(descriptor)
                    throw StorageError.fromErrno(failure, path: made)
                }
                next = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            let failure = errno
            close(descriptor)
            guard next >= 0 else { throw StorageError.fromErrno(failure, path: made) }
            descriptor = next
        }
        return descriptor
    }
}

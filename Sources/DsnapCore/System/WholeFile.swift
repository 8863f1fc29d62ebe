import Glibc

/// Reads a whole (small) file into memory, with the `fstat` of what was read.
enum WholeFile {
    static func read(_ path: String) -> (bytes: [UInt8], info: stat)? {
        let descriptor = PathBytes.withCString(path) { open($0, O_RDONLY | O_CLOEXEC) }
        return read(descriptor, path: path)
    }

    /// The work tree file `path` (from `root`), reached from its folder when its whole path is
    /// too long for the system's calls (`PathLimit`).
    static func read(_ path: String, under root: String) -> (bytes: [UInt8], info: stat)? {
        guard PathLimit.isDeep(path, rootBytes: PathBytes.byteCount(root)) else { return read(root + "/" + path) }
        let folder = PathLimit.openFolder(path.parentPath, under: root)
        guard folder >= 0 else { return nil }
        defer { close(folder) }
        let descriptor = PathBytes.withCString(path.lastPathComponent) { openat(folder, $0, O_RDONLY | O_CLOEXEC) }
        return read(descriptor, path: path)
    }

    /// Reads the open file `descriptor` (-1: nothing) and closes it.
    private static func read(_ descriptor: Int32, path: String) -> (bytes: [UInt8], info: stat)? {
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_size < 1 << 31 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let filled = bytes.withUnsafeMutableBytes { try? FileRead.fill(descriptor, $0, path: path) }
        guard filled == bytes.count else { return nil }
        return (bytes, info)
    }
}

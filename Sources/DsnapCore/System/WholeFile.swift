import Glibc

/// Reads a whole (small) file into memory, with the `fstat` of what was read.
enum WholeFile {
    static func read(_ path: String) -> (bytes: [UInt8], info: stat)? {
        let descriptor = PathBytes.withCString(path) { open($0, O_RDONLY | O_CLOEXEC) }
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

import Glibc

/// A file in memory (/dev/shm) that a fuzz input is written to, because the readers under test
/// take a path or a descriptor, as they do on a real object store. One per process, reused for
/// every input: creating a file per input would cost more than the read.
public final class ScratchFile: @unchecked Sendable {
    public let path: String
    public let descriptor: Int32

    /// `name` ends the path: the pack index reader wants `.idx`.
    public init(name: String) {
        let folder = "/dev/shm/dsnap-fuzz-\(getpid())"
        mkdir(folder, 0o700)
        path = folder + "/" + name
        descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(descriptor >= 0, "cannot create \(path)")
    }

    /// Makes the file hold exactly `bytes`, its offset back at the start (a reader that appends
    /// through the descriptor, as the kernel copy does, must start from an empty file).
    public func replace<Bytes: Collection>(with bytes: Bytes) where Bytes.Element == UInt8 {
        precondition(ftruncate(descriptor, 0) == 0 && lseek(descriptor, 0, SEEK_SET) == 0)
        let array = Array(bytes)
        let written = array.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        precondition(written == array.count, "cannot write \(path)")
    }

    /// The file's whole content.
    public func contents() -> [UInt8] {
        var info = stat()
        precondition(fstat(descriptor, &info) == 0)
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        precondition(count == bytes.count)
        return bytes
    }
}

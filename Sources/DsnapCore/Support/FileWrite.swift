import Glibc

/// The one loop that writes a buffer whole: resumed after a short write and after EINTR (a
/// signal can interrupt a write on some file systems; that is not a failure).
enum FileWrite {
    /// Writes all of `bytes` at the file's position, or at `offset` when given (pwrite).
    /// Throws a `StorageError` naming `path` on any other failure.
    static func all(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int? = nil, path: String) throws {
        var done = 0
        while done < bytes.count {
            let count = offset.map { pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t($0 + done)) }
                ?? write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if count < 0 {
                if errno == EINTR { continue }
                throw StorageError.fromErrno(errno, path: path)
            }
            done += count
        }
    }

    static func all(_ descriptor: Int32, _ bytes: [UInt8], at offset: Int? = nil, path: String) throws {
        try bytes.withUnsafeBytes { try all(descriptor, $0, at: offset, path: path) }
    }
}

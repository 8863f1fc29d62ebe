import Glibc

/// The one loop that reads: resumed after EINTR (a signal can interrupt a read on some file
/// systems; that is not a failure), the read-side twin of `FileWrite`.
enum FileRead {
    /// One read(2), or pread(2) at `offset` when given: the bytes read, 0 at the end of the file,
    /// -1 with errno set on a failure other than EINTR.
    static func some(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int? = nil) -> Int {
        while true {
            let read = offset.map { pread(descriptor, buffer, count, off_t($0)) } ?? Glibc.read(descriptor, buffer, count)
            if read >= 0 || errno != EINTR { return read }
        }
    }

    /// Fills `buffer` from the file's position, or from `offset` when given: the bytes read,
    /// fewer than the buffer holds only at the end of the file. Throws a `StorageError` naming
    /// `path` on a failure.
    static func fill(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int? = nil,
                     path: String) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = some(descriptor, into: buffer.baseAddress! + filled, count: buffer.count - filled,
                             at: offset.map { $0 + filled })
            if count < 0 { throw StorageError.fromErrno(errno, path: path) }
            if count == 0 { break }
            filled += count
        }
        return filled
    }
}

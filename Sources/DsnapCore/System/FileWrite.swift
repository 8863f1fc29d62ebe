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

    /// Replaces the small file at `path` with `bytes` atomically and durably: written under
    /// `temporary` (see `durably`), then renamed over it; the temporary goes on failure.
    static func durablyReplacing(_ path: String, with bytes: [UInt8], temporary: String) throws {
        try durably(bytes, to: temporary)
        guard rename(temporary, path) == 0 else {
            let failure = errno
            unlink(temporary)
            throw StorageError.fromErrno(failure, path: path)
        }
    }

    /// Creates (or truncates) the small file at `path` with `bytes`, on disk when this returns:
    /// written, fsynced and closed, each result checked. A failure removes the file. The caller
    /// flushes the folder when the file's name must survive a power cut too.
    static func durably(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: path) }
        var isOpen = true
        do {
            try all(descriptor, bytes, path: path)
            let synced = fsync(descriptor)
            let syncError = errno
            isOpen = false
            let closed = close(descriptor)
            guard synced == 0 else { throw StorageError.fromErrno(syncError, path: path) }
            guard closed == 0 else { throw StorageError.fromErrno(errno, path: path) }
        } catch {
            if isOpen { close(descriptor) }
            unlink(path)
            throw error
        }
    }
}

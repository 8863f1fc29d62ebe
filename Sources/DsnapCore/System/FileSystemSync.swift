import CSystem
import Dispatch
import Glibc

/// Makes writes durable: a whole file system with one `syncfs(2)` (many files), or named files
/// and folders with `fsync(2)` each (a few).
///
/// Every result is checked: a sync that fails means the data may not be on disk, and the
/// operation must fail (exit 6) before any ref moves to name it. Since Linux 5.8 `syncfs`
/// reports write-back errors that no one has seen yet, also to a descriptor opened after them.
enum FileSystemSync {
    static func sync(containing path: String) throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: path) }
        let synced = dsnap_syncfs(descriptor)
        let syncError = errno
        let closed = close(descriptor)
        guard synced == 0 else { throw StorageError.fromErrno(syncError, path: path) }
        guard closed == 0 else { throw StorageError.fromErrno(errno, path: path) }
    }

    /// Flushes just these files and folders. A `syncfs` also waits for every other process's
    /// dirty data on the file system (4-20 ms on a shared machine for a one-object commit).
    /// The fsyncs run at once, so the file system can commit them together (ext4 joins fsyncs
    /// that arrive while its journal commits): 8 one after the other cost ~4 ms more. A path
    /// that does not exist (an object another process already had) has nothing to flush.
    static func sync(paths: [String]) throws {
        let failures = FirstFailure()
        DispatchQueue.concurrentPerform(iterations: paths.count) { position in
            let path = paths[position]
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                if errno != ENOENT { failures.record(errno, path) }
                return
            }
            if fsync(descriptor) != 0 { failures.record(errno, path) }
            if close(descriptor) != 0 { failures.record(errno, path) }
        }
        if let (code, path) = failures.first { throw StorageError.fromErrno(code, path: path) }
    }

    /// The first failure among concurrent syncs.
    private final class FirstFailure: @unchecked Sendable {
        private let lock = Lock()
        private var failure: (Int32, String)?

        func record(_ code: Int32, _ path: String) {
            lock.lock()
            if failure == nil { failure = (code, path) }
            lock.unlock()
        }

        var first: (Int32, String)? {
            lock.lock()
            defer { lock.unlock() }
            return failure
        }
    }
}

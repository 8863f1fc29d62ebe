import FoundationEssentials
import Glibc

/// The dataset's operation lock: an `flock` on `.dsnap/dsnap.lock`, which the kernel releases when
/// its process dies, so a killed dsnap never leaves a stale lock.
///
/// Long mutating operations (commit, restore) take it exclusively and refuse to wait: a second one
/// exits 4 naming the holder, whose command, pid and start time are written into the file.
/// Metadata edits (update, delete) take it shared, so many run at once but none during a commit;
/// they serialize among themselves on `MetadataLock`.
public final class DatasetLock {
    public enum Mode: Sendable { case exclusive, shared }

    private let descriptor: Int32
    private let mode: Mode

    static func path(in dataset: Dataset) -> String { dataset.gitDir + "/dsnap.lock" }

    /// Shared holders keep the lock for milliseconds, so an exclusive request that finds only them
    /// waits this long before giving up.
    private static let sharedHolderPatience: TimeInterval = 5

    private init(descriptor: Int32, mode: Mode) {
        self.descriptor = descriptor
        self.mode = mode
    }

    deinit {
        if mode == .exclusive { _ = ftruncate(descriptor, 0) }
        close(descriptor)
    }

    /// Takes the lock or throws `LockError.busy` naming who holds it.
    public static func acquire(_ mode: Mode, on dataset: Dataset, command: String,
                               context: OperationContext) throws -> DatasetLock {
        let path = path(in: dataset)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: path) }
        let deadline = Date().addingTimeInterval(sharedHolderPatience)
        while true {
            if flock(descriptor, (mode == .exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 { break }
            let failure = errno
            guard failure == EWOULDBLOCK || failure == EINTR else {
                close(descriptor)
                throw StorageError.fromErrno(failure, path: path)
            }
            let holder = readHolder(descriptor: descriptor)
            // An exclusive holder that has written its name is a real conflict; an empty file means
            // shared holders (metadata edits) or an exclusive one a moment before it wrote its name.
            if holder != nil || Date() > deadline {
                close(descriptor)
                throw LockError.busy(holder)
            }
            usleep(10_000)
        }
        let lock = DatasetLock(descriptor: descriptor, mode: mode)
        if mode == .exclusive {
            let holder = LockHolder(command: command, pid: getpid(), since: context.now())
            let text = JSONWriter.render(holder.json) + "\n"
            _ = ftruncate(descriptor, 0)
            _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        }
        return lock
    }

    /// The exclusive operation running now, if any. Never blocks and never takes the lock.
    public static func runningOperation(in dataset: Dataset) -> LockHolder? {
        let path = path(in: dataset)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        guard let holder = readHolder(descriptor: descriptor) else { return nil }
        // The file keeps a killed holder's name (kill -9 skips the truncate): trust it only while
        // that process lives.
        return kill(holder.pid, 0) == 0 || errno == EPERM ? holder : nil
    }

    private static func readHolder(descriptor: Int32) -> LockHolder? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0, let value = try? JSONParser.parse(Array(buffer[0..<count])) else { return nil }
        return LockHolder(json: value)
    }
}

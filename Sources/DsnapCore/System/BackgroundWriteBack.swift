import CSystem
import Dispatch
import Glibc

/// Keeps the disk writing while a snapshot writes its objects: a background thread syncs the file
/// system every 50 ms, so the sync that makes a snapshot durable finds little left to do.
///
/// Not one `sync_file_range` per object from the worker that wrote it: that hands the disk one
/// request per object, where a sync lets the kernel's flusher submit many objects at once, merged
/// where they are adjacent. On a disk that limits requests per second that is what counts (the
/// request counts, from /proc/diskstats, are in bench/RESULTS.md).
/// After each sync it lets go of the page cache of the object files written before it began
/// (`WrittenPages`), so the next objects reuse that memory.
final class BackgroundWriteBack: @unchecked Sendable {
    private let stopSignal = DispatchSemaphore(value: 0)
    private let group = DispatchGroup()
    private let path: String
    /// The errno of the first sync that failed: write-back hit an I/O error, which the final
    /// sync may no longer report (the kernel tells each error once), so `stop` does.
    private nonisolated(unsafe) var failure: Int32 = 0

    /// Starts syncing the file system holding `path`. The first sync comes after 50 ms: a small
    /// snapshot is done by then and never waits for other processes' dirty data. A sync that
    /// fails lets go of nothing: those pages may not be on disk.
    init(containing path: String, writtenPages: WrittenPages? = nil) {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        DispatchQueue.global(qos: .utility).async(group: group) { [stopSignal, self] in
            defer { close(descriptor) }
            while stopSignal.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
                let written = writtenPages?.takeAll() ?? []
                if dsnap_syncfs(descriptor) == 0 {
                    WrittenPages.release(written)
                } else if failure == 0 {
                    failure = errno
                }
            }
        }
    }

    /// Stops after the sync under way, if any (the snapshot's own sync would wait for it anyway).
    /// Throws when a sync failed: what was written may not be on disk.
    func stop() throws {
        stopSignal.signal()
        group.wait()
        // Read after the thread ended (group.wait orders it): no lock needed.
        if failure != 0 { throw StorageError.fromErrno(failure, path: path) }
    }
}

import Glibc

/// Object files a snapshot wrote that a sync has not yet reached, so their page cache can be let
/// go once it has: `BackgroundWriteBack` takes the list, syncs, then drops those files' pages.
///
/// Why: each new page-cache page costs a first touch of fresh memory, and on a VM that hands
/// free memory back to its host (virtio free page reporting) a first touch is many times slower
/// than a touch of memory in use; the copy into the page cache is then a large part of a first
/// snapshot's CPU. Pages let go right after their sync return to the allocator still backed, and
/// the next objects reuse them (the profile and the timings are in bench/RESULTS.md). A snapshot
/// also leaves no second copy of the data in the page cache; a clone right after it reads the
/// objects from the disk (`ObjectPrefetch`).
///
/// Paths, not open descriptors: a snapshot writes hundreds of files between two syncs, more
/// than a default limit of 1,024 open files leaves room for.
final class WrittenPages: @unchecked Sendable {
    /// The most paths kept between two syncs (~6 MB); past it a file's pages just stay cached.
    static let limit = 65_536
    private let lock = Lock()
    private var pending: [String] = []

    /// Notes the object file at `path`, complete and linked under its name.
    func add(_ path: String) {
        lock.withLock {
            if pending.count < Self.limit { pending.append(path) }
        }
    }

    /// The files noted so far: a sync started after this call writes all their pages.
    func takeAll() -> [String] {
        lock.withLock {
            let taken = pending
            pending.removeAll(keepingCapacity: true)
            return taken
        }
    }

    /// Drops the pages of `paths` (clean after a sync) from the page cache. A page still dirty
    /// (written again meanwhile: never, objects are immutable) would simply stay.
    static func release(_ paths: [String]) {
        for path in paths {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard descriptor >= 0 else { continue }
            _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_DONTNEED)
            close(descriptor)
        }
    }
}

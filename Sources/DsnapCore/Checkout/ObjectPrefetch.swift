import Glibc

/// Reads objects ahead of a checkout when the cache is cold, so the disk always has requests
/// queued: each worker otherwise waits for one object read at a time, and the disk idles between
/// them (a clone from a cold cache then takes about twice as long; figures in bench/RESULTS.md).
///
/// Only while objects are found cold: on a warm cache, asking would cost an open and a page-cache
/// walk per file for nothing (one 1-byte read per file tells). A worker that finds its object cold
/// (`LooseObjectReader.isCached`) opens a window of `distance` files ahead; a worker whose file
/// lies in the window moves it on by one; once workers pass its end on cached objects, it closes.
/// Workers take positions in order (`ParallelWork`), so each object is asked for once.
final class ObjectPrefetch: @unchecked Sendable {
    static let distance = 32
    private let lock = Lock()
    /// The last position asked for; -1 before any.
    private var askedUpTo = -1
    private let count: Int

    init(count: Int) {
        self.count = count
    }

    /// The positions to ask for now, after the file at `position` was written (`wasCold`: its
    /// object was not in the page cache).
    func positionsToAsk(after position: Int, wasCold: Bool) -> Range<Int> {
        lock.withLock {
            guard wasCold || position <= askedUpTo else { return 0..<0 }
            let start = max(askedUpTo + 1, position + 1)
            let end = min(position + Self.distance + 1, count)
            guard start < end else { return 0..<0 }
            askedUpTo = end - 1
            return start..<end
        }
    }
}

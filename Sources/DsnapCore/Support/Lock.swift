import Glibc

/// A mutual-exclusion lock (a pthread mutex at a fixed heap address). dsnap uses
/// FoundationEssentials, not Foundation: Foundation proper (and its ICU data) costs ~6 ms at
/// the start of every command, and `NSLock` is all dsnap used of it here.
final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init() {
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

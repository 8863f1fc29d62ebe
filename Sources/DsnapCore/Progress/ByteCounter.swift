import Synchronization

/// The bytes an operation's workers have handled, added by each worker as every chunk passes and
/// read by the thread that reports progress when a report is due. One relaxed atomic add per
/// chunk (1 MiB, or one kernel copy), never a lock: the copy loops pay nothing measurable for it.
final class ByteCounter: Sendable {
    private let done = Atomic<Int64>(0)
    /// The sizes of the files whose size is known so far, and how many files that is: the total
    /// is known once every file's size is.
    private let expected = Atomic<Int64>(0)
    private let sized = Atomic<Int>(0)

    init() {}

    /// `count` more bytes were read or written.
    func add(_ count: Int) {
        done.wrappingAdd(Int64(count), ordering: .relaxed)
    }

    /// One more file's size is known (a snapshot learns each when it opens the file).
    func expect(fileOfSize size: Int) {
        expected.wrappingAdd(Int64(size), ordering: .relaxed)
        sized.wrappingAdd(1, ordering: .relaxed)
    }

    var bytesDone: Int64 { done.load(ordering: .relaxed) }

    /// The bytes of all `files` files, once every one's size is known; nil before.
    func bytesTotal(ofFiles files: Int?) -> Int64? {
        guard let files, sized.load(ordering: .relaxed) == files else { return nil }
        return expected.load(ordering: .relaxed)
    }
}

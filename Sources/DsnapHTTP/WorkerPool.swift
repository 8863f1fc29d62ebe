import Dispatch
import Foundation
import Synchronization

/// A fixed set of threads that run the handler, one request each at a time: handlers may block
/// for seconds (a commit waiting for a lock) without holding up the event loop or each other.
final class WorkerPool: Sendable {
    struct Job: Sendable {
        let connection: UInt64
        let request: HTTPRequest
    }

    /// Jobs in arrival order; nil tells one thread to end.
    private let queue = Mutex<[Job?]>([])
    private let available = DispatchSemaphore(value: 0)
    private let ended = DispatchGroup()
    private let threadCount: Int

    init(threads: Int, name: String, work: @escaping @Sendable (Job) -> Void) {
        threadCount = threads
        for index in 0..<threads {
            ended.enter()
            let thread = Thread { [self] in
                while true {
                    available.wait()
                    guard let job = queue.withLock({ $0.removeFirst() }) else { break }
                    work(job)
                }
                ended.leave()
            }
            thread.name = "\(name)-\(index)"
            // Handlers run what the CLI runs on the main thread (libgit2, recursive tree walks),
            // so they get its stack size rather than whatever a thread gets by default.
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    func submit(_ job: Job) {
        queue.withLock { $0.append(job) }
        available.signal()
    }

    /// Ends every thread once the jobs already submitted are done, and waits for them.
    func finish() {
        queue.withLock { $0.append(contentsOf: Array(repeating: nil, count: threadCount)) }
        for _ in 0..<threadCount { available.signal() }
        ended.wait()
    }
}

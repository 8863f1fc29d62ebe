import CHTTPSystem
import Dispatch
import Glibc
import Synchronization

/// A fixed set of threads that run the handler, one request each at a time: handlers may block
/// for seconds (a commit waiting for a lock) without holding up the event loop or each other.
///
/// POSIX threads, not Foundation's `Thread`: Foundation proper (and its ICU data) is loaded at the
/// start of every dsnap command that links it, ~6 ms each, and this is all the server used of it.
final class WorkerPool: Sendable {
    struct Job: Sendable {
        let connection: UInt64
        let request: HTTPRequest
    }

    /// What the threads share: jobs in arrival order (nil tells one thread to end), a count of
    /// jobs waiting, and the threads still running.
    private final class Jobs: Sendable {
        let queue = Mutex<[Job?]>([])
        let available = DispatchSemaphore(value: 0)
        let ended = DispatchGroup()
    }

    private let jobs = Jobs()
    private let threadCount: Int
    private let work: @Sendable (Job) -> Void

    init(threads: Int, name: String, work: @escaping @Sendable (Job) -> Void) {
        self.work = work
        let jobs = self.jobs
        var started = 0
        for index in 0..<threads {
            jobs.ended.enter()
            // Handlers run what the CLI runs on the main thread (libgit2, recursive tree walks),
            // so they get its stack size rather than whatever a thread gets by default.
            let made = Self.startThread(name: "\(name)-\(index)", stackSize: 8 << 20) {
                while true {
                    jobs.available.wait()
                    guard let job = jobs.queue.withLock({ $0.removeFirst() }) else { break }
                    work(job)
                }
                jobs.ended.leave()
            }
            guard made else {
                jobs.ended.leave()
                break
            }
            started += 1
        }
        // Out of threads (the process's limit), the pool is as large as the system let it be;
        // with none at all, `submit` runs each job itself.
        threadCount = started
    }

    func submit(_ job: Job) {
        guard threadCount > 0 else { return work(job) }
        jobs.queue.withLock { $0.append(job) }
        jobs.available.signal()
    }

    /// Ends every thread once the jobs already submitted are done, and waits for them.
    func finish() {
        jobs.queue.withLock { $0.append(contentsOf: Array(repeating: nil, count: threadCount)) }
        for _ in 0..<threadCount { jobs.available.signal() }
        jobs.ended.wait()
    }

    /// Starts a detached thread running `body`; false when the system would not make one.
    private static func startThread(name: String, stackSize: Int, _ body: @escaping @Sendable () -> Void) -> Bool {
        final class Body {
            let run: @Sendable () -> Void
            init(_ run: @escaping @Sendable () -> Void) { self.run = run }
        }
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { raw in
            Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return false
        }
        // Linux keeps 15 bytes of a thread's name.
        _ = dsnap_http_name_thread(thread, String(name.utf8.prefix(15)) ?? "dsnap-http")
        return true
    }
}

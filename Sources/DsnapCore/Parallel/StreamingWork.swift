import Dispatch
import FoundationEssentials
import Glibc

/// Jobs handed to the workers while the caller is still finding them: a snapshot's work tree scan
/// feeds the object writers, so both cores work from the first changed file on instead of one
/// core scanning while the other waits.
///
/// The caller `add`s items from one thread, then calls `finish` or, when the producing failed,
/// `cancel`. Each item's result goes to `receive`, on the calling thread, in the order the items
/// were added, as soon as it and those before it are done: while the caller is still adding
/// (every 256 items) and while `finish` waits. Results are not kept: a snapshot of 200,000 files
/// updates its index while the last objects are written, and holds a few results at a time
/// instead of all of them.
///
/// The workers start once `startAfter` items are queued (or at `finish`, for fewer): `makeJob`
/// then learns which case it is, so a writer can decide up front whether there are many objects
/// to pack. Once they run, `add` waits while `maxWaiting` items wait for a worker: a scan of a
/// million files, far quicker than the writing, would otherwise hold every path it found.
/// Progress is reported from the calling thread only: files as jobs end, bytes as the jobs count
/// them on `bytes` (per chunk, so one large file shows its progress).
final class StreamingWork<Item, T, State>: @unchecked Sendable {
    typealias Job = @Sendable (Item, State) throws -> T
    typealias Receive = (Item, T) throws -> Void

    private let phase: String
    private let progress: ProgressSink?
    private let bytes: ByteCounter?
    private let startAfter: Int
    private let maxWaiting: Int
    private let makeState: @Sendable () -> State
    private let makeJob: (_ many: Bool) -> Job
    private let receive: Receive

    private let lock = Lock()
    /// One signal per item added, plus one per worker at the end (which wakes it to leave).
    private let available = DispatchSemaphore(value: 0)
    /// Wakes `finish` to hand results on: every 64 jobs done, at the last one, and at a failure
    /// (one wake-up per job cost 0.3-0.5 s of system time on a 200,000-file snapshot).
    private let someEnded = DispatchSemaphore(value: 0)
    private let group = DispatchGroup()
    /// Items no worker took yet, from `queue[taken]` on; `queue[0]` is item number `queueStart`.
    private var queue: [Item] = []
    private var queueStart = 0
    private var taken = 0
    private var added = 0
    /// Done, by item number, until handed to `receive`; `received` items were.
    private var finished: [Int: (Item, T)] = [:]
    private var received = 0
    private var done = 0
    private var firstError: Error?
    private var stopping = false
    private var workers = 0
    private var lastReport = DispatchTime.now()

    init(phase: String, progress: ProgressSink?, bytes: ByteCounter? = nil, startAfter: Int,
         maxWaiting: Int = .max, makeState: @escaping @Sendable () -> State, receive: @escaping Receive,
         makeJob: @escaping (_ many: Bool) -> Job) {
        self.phase = phase
        self.progress = progress
        self.bytes = bytes
        self.startAfter = max(1, startAfter)
        self.maxWaiting = max(self.startAfter, maxWaiting)
        self.makeState = makeState
        self.receive = receive
        self.makeJob = makeJob
    }

    /// Queues `item`. False once a job (or `receive`) failed: the caller should stop producing and
    /// call `finish`, which throws that failure.
    func add(_ item: Item) -> Bool {
        lock.lock()
        queue.append(item)
        added += 1
        let count = added
        lock.unlock()
        available.signal()
        if count == startAfter { start(many: true) }
        if count % 256 == 0 {
            handOnFinished()
            reportIfDue(total: nil)
            waitForRoom()
        }
        return failure == nil
    }

    /// While the workers run and `maxWaiting` items wait for them (or more), hands results on
    /// as they come instead of queueing more.
    private func waitForRoom() {
        guard workers > 0 else { return }
        while lock.withLock({ added - (queueStart + taken) >= maxWaiting && firstError == nil }) {
            _ = someEnded.wait(timeout: .now() + .milliseconds(10))
            handOnFinished()
            reportIfDue(total: nil)
        }
    }

    /// Waits for every job, handing the results on in order; throws the first failure.
    func finish() throws {
        if workers == 0 && added > 0 { start(many: false) }
        stopWaiting()
        while true {
            handOnFinished()
            let (complete, failed) = lock.withLock { (received == added, firstError != nil) }
            if complete || failed { break }
            _ = someEnded.wait(timeout: .now() + .milliseconds(100))
            reportIfDue(total: added)
        }
        group.wait()
        if let firstError = failure { throw firstError }
        progress?.report(OperationProgress(phase: phase, filesDone: added, filesTotal: added,
                                           bytesDone: bytes?.bytesDone ?? 0, bytesTotal: bytes?.bytesTotal(ofFiles: added)))
    }

    /// Stops the workers after the jobs they are running, and waits for them.
    func cancel() {
        lock.lock()
        stopping = true
        lock.unlock()
        stopWaiting()
        group.wait()
    }

    /// The first failure of a job or of `receive`, if any.
    var failure: Error? { lock.withLock { firstError } }

    private func start(many: Bool) {
        let job = makeJob(many)
        // No more workers than the items queued when they start (every core for a long stream).
        workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, added))
        for _ in 0..<workers {
            DispatchQueue.global(qos: .userInitiated).async(group: group) { self.work(job) }
        }
    }

    /// No more items: every worker wakes once more, finds the queue empty and leaves.
    private func stopWaiting() {
        lock.lock()
        let count = workers
        lock.unlock()
        for _ in 0..<count { available.signal() }
    }

    /// Gives `receive` the results that are next in order, outside the lock.
    private func handOnFinished() {
        lock.lock()
        var ready: [(Item, T)] = []
        while let next = finished.removeValue(forKey: received) {
            ready.append(next)
            received += 1
        }
        lock.unlock()
        do {
            for (item, result) in ready where failure == nil { try receive(item, result) }
        } catch {
            fail(error)
        }
    }

    private func fail(_ error: Error) {
        lock.lock()
        if firstError == nil { firstError = error }
        lock.unlock()
    }

    private func work(_ job: Job) {
        let state = makeState()
        while true {
            available.wait()
            lock.lock()
            guard !stopping, firstError == nil, queueStart + taken < added else {
                lock.unlock()
                return
            }
            let number = queueStart + taken
            let item = queue[taken]
            taken += 1
            // Taken items leave the queue now and then (a copy of what is left, amortized).
            if taken >= 4096 && taken * 2 >= queue.count {
                queue.removeFirst(taken)
                queueStart += taken
                taken = 0
            }
            lock.unlock()
            do {
                let result = try job(item, state)
                lock.lock()
                finished[number] = (item, result)
                done += 1
                let wake = done % 64 == 0 || done == added
                lock.unlock()
                if wake { someEnded.signal() }
            } catch {
                fail(error)
                someEnded.signal()
            }
        }
    }

    /// At most every 100 ms, from the calling thread (progress sinks are not thread-safe).
    private func reportIfDue(total: Int?) {
        guard let progress else { return }
        let now = DispatchTime.now()
        guard now.uptimeNanoseconds - lastReport.uptimeNanoseconds >= 100_000_000 else { return }
        lastReport = now
        let filesDone = lock.withLock { done }
        progress.report(OperationProgress(phase: phase, filesDone: filesDone, filesTotal: total,
                                          bytesDone: bytes?.bytesDone ?? 0, bytesTotal: bytes?.bytesTotal(ofFiles: total)))
    }
}

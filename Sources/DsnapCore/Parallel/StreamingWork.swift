import Dispatch
import FoundationEssentials
import Glibc

/// Jobs handed to the workers while the caller is still finding them: a snapshot's work tree scan
/// feeds the object writers, so both cores work from the first changed file on instead of one
/// core scanning while the other waits.
///
/// The caller `add`s items from one thread, then calls `finish` (results in the order added) or,
/// when the producing failed, `cancel`. The workers start once `startAfter` items are queued (or at
/// `finish`, for fewer): `makeJob` then learns which case it is, so a writer can decide up front
/// whether there are many objects to pack. Progress is reported from the calling thread only.
final class StreamingWork<Item, T, State>: @unchecked Sendable {
    typealias Job = @Sendable (Item, State) throws -> ParallelWork.JobResult<T>

    private let phase: String
    private let progress: ProgressSink?
    private let startAfter: Int
    private let makeState: @Sendable () -> State
    private let makeJob: (_ many: Bool) -> Job

    private let lock = Lock()
    /// One signal per item added, plus one per worker at the end (which wakes it to leave).
    private let available = DispatchSemaphore(value: 0)
    private let group = DispatchGroup()
    private var items: [Item] = []
    private var results: [T?] = []
    private var next = 0
    private var done = 0
    private var bytes: Int64 = 0
    private var firstError: Error?
    private var stopping = false
    private var workers = 0
    private var lastReport = DispatchTime.now()

    init(phase: String, progress: ProgressSink?, startAfter: Int, makeState: @escaping @Sendable () -> State,
         makeJob: @escaping (_ many: Bool) -> Job) {
        self.phase = phase
        self.progress = progress
        self.startAfter = max(1, startAfter)
        self.makeState = makeState
        self.makeJob = makeJob
    }

    /// Queues `item`. False once a job failed: the caller should stop producing and call `finish`,
    /// which throws that failure.
    func add(_ item: Item) -> Bool {
        lock.lock()
        items.append(item)
        results.append(nil)
        let (count, failed) = (items.count, firstError != nil)
        lock.unlock()
        available.signal()
        if count == startAfter { start(many: true) }
        if count % 256 == 0 { reportIfDue(total: nil) }
        return !failed
    }

    /// Waits for every job and returns the items with their results, in the order added; throws
    /// the first job's failure.
    func finish() throws -> (items: [Item], results: [T]) {
        if workers == 0 && !items.isEmpty { start(many: false) }
        stopWaiting()
        while group.wait(timeout: .now() + .milliseconds(100)) == .timedOut { reportIfDue(total: items.count) }
        if let firstError { throw firstError }
        progress?.report(OperationProgress(phase: phase, filesDone: items.count, filesTotal: items.count,
                                           bytesDone: bytes))
        return (items, results.map { $0! })
    }

    /// Stops the workers after the jobs they are running, and waits for them.
    func cancel() {
        lock.lock()
        stopping = true
        lock.unlock()
        stopWaiting()
        group.wait()
    }

    /// The first job's failure, if any.
    var failure: Error? { lock.withLock { firstError } }

    private func start(many: Bool) {
        let job = makeJob(many)
        // No more workers than the items queued when they start (every core for a long stream).
        workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count))
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

    private func work(_ job: Job) {
        let state = makeState()
        while true {
            available.wait()
            lock.lock()
            guard !stopping, firstError == nil, next < items.count else {
                lock.unlock()
                return
            }
            let position = next
            let item = items[position]
            next += 1
            lock.unlock()
            do {
                let result = try job(item, state)
                lock.lock()
                results[position] = result.value
                done += 1
                bytes += result.bytes
                lock.unlock()
            } catch {
                lock.lock()
                if firstError == nil { firstError = error }
                lock.unlock()
            }
        }
    }

    /// At most every 100 ms, from the calling thread (progress sinks are not thread-safe).
    private func reportIfDue(total: Int?) {
        guard let progress else { return }
        let now = DispatchTime.now()
        guard now.uptimeNanoseconds - lastReport.uptimeNanoseconds >= 100_000_000 else { return }
        lastReport = now
        let (filesDone, bytesDone) = lock.withLock { (done, bytes) }
        progress.report(OperationProgress(phase: phase, filesDone: filesDone, filesTotal: total, bytesDone: bytesDone))
    }
}

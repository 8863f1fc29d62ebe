import Dispatch
import FoundationEssentials
import Glibc

/// Runs `count` independent jobs on every core and returns their results in job order. Each worker
/// builds its own state once (`makeState`: buffers, streams) and reuses it. The calling thread only
/// waits and reports progress (sinks are not thread-safe); the first error stops the rest.
enum ParallelWork {
    /// Results of one job: its value and the bytes it handled (for the progress line).
    typealias JobResult<T> = (value: T, bytes: Int64)

    private final class Shared<T>: @unchecked Sendable {
        let lock = Lock()
        var next = 0
        var results: [T?]
        var error: Error?
        var done = 0
        var bytes: Int64 = 0
        init(count: Int) { results = Array(repeating: nil, count: count) }
    }

    static func run<T, State>(_ count: Int, phase: String, progress: ProgressSink?,
                              makeState: @escaping @Sendable () -> State,
                              job: @escaping @Sendable (Int, State) throws -> JobResult<T>) throws -> [T] {
        let shared = Shared<T>(count: count)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, count))
        let group = DispatchGroup()
        for _ in 0..<workers {
            DispatchQueue.global(qos: .userInitiated).async(group: group) {
                let state = makeState()
                while true {
                    shared.lock.lock()
                    guard shared.error == nil, shared.next < count else {
                        shared.lock.unlock()
                        return
                    }
                    let position = shared.next
                    shared.next += 1
                    shared.lock.unlock()
                    do {
                        let result = try job(position, state)
                        shared.lock.lock()
                        shared.results[position] = result.value
                        shared.done += 1
                        shared.bytes += result.bytes
                        shared.lock.unlock()
                    } catch {
                        shared.lock.lock()
                        if shared.error == nil { shared.error = error }
                        shared.lock.unlock()
                    }
                }
            }
        }
        while group.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            shared.lock.lock()
            let (done, bytes) = (shared.done, shared.bytes)
            shared.lock.unlock()
            progress?.report(OperationProgress(phase: phase, filesDone: done, filesTotal: count, bytesDone: bytes))
        }
        if let error = shared.error { throw error }
        progress?.report(OperationProgress(phase: phase, filesDone: count, filesTotal: count, bytesDone: shared.bytes))
        return shared.results.map { $0! }
    }
}

/// Runs `count` independent jobs on every core and returns their results in job order. Each worker
/// builds its own state once (`makeState`: buffers, streams) and reuses it. The calling thread only
/// waits and reports progress (sinks are not thread-safe); the first error stops the rest.
enum ParallelWork {
    /// Results of one job: its value and the bytes it handled (for the progress line).
    typealias JobResult<T> = (value: T, bytes: Int64)

    /// A `StreamingWork` whose items are all known up front: the workers start once every job
    /// is queued.
    static func run<T, State>(_ count: Int, phase: String, progress: ProgressSink?,
                              makeState: @escaping @Sendable () -> State,
                              job: @escaping @Sendable (Int, State) throws -> JobResult<T>) throws -> [T] {
        var results: [T] = []
        results.reserveCapacity(count)
        let work = StreamingWork<Int, T, State>(phase: phase, progress: progress, startAfter: count,
                                                makeState: makeState, receive: { results.append($1) }) { _ in job }
        for position in 0..<count { _ = work.add(position) }
        try work.finish()
        return results
    }
}

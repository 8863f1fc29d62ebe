/// Runs `count` independent jobs on every core and returns their results in job order. Each worker
/// builds its own state once (`makeState`: buffers, streams) and reuses it. The calling thread only
/// waits and reports progress (sinks are not thread-safe); the first error stops the rest. Jobs
/// count the bytes they handle on `bytes`, as they go, for the progress line.
enum ParallelWork {
    /// A `StreamingWork` whose items are all known up front: the workers start once every job
    /// is queued.
    static func run<T, State>(_ count: Int, phase: String, progress: ProgressSink?, bytes: ByteCounter? = nil,
                              makeState: @escaping @Sendable () -> State,
                              job: @escaping @Sendable (Int, State) throws -> T) throws -> [T] {
        var results: [T] = []
        results.reserveCapacity(count)
        let work = StreamingWork<Int, T, State>(phase: phase, progress: progress, bytes: bytes, startAfter: count,
                                                makeState: makeState, receive: { results.append($1) }) { _ in job }
        for position in 0..<count { _ = work.add(position) }
        try work.finish()
        return results
    }
}

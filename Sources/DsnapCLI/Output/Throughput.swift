/// The rate of an operation over its last few seconds, as git's progress measures it: steadier
/// than the last interval alone, and not dragged down by the checks that ran before any byte moved
/// (a rate since the start would be).
struct Throughput {
    /// How far back the rate looks.
    static let window = 3.0
    private var samples: [(time: Double, bytes: Int64)] = []

    /// The count of bytes done at `time` (seconds, from any fixed origin).
    mutating func record(bytes: Int64, at time: Double) {
        if let last = samples.last, last.bytes == bytes, samples.count > 1,
           samples[samples.count - 2].bytes == bytes {
            // A run of equal samples needs only its ends to give the same rate.
            samples[samples.count - 1] = (time, bytes)
        } else {
            samples.append((time, bytes))
        }
        while samples.count > 2, let first = samples.first, time - first.time > Self.window { samples.removeFirst() }
    }

    /// Bytes per second over the window; nil until a fifth of a second has been seen, as a
    /// shorter span gives wild figures.
    var bytesPerSecond: Double? {
        guard let first = samples.first, let last = samples.last, last.time - first.time >= 0.2 else { return nil }
        return Double(last.bytes - first.bytes) / (last.time - first.time)
    }
}

/// Where long operations report how far they got. The core only counts; the CLI decides whether
/// and how to draw (a line on a terminal, nothing otherwise).
public protocol ProgressSink: AnyObject {
    func report(_ progress: OperationProgress)
    /// The operation ended (successfully or not): erase whatever was drawn.
    func finish()
}

/// A snapshot of an operation's progress.
public struct OperationProgress: Sendable, Equatable {
    /// What is being done, in a word: "snapshotting", "restoring", "cloning".
    public var phase: String
    public var filesDone: Int
    /// Nil while the total is not known yet.
    public var filesTotal: Int?
    /// Bytes of file content read or written so far, counted as each chunk passes, so one large
    /// file moves the count long before it is done.
    public var bytesDone: Int64
    /// Nil while the total is not known yet (a snapshot learns it once the scan has found every file).
    public var bytesTotal: Int64?

    public init(phase: String, filesDone: Int, filesTotal: Int? = nil, bytesDone: Int64 = 0,
                bytesTotal: Int64? = nil) {
        self.phase = phase
        self.filesDone = filesDone
        self.filesTotal = filesTotal
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
    }
}

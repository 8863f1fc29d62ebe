/// Where long operations report how far they got. The core only counts; the CLI decides whether
/// and how to draw (a bar on a terminal, nothing otherwise).
public protocol ProgressSink: AnyObject {
    func report(_ progress: OperationProgress)
    /// The operation ended (successfully or not): erase whatever was drawn.
    func finish()
}

/// A snapshot of an operation's progress.
public struct OperationProgress: Sendable, Equatable {
    /// What is being done, in a word or two: "hashing files", "writing files".
    public var phase: String
    public var filesDone: Int
    /// Nil while the total is not known yet.
    public var filesTotal: Int?
    public var bytesDone: Int64

    public init(phase: String, filesDone: Int, filesTotal: Int? = nil, bytesDone: Int64 = 0) {
        self.phase = phase
        self.filesDone = filesDone
        self.filesTotal = filesTotal
        self.bytesDone = bytesDone
    }
}

/// One step of a larger operation, reported as the whole operation: the files of earlier steps
/// added to this step's, the operation's own totals, and its own word for what is being done (a
/// clone's checkout says "cloning", not "restoring").
final class ProgressStep: ProgressSink {
    private let sink: ProgressSink
    private let phase: String?
    private let filesBefore: Int
    private let filesTotal: Int?
    private let bytesTotal: Int64?

    init(_ sink: ProgressSink, phase: String? = nil, filesBefore: Int = 0, filesTotal: Int? = nil,
         bytesTotal: Int64? = nil) {
        self.sink = sink
        self.phase = phase
        self.filesBefore = filesBefore
        self.filesTotal = filesTotal
        self.bytesTotal = bytesTotal
    }

    func report(_ progress: OperationProgress) {
        sink.report(OperationProgress(
            phase: phase ?? progress.phase, filesDone: filesBefore + progress.filesDone,
            filesTotal: filesTotal ?? progress.filesTotal.map { filesBefore + $0 },
            bytesDone: progress.bytesDone, bytesTotal: bytesTotal ?? progress.bytesTotal))
    }

    /// The operation's owner finishes its own sink, once, when the whole operation ends.
    func finish() {}
}

import DsnapCore

/// `dsnap clone SNAP [DEST]`: a new, independent dataset from a snapshot.
enum CloneCommand {
    static let spec = CommandSpec(
        name: "clone",
        summary: "Make a new, independent dataset from a snapshot",
        operands: [
            OperandSpec("SNAP", help: "the snapshot to clone"),
            OperandSpec("DEST", optional: true, help: "the new dataset's folder (default: SOURCE-clone beside the source)"),
        ],
        options: [
            OptionSpec("name", value: "NAME", help: "the new dataset's name (default: 'SOURCE NAME (cloned)')"),
            OptionSpec("sync", help: "return only once the files written are on disk, not while they are being flushed"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let source = try invocation.openDataset()
        let progress = invocation.progressSink()
        let result: CloneResult
        do {
            defer { progress?.finish() }
            result = try CloneDataset.run(arguments.operand(0)!, from: source,
                                          to: arguments.operand(1).map(invocation.absolutePath),
                                          name: arguments.value("name"), checkout: AtomicCheckout(),
                                          context: invocation.context, progress: progress)
        }
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(.object([
                ("path", .string(result.path)),
                ("dataset_name", .string(result.datasetName)),
                ("snapshot", SnapshotJSON.object(result.snapshot)),
                ("files_written", .integer(result.stats.filesWritten)),
                ("bytes_written", .integer(result.stats.bytesWritten)),
                ("objects_linked", .integer(result.objectsLinked)),
                ("objects_copied", .integer(result.objectsCopied)),
            ]), pretty: true))
            return
        }
        guard !invocation.quiet else { return }
        console.out("cloned into '\(TerminalText.escape(result.path))' as dataset '\(TerminalText.escape(result.datasetName))'")
        console.out("  snapshot \(console.paint(SnapshotText.shortID(result.snapshot), .yellow)) (clone), "
            + "\(SnapshotText.plural(result.stats.filesWritten, "file")), "
            + "\(result.objectsLinked) objects hard-linked, \(result.objectsCopied) copied")
    }
}

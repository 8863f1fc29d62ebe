import DsnapCore

/// `dsnap clone SNAP [DEST]`: a new, independent dataset from a snapshot; `dsnap clone URL [DEST]`:
/// a dataset from a remote (anything with a scheme, a path, or scp-style `host:path`).
enum CloneCommand {
    static let spec = CommandSpec(
        name: "clone",
        summary: "Make a new, independent dataset from a snapshot, or from a remote",
        operands: [
            OperandSpec("SNAP|URL", help: "the snapshot to clone, or a remote's URL or path"),
            OperandSpec("DEST", optional: true,
                        help: "the new dataset's folder (default: SOURCE-clone beside the source; for a URL, its last part here)"),
        ],
        options: [
            OptionSpec("name", value: "NAME",
                       help: "the new dataset's name (default: 'SOURCE NAME (cloned)'; for a URL, the remote's)"),
            OptionSpec("sync", help: "return only once the files written are on disk, not while they are being flushed"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        if isRemote(arguments.operand(0)!, invocation) { return try runRemote(arguments, invocation) }
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

    /// A URL or path, unless it names a snapshot of the dataset here (a name may hold ':' or '/').
    private static func isRemote(_ operand: String, _ invocation: Invocation) -> Bool {
        guard RemoteURL.isRemote(operand) else { return false }
        guard let dataset = try? invocation.openDataset() else { return true }
        return (try? SnapshotCatalog(dataset: dataset).resolve(operand)) == nil
    }

    static func runRemote(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let result = try CloneRemote.run(url: arguments.operand(0)!, to: arguments.operand(1), name: arguments.value("name"),
                                         workingDirectory: invocation.workingDirectory, checkout: AtomicCheckout(),
                                         context: invocation.context, progress: invocation.progressSink())
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(.object([
                ("path", .string(result.path)),
                ("dataset_name", .string(result.datasetName)),
                ("url", .string(result.url)),
                ("snapshot", SnapshotJSON.object(result.snapshot)),
                ("files_written", .integer(result.stats.filesWritten)),
                ("bytes_written", .integer(result.stats.bytesWritten)),
            ] + RemoteReports.mergeJSON(result.merge)), pretty: true))
            return
        }
        for refusal in result.merge.refused {
            console.warning("refused from 'origin': \(TerminalText.escape(refusal))")
        }
        guard !invocation.quiet else { return }
        console.out("cloned \(TerminalText.escape(result.url)) into '\(TerminalText.escape(result.path))' "
            + "as dataset '\(TerminalText.escape(result.datasetName))'")
        console.out("  \(SnapshotText.plural(result.liveSnapshots, "snapshot")); current "
            + "\(console.paint(SnapshotText.shortID(result.snapshot), .yellow)) "
            + "\(TerminalText.escape(result.snapshot.record.name)), \(SnapshotText.plural(result.stats.filesWritten, "file"))")
    }
}

import DsnapCore

/// `dsnap init [PATH]`: makes a folder a dataset and takes its `creation` snapshot.
enum InitCommand {
    static let spec = CommandSpec(
        name: "init",
        summary: "Make a folder a dataset and take its creation snapshot",
        operands: [OperandSpec("PATH", optional: true, help: "the dataset folder (default: the current folder; created if missing)")],
        options: [
            OptionSpec("name", value: "NAME", help: "the dataset's name (default: the folder's name)"),
            OptionSpec("author", value: "AUTHOR", help: "who takes the creation snapshot, as 'Name <email>'"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let path = invocation.absolutePath(arguments.operand(0) ?? ".")
        let author = try CommitCommand.author(arguments)
        let progress = invocation.progressSink()
        let (dataset, result): (Dataset, SnapshotResult)
        do {
            // The bar is erased before the result is printed.
            defer { progress?.finish() }
            (dataset, result) = try CreateDataset.run(at: path, name: arguments.value("name"), author: author,
                                                      writer: invocation.snapshotWriter,
                                                      context: invocation.context, progress: progress)
        }
        let console = invocation.console
        CommitCommand.warnAboutSkipped(result, console: console)
        if arguments.flag("json") {
            console.out(JSONWriter.render(.object([
                ("path", .string(dataset.root)),
                ("dataset_name", .string(dataset.name)),
                ("snapshot", SnapshotJSON.object(result.snapshot)),
            ]), pretty: true))
        } else if !invocation.quiet {
            let record = result.snapshot.record
            console.out("Initialized dataset '\(TerminalText.escape(dataset.name))' in \(TerminalText.escape(dataset.gitDir))")
            console.out("creation snapshot \(console.paint(SnapshotText.shortID(result.snapshot), .yellow)): "
                + "\(SnapshotText.plural(record.nImages, "image")), \(SnapshotText.plural(record.nVideos, "video"))")
        }
    }
}

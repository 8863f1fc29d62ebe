import DsnapCore

/// `dsnap commit`: snapshots the whole work tree and makes it current.
enum CommitCommand {
    static let spec = CommandSpec(
        name: "commit",
        summary: "Take a snapshot of the whole dataset and make it current",
        operands: [],
        options: [
            OptionSpec("name", short: "m", value: "NAME",
                       help: "the snapshot's name (default: DATASET_snapshot_ID8)"),
            OptionSpec("description", short: "d", value: "TEXT", help: "why this snapshot was taken"),
            OptionSpec("training-model-id", value: "ID", help: "the training model this snapshot is for"),
            OptionSpec("training-model-name", value: "NAME", help: "that model's display name"),
            OptionSpec("author", value: "AUTHOR",
                       help: "who takes it, as 'Name <email>' (default: git's user.name/user.email)"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let request = SnapshotRequest(
            name: arguments.value("name"), description: arguments.value("description") ?? "", reason: .manual,
            trainingModelID: arguments.value("training-model-id"),
            trainingModelName: arguments.value("training-model-name"), author: try author(arguments))
        let dataset = try invocation.openDataset()
        let result = try TakeSnapshot.perform(request, in: dataset, writer: invocation.snapshotWriter,
                                              context: invocation.context, progress: invocation.progressSink())
        let console = invocation.console
        warnAboutSkipped(result, console: console)
        if arguments.flag("json") {
            console.out(JSONWriter.render(SnapshotJSON.result(result.snapshot, [
                ("content_unchanged", .bool(result.unchanged)),
            ]), pretty: true))
            return
        }
        guard !invocation.quiet else { return }
        let snapshot = result.snapshot
        console.out("[\(console.paint(SnapshotText.shortID(snapshot), .yellow))] "
            + TerminalText.escape(snapshot.record.name))
        console.out("  \(SnapshotText.plural(snapshot.record.nImages, "image")), "
            + "\(SnapshotText.plural(snapshot.record.nVideos, "video")); now current")
        if result.unchanged, let previous = result.previous {
            console.out("  nothing changed since snapshot \(previous.short): "
                + "this snapshot is a named checkpoint of the same content")
        }
    }

    /// What the snapshot left out: folders that are git repositories of their own (they cannot
    /// be snapshotted as files), and fifos, sockets and devices (not content).
    static func warnAboutSkipped(_ result: SnapshotResult, console: Console) {
        for (path, kind) in result.skippedSpecialFiles {
            console.warning("skipped '\(path)': it is \(kind), not a file")
        }
        let paths = result.skippedRepositories
        for path in paths {
            console.warning("skipped '\(path)': it is a git repository of its own")
        }
        if !paths.isEmpty {
            console.err("hint: add it to .dsnapignore to silence this, or remove its .git folder to snapshot its files")
        }
    }

    /// `--author`, validated: a usage error when it is not `Name <email>` or an email.
    static func author(_ arguments: ParsedArguments) throws -> Identity? {
        guard let text = arguments.value("author") else { return nil }
        guard let identity = Identity(author: text) else {
            throw UsageError(message: "invalid --author '\(text)': expected 'Name <email>' or an email address",
                             command: "commit")
        }
        return identity
    }
}

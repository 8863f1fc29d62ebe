import DsnapCore

/// `dsnap log`: lists snapshots, newest first (the API's "list snapshots").
enum LogCommand {
    static let spec = CommandSpec(
        name: "log",
        summary: "List snapshots, newest first",
        operands: [],
        options: [
            OptionSpec("max-count", short: "n", value: "N", help: "show at most N snapshots"),
            OptionSpec("deleted", help: "list deleted snapshots instead of live ones"),
            OptionSpec("all", help: "include autosave snapshots (changes a restore saved before discarding them)"),
            OptionSpec("remote", value: "NAME", help: "only the snapshots remote NAME holds (as its last fetch or push saw)"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        let limit = try arguments.integer("max-count", minimum: 0, command: "log")
        if arguments.flag("deleted") && arguments.flag("all") {
            throw UsageError(message: "options '--deleted' and '--all' cannot be used together", command: "log")
        }
        let dataset = try invocation.openDataset()
        let visibility: SnapshotVisibility = arguments.flag("deleted") ? .deleted
            : arguments.flag("all") ? .liveWithAutosaves : .live
        var snapshots = try SnapshotCatalog(dataset: dataset).snapshots(visibility)
        if let remote = arguments.value("remote") {
            let held = try RemoteRegistry.snapshotsHeld(by: remote, in: dataset)
            snapshots = snapshots.filter { held.contains($0.id) }
        }
        if let limit { snapshots = Array(snapshots.prefix(limit)) }
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(.array(snapshots.map(SnapshotJSON.object)), pretty: true))
            return
        }
        for snapshot in snapshots { console.out(SnapshotText.line(snapshot, console: console)) }
    }
}

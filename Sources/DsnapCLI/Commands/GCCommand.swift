import DsnapCore

/// `dsnap gc`: reclaims space that nothing needs, and purges deleted snapshots and autosaves
/// past an age when asked.
enum GCCommand {
    /// The age `--prune-deleted` and `--prune-autosaves` use when given without one.
    static let defaultAge = "30d"

    static let spec = CommandSpec(
        name: "gc",
        summary: "Reclaim space: unreachable objects, leftovers, and old deleted snapshots or autosaves",
        operands: [],
        options: [
            OptionSpec("dry-run", short: "n", help: "say what would be removed and freed; change nothing"),
            OptionSpec("prune-deleted", value: "AGE", valueIsOptional: true,
                       help: "purge snapshots deleted more than AGE ago (default \(defaultAge); 'now' for all)"),
            OptionSpec("prune-autosaves", value: "AGE", valueIsOptional: true,
                       help: "purge autosaves taken more than AGE ago (default \(defaultAge); 'now' for all)"),
            .json,
        ],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        var options = CollectGarbage.Options(dryRun: arguments.flag("dry-run"))
        options.pruneDeletedAge = try age("prune-deleted", arguments)
        options.pruneAutosavesAge = try age("prune-autosaves", arguments)
        let dataset = try invocation.openDataset()
        let report = try CollectGarbage.run(options, in: dataset, context: invocation.context,
                                            progress: invocation.progressSink())
        let console = invocation.console
        if arguments.flag("json") {
            console.out(JSONWriter.render(.object([
                ("dry_run", .bool(report.dryRun)),
                ("purged", .array(report.purged.map { purged in
                    .object([("snapshot_id", .string(purged.snapshot.id.hex)),
                             ("snapshot_name", .string(purged.snapshot.name)), ("kind", .string(purged.kind))])
                })),
                ("objects_removed", .integer(report.objectsRemoved)),
                ("temporary_files_removed", .integer(report.temporariesRemoved)),
                ("objects_packed", .integer(report.objectsPacked)),
                ("bytes_freed", .integer(report.bytesFreed)),
            ]), pretty: true))
            return
        }
        guard !invocation.quiet else { return }
        let verb = report.dryRun ? "would purge" : "purged"
        for purged in report.purged {
            console.out("\(verb) \(purged.kind == "autosave" ? "autosave" : "deleted snapshot") "
                + "\(console.paint(purged.snapshot.id.short, .yellow)) " + TerminalText.escape(purged.snapshot.name))
        }
        let would = report.dryRun ? "would remove" : "removed"
        console.out("\(would) \(SnapshotText.plural(report.objectsRemoved, "unreachable or duplicate object")), "
            + "\(SnapshotText.plural(report.temporariesRemoved, "temporary file")); "
            + "\(report.dryRun ? "would pack" : "packed") \(report.objectsPacked) small objects")
        console.out("\(report.dryRun ? "would free" : "freed") \(ByteCount.human(max(0, report.bytesFreed)))")
    }

    private static func age(_ option: String, _ arguments: ParsedArguments) throws -> Int64? {
        if let text = arguments.value(option) { return try AgeValue.seconds(text, option: option, command: "gc") }
        return arguments.flag(option) ? try AgeValue.seconds(defaultAge, option: option, command: "gc") : nil
    }
}

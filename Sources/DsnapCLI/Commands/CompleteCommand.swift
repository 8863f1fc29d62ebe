import DsnapCore

/// `dsnap __complete snapshots|deleted|remotes [PREFIX]`: not for users. The completion scripts run
/// it at Tab time for the words only the dataset knows, one per line: `current`, then each live
/// snapshot's 12-hex id and its name (when exactly one snapshot bears it, so it resolves), newest
/// first; deleted snapshots the same way; remote names. Only those starting with PREFIX, when
/// given: bash is slow at filtering a thousand words itself.
///
/// It never complains: outside a dataset, or on any failure, it prints nothing and succeeds, since
/// whatever it wrote to stderr would land in the middle of the line being typed.
enum CompleteCommand {
    static let name = "__complete"

    static let spec = CommandSpec(
        name: name,
        summary: "(internal) print the snapshots, deleted snapshots or remotes a shell completes",
        operands: [OperandSpec("WHAT", help: "snapshots, deleted or remotes"),
                   OperandSpec("PREFIX", optional: true, help: "only the words that start with it")],
        options: [],
        run: run)

    static func run(_ arguments: ParsedArguments, _ invocation: Invocation) throws {
        guard let dataset = try? invocation.openDataset() else { return }
        let lines: [String]
        switch arguments.operand(0) {
        case "snapshots"?:
            let current = (try? SnapshotCatalog(dataset: dataset).currentID()) != nil ? ["current"] : []
            lines = current + words(for: (try? SnapshotNameIndex.read(in: dataset, deleted: false)) ?? [])
        case "deleted"?:
            lines = words(for: (try? SnapshotNameIndex.read(in: dataset, deleted: true)) ?? [])
        case "remotes"?:
            lines = ((try? RemoteRegistry.list(in: dataset)) ?? []).map(\.name).filter(isOneLine)
        default:
            return
        }
        let prefix = arguments.operand(1) ?? ""
        let matching = prefix.isEmpty ? lines : lines.filter { $0.hasPrefix(prefix) }
        if !matching.isEmpty { invocation.console.outRaw(matching.joined(separator: "\n") + "\n") }
    }

    /// Ids, and the names that name one snapshot: an ambiguous name completed is an error typed.
    private static func words(for entries: [SnapshotNameIndex.Entry]) -> [String] {
        var bearers: [String: Int] = [:]
        for entry in entries { bearers[entry.name, default: 0] += 1 }
        return entries.flatMap { entry in
            [String(entry.id.prefix(12))] + (bearers[entry.name] == 1 && isOneLine(entry.name) ? [entry.name] : [])
        }
    }

    /// A name with a control character (a newline, say) cannot be one line of the answer.
    private static func isOneLine(_ text: String) -> Bool {
        !text.isEmpty && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}

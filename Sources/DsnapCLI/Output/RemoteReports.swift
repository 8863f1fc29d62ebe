import DsnapCore

/// How remote transfers read, in text and JSON: the shared parts of push, fetch, pull and
/// clone URL.
enum RemoteReports {
    static func mergeJSON(_ merge: CatalogMergeReport) -> [(key: String, value: JSONValue)] {
        [("snapshots_received", .array(merge.snapshotsReceived.map { .string($0.hex) })),
         ("records_updated", .array(merge.recordsUpdated.map { .string($0.hex) })),
         ("deleted", .array(merge.deleted.map { .string($0.hex) })),
         ("undeleted", .array(merge.undeleted.map { .string($0.hex) })),
         ("refused", .array(merge.refused.map { .string($0) }))]
    }

    /// One line per kind of change a fetch merged; warnings for what it refused.
    static func printMerge(_ merge: CatalogMergeReport, from remote: String, console: Console, quiet: Bool) {
        warnAboutRefused(merge, from: remote, console: console)
        printSummary(merge, from: remote, console: console, quiet: quiet)
    }

    static func warnAboutRefused(_ merge: CatalogMergeReport, from remote: String, console: Console) {
        for refusal in merge.refused {
            console.warning("refused from '\(TerminalText.escape(remote))': \(TerminalText.escape(refusal))")
        }
    }

    static func printSummary(_ merge: CatalogMergeReport, from remote: String, console: Console, quiet: Bool) {
        guard !quiet else { return }
        let parts = [
            merge.snapshotsReceived.isEmpty ? nil : SnapshotText.plural(merge.snapshotsReceived.count, "new snapshot"),
            merge.recordsUpdated.isEmpty ? nil : SnapshotText.plural(merge.recordsUpdated.count, "record") + " updated",
            merge.deleted.isEmpty ? nil : "\(merge.deleted.count) deleted",
            merge.undeleted.isEmpty ? nil : "\(merge.undeleted.count) undeleted",
        ].compactMap { $0 }
        console.out("from '\(TerminalText.escape(remote))': " + (parts.isEmpty ? "up to date" : parts.joined(separator: ", ")))
    }

    /// The remote a command names, else `origin`, else the only one there is.
    static func remoteName(_ given: String?, in dataset: Dataset) throws -> String {
        if let given { return given }
        let remotes = try RemoteRegistry.list(in: dataset).map(\.name)
        if remotes.contains("origin") || remotes.isEmpty { return "origin" }
        if remotes.count == 1 { return remotes[0] }
        throw UsageError(message: "which remote? this dataset has \(remotes.count): "
                         + remotes.map { TerminalText.escape($0) }.joined(separator: ", "),
                         suggestions: ["name one, as in 'dsnap push \(TerminalText.escape(remotes[0]))'"])
    }
}

import DsnapCore

/// What every command that restores says about it (restore, restore -- PATH, pull): the
/// autosave of discarded changes and the files written.
enum RestoreReport {
    /// Said even with --quiet: it is how the user gets the discarded changes back.
    static func announce(autosave: Snapshot?, console: Console) {
        guard let autosave else { return }
        console.err("saved uncommitted changes as autosave snapshot \(autosave.id.short)")
        console.err("hint: 'dsnap restore \(autosave.id.short)' brings them back; 'dsnap log --all' lists autosaves")
    }

    static func autosaveJSON(_ autosave: Snapshot?) -> (key: String, value: JSONValue) {
        ("autosave", autosave.map(SnapshotJSON.object) ?? .null)
    }

    /// The JSON members for the files a restore wrote and removed.
    static func filesJSON(_ stats: CheckoutStats) -> [(key: String, value: JSONValue)] {
        [("files_written", .integer(stats.filesWritten)),
         ("files_removed", .integer(stats.filesRemoved)),
         ("bytes_written", .integer(stats.bytesWritten))]
    }
}

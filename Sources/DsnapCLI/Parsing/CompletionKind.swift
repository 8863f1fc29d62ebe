/// What a shell's completion offers for an operand or an option's value: `dsnap completion`
/// turns it into each shell's idiom, so the scripts follow the declarations as commands change.
enum CompletionKind: Sendable, Equatable {
    /// Free text (a name, a description, a number): nothing to offer.
    case none
    /// Live snapshots: names, 12-hex ids and `current`, asked of `dsnap __complete` at Tab time.
    case snapshot
    /// Deleted snapshots (what `undelete` takes).
    case deletedSnapshot
    /// The dataset's remotes.
    case remote
    /// Files and folders.
    case path
    /// Folders only.
    case directory
    /// dsnap's own commands.
    case command
    /// A fixed set of words.
    case choices([String])

    /// The kind a placeholder implies, so that a declaration needs no extra words in the common
    /// cases: `SNAP` (also within `SNAP|URL` or `SNAP:PATH`) is a snapshot; `PATH`, `FILE`,
    /// `DEST`, `DIR` and `ROOT` are paths; `keep|restore` (lowercase words) are choices.
    static func implied(by placeholder: String) -> CompletionKind {
        let parts = placeholder.split(whereSeparator: { "|:[]".contains($0) }).map(String.init)
        if parts.contains("SNAP") { return .snapshot }
        if parts.count > 1, parts.allSatisfy({ $0 == $0.lowercased() && !$0.isEmpty }) {
            return .choices(parts)
        }
        if let first = parts.first, ["PATH", "FILE", "DEST", "ROOT"].contains(where: first.hasSuffix) { return .path }
        if parts.first == "DIR" { return .directory }
        return .none
    }
}

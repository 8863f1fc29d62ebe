import DsnapCore

/// The renderings of `log -- PATH...` and `log --field`: each entry is the snapshot's `log` line
/// (or snapshot object) followed by what it changed. Text paths are from the working folder;
/// JSON paths from the dataset's root, as in `diff`.
enum HistoryRendering {
    // MARK: log -- PATH...

    /// The log line, then `    modified  cats/a.json`, `    renamed   b.png -> c.png`, ...
    static func text(_ entry: PathHistoryEntry, console: Console, paths: DisplayPath) -> [String] {
        [SnapshotText.line(entry.snapshot, console: console)] + entry.files.map { file in
            let word = file.status == .typeChanged ? "type changed" : file.status.rawValue
            var line = "    " + word.padded(toLength: 9) + " "
            if let oldPath = file.oldPath { line += QuotedPath.text(paths(oldPath)) + " -> " }
            return line + QuotedPath.text(paths(file.path))
        }
    }

    /// The snapshot object with `changes`: one `{path, status, class[, old_path]}` per file, the
    /// entries of `diff --json` and `status --json`.
    static func json(_ entry: PathHistoryEntry) -> JSONValue {
        .object(members(of: entry.snapshot) + [("changes", .array(entry.files.map { file in
            .object(ChangeJSON.file(path: file.path, status: file.status, fileClass: file.fileClass,
                                    oldPath: file.oldPath))
        }))])
    }

    // MARK: log --field

    /// The log line, who and which model, then `    cats/a.json /label: "cat" -> "dog"`.
    static func text(_ change: FieldChange, pointer: String, console: Console, paths: DisplayPath) -> [String] {
        let record = change.snapshot.record
        var who = "    by " + TerminalText.escape(record.createdBy.isEmpty ? "-" : record.createdBy)
        if record.trainingModelID != nil || record.trainingModelName != nil {
            who += ", model " + TerminalText.escape(record.trainingModelName ?? "-")
                + " (" + TerminalText.escape(record.trainingModelID ?? "-") + ")"
        }
        let field = "    " + QuotedPath.text(paths(change.path)) + " "
            + TerminalText.escape(pointer.isEmpty ? "(whole document)" : pointer) + ": "
            + value(change.old, console: console) + " -> " + value(change.new, console: console)
        return [SnapshotText.line(change.snapshot, console: console), who, field]
    }

    /// The snapshot object with `field`: the file's path, the pointer, and the value before and
    /// after (`null` with `old_absent`/`new_absent` true when the field, or the file, was absent:
    /// a JSON `null` value has the flag false).
    static func json(_ change: FieldChange, pointer: String) -> JSONValue {
        .object(members(of: change.snapshot) + [("field", .object([
            ("path", .string(QuotedPath.json(change.path))),
            ("pointer", .string(pointer)),
            ("old", change.old ?? .null),
            ("new", change.new ?? .null),
            ("old_absent", .bool(change.old == nil)),
            ("new_absent", .bool(change.new == nil)),
        ]))])
    }

    // MARK: Helpers

    private static func members(of snapshot: Snapshot) -> [(key: String, value: JSONValue)] {
        guard case let .object(members) = SnapshotJSON.object(snapshot) else { return [] }
        return members
    }

    /// Compact JSON, `absent` for no value; shortened on a terminal only, as `diff` does.
    private static func value(_ value: JSONValue?, console: Console) -> String {
        guard let value else { return "absent" }
        let text = JSONWriter.render(value)
        return console.stdoutIsTerminal ? TerminalText.truncate(text, to: 60) : text
    }
}

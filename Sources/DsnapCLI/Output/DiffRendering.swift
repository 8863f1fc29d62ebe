import DsnapCore

/// The renderings of a diff: text for people, `--name-status`, `--json` and `--json-patch`.
/// The JSON shapes live here and in `ChangeJSON` (the words `status` shares), nowhere else.
/// Text shows paths from the working folder (`paths`); the machine formats from the dataset's root.
enum DiffRendering {
    static let statuses = ChangeJSON.statuses

    // MARK: Text

    static func text(_ diff: DatasetDiff, console: Console, summaryOnly: Bool, paths: DisplayPath) -> [String] {
        var lines = [summary(diff)]
        if let tally = diff.tally {
            lines += tallyLines(tally, console: console)
            return lines
        }
        guard !summaryOnly else { return lines }
        for file in diff.files {
            var line = file.status.letter + "  "
            if let oldPath = file.oldPath { line += QuotedPath.text(paths(oldPath)) + " -> " }
            line += QuotedPath.text(paths(file.path)) + "  (\(file.fileClass.rawValue))"
            lines.append(console.paint(line, style(for: file.status)))
            for change in file.changes { lines.append("     " + changeLine(change, console: console)) }
        }
        return lines
    }

    /// `3 files changed: 1 added (1 image), 2 modified (2 json); 4 JSON fields changed`
    static func summary(_ diff: DatasetDiff) -> String {
        guard !diff.files.isEmpty else { return "no changes" }
        let counts = diff.counts
        var parts: [String] = []
        for status in statuses {
            guard let byClass = counts[status] else { continue }
            let total = byClass.values.reduce(0, +)
            let detail = FileClass.allCases.compactMap { fileClass in
                byClass[fileClass].map { "\($0) \(fileClass.rawValue)" }
            }.joined(separator: ", ")
            parts.append("\(total) \(status == .typeChanged ? "type changed" : status.rawValue) (\(detail))")
        }
        let files = diff.files.count
        return "\(files) file\(files == 1 ? "" : "s") changed: " + parts.joined(separator: ", ")
            + "; \(diff.fieldsChanged) JSON field\(diff.fieldsChanged == 1 ? "" : "s") changed"
    }

    private static func style(for status: FileDiffStatus) -> Style {
        switch status {
        case .added: return .green
        case .removed: return .red
        case .modified, .typeChanged: return .yellow
        case .renamed: return .bold
        }
    }

    /// `~ /tags/quality  "low" -> "high"`, `+ /labels/2  "cat"`, `- /bbox  [12,8,40,30]`.
    static func changeLine(_ change: JSONChange, console: Console) -> String {
        let path = TerminalText.escape(change.path.isEmpty ? "(whole document)" : change.path)
        switch change.operation {
        case .add:
            return console.paint("+ " + path, .green) + "  " + value(change.new, console: console)
        case .remove:
            return console.paint("- " + path, .red) + "  " + value(change.old, console: console)
        case .replace:
            return console.paint("~ " + path, .yellow) + "  " + value(change.old, console: console) + " -> "
                + value(change.new, console: console)
        }
    }

    /// Compact JSON (already safe on a terminal: JSONWriter escapes control characters);
    /// shortened on a terminal only, never in machine formats.
    private static func value(_ value: JSONValue?, console: Console) -> String {
        let text = value.map { JSONWriter.render($0) } ?? "null"
        return console.stdoutIsTerminal ? TerminalText.truncate(text, to: 60) : text
    }

    private static func tallyLines(_ tally: [ValueTally], console: Console) -> [String] {
        let rendered = tally.map { JSONWriter.render($0.value) }
        let width = min(40, rendered.map(\.count).max() ?? 0)
        return zip(tally, rendered).map { entry, text -> String in
            let added: String = console.paint("+\(entry.addedIn)", .green)
            let removed: String = console.paint("-\(entry.removedIn)", .red)
            return text.padded(toLength: max(width, text.count)) + "  " + added + " " + removed
        }
    }

    // MARK: --name-status

    static func nameStatus(_ diff: DatasetDiff) -> [String] {
        // Paths quoted as in the text output, so a tab or newline in a name cannot forge a line.
        diff.files.map { file in
            ([file.status.letter] + (file.oldPath.map { [$0, file.path] } ?? [file.path]).map(QuotedPath.text))
                .joined(separator: "\t")
        }
    }

    // MARK: --json

    static func json(_ diff: DatasetDiff) -> JSONValue {
        var summary = ChangeJSON.summary(diff.counts, files: diff.files.count)
        summary.append(("fields_changed", .integer(diff.fieldsChanged)))
        var document: [(key: String, value: JSONValue)] = [
            ("from", endpoint(diff.from)),
            ("to", endpoint(diff.to)),
            ("summary", .object(summary)),
            ("files", .array(diff.files.map(file))),
            ("warnings", .array(diff.warnings.map(JSONValue.string))),
        ]
        if let tally = diff.tally {
            document.append(("by", .array(tally.map { entry in
                .object([("value", entry.value), ("added", .integer(entry.addedIn)), ("removed", .integer(entry.removedIn))])
            })))
        }
        return .object(document)
    }

    private static func endpoint(_ endpoint: DiffEndpoint) -> JSONValue {
        switch endpoint {
        case let .snapshot(snapshot, gitDir):
            return .object([("kind", .string("snapshot")), ("snapshot_id", .string(snapshot.id.hex)),
                            ("snapshot_name", .string(snapshot.record.name)),
                            ("dataset_name", .string(snapshot.datasetName)),
                            ("path", .string(String(gitDir.dropLast(Dataset.gitDirName.count + 1))))])
        case let .workTree(root):
            return .object([("kind", .string("work_tree")), ("path", .string(root))])
        }
    }

    private static func file(_ file: FileDiff) -> JSONValue {
        var members = ChangeJSON.file(path: file.path, status: file.status, fileClass: file.fileClass,
                                      oldPath: file.oldPath)
        members.append(("changes", .array(file.changes.map { change in
            var fields: [(key: String, value: JSONValue)] = [("op", .string(change.operation.rawValue)),
                                                             ("path", .string(change.path))]
            if let old = change.old { fields.append(("old", old)) }
            if let new = change.new { fields.append(("new", new)) }
            return .object(fields)
        })))
        return .object(members)
    }

    // MARK: --json-patch

    /// `{"a.json": [{"op": "replace", "path": "/x", "value": 2}], ...}`: applied to the A version of
    /// each file, each patch yields the B version exactly.
    static func jsonPatch(_ diff: DatasetDiff) -> JSONValue {
        .object(diff.files.filter(\.comparedAsJSON).map { file in
            (QuotedPath.json(file.path), .array(file.changes.map { change in
                var operation: [(key: String, value: JSONValue)] = [("op", .string(change.operation.rawValue)),
                                                                    ("path", .string(change.path))]
                if change.operation != .remove, let new = change.new { operation.append(("value", new)) }
                return .object(operation)
            }))
        })
    }
}

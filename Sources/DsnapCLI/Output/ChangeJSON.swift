import DsnapCore

/// The words `status --json` and `diff --json` share for files that changed: one entry shape
/// (`path`, `status`, `class`) and one summary (each status, counted by class).
enum ChangeJSON {
    /// Every status, in the order summaries list them; `status` never reports `renamed`, but its
    /// summary has the member, so one parser reads both commands.
    static let statuses: [FileDiffStatus] = [.added, .removed, .modified, .renamed, .typeChanged]

    /// `{"files_changed": N, "added": {"image": 1, "video": 0, "json": 2, "other": 0}, ...}`.
    static func summary(_ counts: [FileDiffStatus: [FileClass: Int]], files: Int) -> [(key: String, value: JSONValue)] {
        var members: [(key: String, value: JSONValue)] = [("files_changed", .integer(files))]
        for status in statuses {
            members.append((status.rawValue, .object(FileClass.allCases.map { fileClass in
                (fileClass.rawValue, .integer(counts[status]?[fileClass] ?? 0))
            })))
        }
        return members
    }

    /// `{"path": ..., "status": ..., "class": ...}`, and `old_path` for a rename; paths as
    /// `QuotedPath.json` gives them.
    static func file(path: String, status: FileDiffStatus, fileClass: FileClass,
                     oldPath: String? = nil) -> [(key: String, value: JSONValue)] {
        var members: [(key: String, value: JSONValue)] = [
            ("path", .string(QuotedPath.json(path))),
            ("status", .string(status.rawValue)),
            ("class", .string(fileClass.rawValue)),
        ]
        if let oldPath { members.append(("old_path", .string(QuotedPath.json(oldPath)))) }
        return members
    }
}

/// One side of a diff: a snapshot (of this dataset or another), or this dataset's work tree.
public enum DiffEndpoint: Sendable {
    case snapshot(Snapshot, gitDir: String)
    case workTree(root: String)
}

/// How a file changed between the two sides.
public enum FileDiffStatus: String, Sendable {
    case added, removed, modified, renamed, typeChanged = "type_changed"

    /// The letter of `--name-status`, as git prints it.
    public var letter: String {
        switch self {
        case .added: return "A"
        case .removed: return "D"
        case .modified: return "M"
        case .renamed: return "R"
        case .typeChanged: return "T"
        }
    }
}

/// One file that differs, with its field changes when it is JSON on both sides.
public struct FileDiff: Sendable {
    public let path: String
    /// The path on the old side, for renames.
    public let oldPath: String?
    public let status: FileDiffStatus
    public let fileClass: FileClass
    /// Field changes, applied in order to the old document, give the new one.
    public var changes: [JSONChange]
    /// True when both sides are JSON documents that parsed (so `changes` is complete).
    public var comparedAsJSON: Bool
}

/// A value under the `--by` pointer, and in how many files it was added and removed.
public struct ValueTally: Sendable {
    public let value: JSONValue
    public var addedIn: Int
    public var removedIn: Int
}

/// Everything `dsnap diff` reports.
public struct DatasetDiff: Sendable {
    public let from: DiffEndpoint
    public let to: DiffEndpoint
    public var files: [FileDiff]
    /// Problems that did not stop the diff (a file that is not valid JSON), one line each.
    public var warnings: [String]
    /// With `--by`: values under the pointer, most changed first.
    public var tally: [ValueTally]?

    /// Files by status and class: `counts[.modified]?[.json]`.
    public var counts: [FileDiffStatus: [FileClass: Int]] {
        var result: [FileDiffStatus: [FileClass: Int]] = [:]
        for file in files { result[file.status, default: [:]][file.fileClass, default: 0] += 1 }
        return result
    }

    public var fieldsChanged: Int { files.reduce(0) { $0 + $1.changes.count } }
}

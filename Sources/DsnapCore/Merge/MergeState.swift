import FoundationEssentials
import Glibc

/// The journal of an unfinished merge, `.dsnap/MERGE_STATE`: what is merged into what, the tree
/// the work tree is being made (`mergedTree`) and the one `--abort` returns to (`startTree`), and
/// the conflicts with the sides chosen so far. Written durably before the first file changes;
/// while its phase is `applying` the work tree may be half-way, and `merge --continue` finishes
/// it (or `--abort` goes back), as `restore --continue` finishes a restore.
public struct MergeState: Sendable, Equatable {
    public enum Phase: String, Sendable {
        /// Files are being written: a merge found in this phase with no process running was interrupted.
        case applying
        /// The files are written and conflicts wait for `--resolve`.
        case conflicts
    }

    public var phase: Phase
    public let ours: GitOID
    public let theirs: GitOID
    public let base: GitOID
    /// Their snapshot's name, and the dataset it came from when it is another one (a clone).
    public let theirsName: String
    public let theirsDataset: String?
    /// That dataset's name, for the merge snapshot's description (its folder may be anywhere).
    public let theirsDatasetName: String?
    public let options: MergeOptions
    public let startTree: GitOID
    public var mergedTree: GitOID
    /// The snapshot that saved the uncommitted changes the merge discarded, if any.
    public let autosave: GitOID?
    public var conflicts: [MergeConflict]
    public let startedAt: Timestamp

    static func path(in dataset: Dataset) -> String { dataset.gitDir + "/MERGE_STATE" }

    /// The unfinished merge, if any. A journal that cannot be read is reported as damage, never
    /// taken for no merge: commits must stay refused until it is looked at.
    public static func read(in dataset: Dataset) throws -> MergeState? {
        let path = path(in: dataset)
        guard let data = FileManager.default.contents(atPath: path) else {
            guard access(path, F_OK) != 0 else { throw StorageError.fromErrno(EIO, path: path) }
            return nil
        }
        guard let json = try? JSONParser.parse([UInt8](data)), let state = MergeState(json: json) else {
            throw StorageError.corrupt(detail: "the merge journal '\(path)' cannot be read; 'dsnap merge --abort' removes it")
        }
        return state
    }

    /// Whether a merge is unfinished, without reading the journal.
    static func exists(in dataset: Dataset) -> Bool {
        access(path(in: dataset), F_OK) == 0
    }

    func write(in dataset: Dataset) throws {
        let path = Self.path(in: dataset)
        try FileWrite.durablyReplacing(path, with: Array((JSONWriter.render(json, pretty: true) + "\n").utf8),
                                       temporary: path + ".tmp")
    }

    static func clear(in dataset: Dataset) throws {
        let path = path(in: dataset)
        if unlink(path) != 0 && errno != ENOENT { throw StorageError.fromErrno(errno, path: path) }
        try FileSystemSync.sync(paths: [dataset.gitDir])
    }

    public var unresolved: [MergeConflict] { conflicts.filter { $0.resolution == nil } }

    /// The conflicts' chosen sides by file and ordinal, as `TreeMerge` takes them.
    var resolutions: [String: [Int: MergeSide]] {
        var result: [String: [Int: MergeSide]] = [:]
        for conflict in conflicts { if let side = conflict.resolution { result[conflict.path, default: [:]][conflict.ordinal] = side } }
        return result
    }

    init(phase: Phase, ours: GitOID, theirs: GitOID, base: GitOID, theirsName: String, theirsDataset: String?,
         theirsDatasetName: String?, options: MergeOptions, startTree: GitOID, mergedTree: GitOID, autosave: GitOID?, conflicts: [MergeConflict],
         startedAt: Timestamp) {
        self.phase = phase
        self.ours = ours
        self.theirs = theirs
        self.base = base
        self.theirsName = theirsName
        self.theirsDataset = theirsDataset
        self.theirsDatasetName = theirsDatasetName
        self.options = options
        self.startTree = startTree
        self.mergedTree = mergedTree
        self.autosave = autosave
        self.conflicts = conflicts
        self.startedAt = startedAt
    }

    var json: JSONValue {
        .object([
            ("phase", .string(phase.rawValue)),
            ("ours", .string(ours.hex)),
            ("theirs", .string(theirs.hex)),
            ("base", .string(base.hex)),
            ("theirs_name", .string(theirsName)),
            ("theirs_dataset", theirsDataset.map(JSONValue.string) ?? .null),
            ("theirs_dataset_name", theirsDatasetName.map(JSONValue.string) ?? .null),
            ("array_key", options.arrayKey.map(JSONValue.string) ?? .null),
            ("prefer", options.prefer.map { .string($0.rawValue) } ?? .null),
            ("start_tree", .string(startTree.hex)),
            ("merged_tree", .string(mergedTree.hex)),
            ("autosave", autosave.map { .string($0.hex) } ?? .null),
            ("started_at", .string(startedAt.iso8601)),
            ("conflicts", .array(conflicts.map(\.json))),
        ])
    }

    init?(json: JSONValue) {
        func id(_ key: String) -> GitOID? { json[key]?.stringValue.flatMap(GitOID.init(hex:)) }
        guard let phase = json["phase"]?.stringValue.flatMap(Phase.init(rawValue:)),
              let ours = id("ours"), let theirs = id("theirs"), let base = id("base"),
              let startTree = id("start_tree"), let mergedTree = id("merged_tree"),
              let started = json["started_at"]?.stringValue.flatMap(Timestamp.init(iso8601:)),
              case let .array(items)? = json["conflicts"] else { return nil }
        var conflicts: [MergeConflict] = []
        for item in items {
            guard let conflict = MergeConflict(json: item) else { return nil }
            conflicts.append(conflict)
        }
        self.init(phase: phase, ours: ours, theirs: theirs, base: base,
                  theirsName: json["theirs_name"]?.stringValue ?? theirs.hex, theirsDataset: json["theirs_dataset"]?.stringValue,
                  theirsDatasetName: json["theirs_dataset_name"]?.stringValue,
                  options: MergeOptions(arrayKey: json["array_key"]?.stringValue,
                                        prefer: json["prefer"]?.stringValue.flatMap(MergeSide.init(rawValue:))),
                  startTree: startTree, mergedTree: mergedTree, autosave: id("autosave"), conflicts: conflicts,
                  startedAt: started)
    }
}

extension MergeConflict {
    /// The one JSON shape of a conflict, in `status --json`, `merge --json` and the journal: a side
    /// with no value (it never had one, or removed it) has no member; a field's sides are JSON
    /// values, a whole file's `{"blob": ID, "mode": "100644"}`.
    public var json: JSONValue {
        func side(_ value: Value?) -> JSONValue? {
            switch value {
            case let .json(document)?: return document
            case let .file(version)?:
                return .object([("blob", .string(version.id.hex)), ("mode", .string(String(version.mode, radix: 8)))])
            case nil: return nil
            }
        }
        var members: [(key: String, value: JSONValue)] = [
            ("path", .string(path)),
            ("pointer", pointer.map(JSONValue.string) ?? .null),
            ("ordinal", .integer(ordinal)),
            ("resolution", resolution.map { .string($0.rawValue) } ?? .null),
        ]
        if let reason { members.append(("reason", .string(reason))) }
        for (key, value) in [("base", base), ("ours", ours), ("theirs", theirs)] {
            if let encoded = side(value) { members.append((key, encoded)) }
        }
        return .object(members)
    }

    init?(json: JSONValue) {
        guard let path = json["path"]?.stringValue, let ordinal = json["ordinal"]?.intValue else { return nil }
        let pointer = json["pointer"]?.stringValue
        func side(_ key: String) -> Value? {
            guard let value = json[key] else { return nil }
            guard pointer == nil else { return .json(value) }
            guard let id = value["blob"]?.stringValue.flatMap(GitOID.init(hex:)),
                  let mode = value["mode"]?.stringValue.flatMap({ UInt32($0, radix: 8) }) else { return nil }
            return .file(MergeFileVersion(id: id, mode: mode))
        }
        self.init(path: path, pointer: pointer, ordinal: ordinal, base: side("base"), ours: side("ours"),
                  theirs: side("theirs"), resolution: json["resolution"]?.stringValue.flatMap(MergeSide.init(rawValue:)),
                  reason: json["reason"]?.stringValue)
    }
}

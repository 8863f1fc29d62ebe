/// A long operation as the API's task manager shows it.
public struct TaskRecord: Sendable, Equatable {
    public enum TaskType: String, Sendable {
        case create = "SNAPSHOT_CREATE", restore = "SNAPSHOT_RESTORE", clone = "SNAPSHOT_CLONE"
        /// `dsnap merge`: the work tree made the merge of two snapshots, then the merge snapshot.
        case merge = "SNAPSHOT_MERGE"
        /// `dsnap run`: a program run under the dataset's lock; its own snapshots and restore
        /// are tasks of their own.
        case run = "RUN"
    }
    public enum Status: String, Sendable { case running = "RUNNING", completed = "COMPLETED", failed = "FAILED" }

    public let id: String
    public let type: TaskType
    public var status: Status
    public var snapshotID: String?
    public let datasetName: String
    public let startedAt: Timestamp
    public var finishedAt: Timestamp?
    public var filesDone: Int
    public var filesTotal: Int?
    public var bytesDone: Int64
    public var error: String?
    public let pid: Int32
    /// A RUN's details; nil for other tasks.
    public var run: RunDetails?
    /// The autosave a RESTORE took of the changes it discarded (a RUN keeps its own in `run`).
    public var autosaveSnapshotID: String?

    /// What a RUN task adds, after the members every task has.
    public struct RunDetails: Sendable, Equatable {
        /// COMMAND and its arguments, quoted as a shell would need them.
        public var command: String
        /// COMMAND's exit status, 128 + N for signal N; nil while it runs.
        public var exitStatus: Int32?
        public var checkpointSnapshotID: String?
        /// True once the checkpoint was restored after COMMAND failed.
        public var restored = false
        public var autosaveSnapshotID: String?
        public var afterSnapshotID: String?

        var members: [(key: String, value: JSONValue)] {
            [
                ("command", .string(command)),
                ("exit_status", exitStatus.map { .integer($0) } ?? .null),
                ("checkpoint_snapshot_id", checkpointSnapshotID.map(JSONValue.string) ?? .null),
                ("restored", .bool(restored)),
                ("autosave_snapshot_id", autosaveSnapshotID.map(JSONValue.string) ?? .null),
                ("after_snapshot_id", afterSnapshotID.map(JSONValue.string) ?? .null),
            ]
        }

        init(command: String) { self.command = command }

        init?(json: JSONValue) {
            guard let command = json["command"]?.stringValue else { return nil }
            self.command = command
            exitStatus = json["exit_status"]?.intValue.map { Int32(truncatingIfNeeded: $0) }
            checkpointSnapshotID = json["checkpoint_snapshot_id"]?.stringValue
            restored = json["restored"]?.boolValue ?? false
            autosaveSnapshotID = json["autosave_snapshot_id"]?.stringValue
            afterSnapshotID = json["after_snapshot_id"]?.stringValue
        }
    }

    public var json: JSONValue {
        .object([
            ("task_id", .string(id)),
            ("task_type", .string(type.rawValue)),
            ("status", .string(status.rawValue)),
            ("dataset_name", .string(datasetName)),
            ("snapshot_id", snapshotID.map(JSONValue.string) ?? .null),
            ("started_at", .string(startedAt.iso8601)),
            ("finished_at", finishedAt.map { .string($0.iso8601) } ?? .null),
            ("files_done", .integer(filesDone)),
            ("files_total", filesTotal.map(JSONValue.integer) ?? .null),
            ("bytes_done", .integer(bytesDone)),
            ("error", error.map(JSONValue.string) ?? .null),
            ("pid", .integer(pid)),
        ] + (run?.members ?? [])
          + (run == nil && type == .restore
             ? [("autosave_snapshot_id", autosaveSnapshotID.map(JSONValue.string) ?? .null)] : []))
    }

    init(id: String, type: TaskType, snapshotID: String?, datasetName: String, startedAt: Timestamp, pid: Int32) {
        self.id = id
        self.type = type
        self.status = .running
        self.snapshotID = snapshotID
        self.datasetName = datasetName
        self.startedAt = startedAt
        self.filesDone = 0
        self.bytesDone = 0
        self.pid = pid
    }

    init?(json: JSONValue) {
        guard let id = json["task_id"]?.stringValue,
              let type = json["task_type"]?.stringValue.flatMap(TaskType.init(rawValue:)),
              let status = json["status"]?.stringValue.flatMap(Status.init(rawValue:)),
              let started = json["started_at"]?.stringValue.flatMap(Timestamp.init(iso8601:)),
              let pid = json["pid"]?.intValue else { return nil }
        self.id = id
        self.type = type
        self.status = status
        self.snapshotID = json["snapshot_id"]?.stringValue
        self.datasetName = json["dataset_name"]?.stringValue ?? ""
        self.startedAt = started
        self.finishedAt = json["finished_at"]?.stringValue.flatMap(Timestamp.init(iso8601:))
        self.filesDone = json["files_done"]?.intValue ?? 0
        self.filesTotal = json["files_total"]?.intValue
        self.bytesDone = Int64(json["bytes_done"]?.intValue ?? 0)
        self.error = json["error"]?.stringValue
        self.pid = Int32(pid)
        self.run = type == .run ? RunDetails(json: json) : nil
        self.autosaveSnapshotID = type == .run ? nil : json["autosave_snapshot_id"]?.stringValue
    }
}

/// A long operation as the API's task manager shows it.
public struct TaskRecord: Sendable, Equatable {
    public enum TaskType: String, Sendable { case create = "SNAPSHOT_CREATE", restore = "SNAPSHOT_RESTORE", clone = "SNAPSHOT_CLONE" }
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
        ])
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
    }
}

import DsnapCore
import DsnapHTTP
import Synchronization

/// The Snapshots API over HTTP (`dsnap serve`): the hosted API's paths, methods, bodies, fields and
/// status codes, answered by the same core operations, locks and task journal as the CLI. A request
/// reaches a dataset only through its `dataset_id` (`ServedDatasets`), never through a path.
///
/// | method and path                                         | answer                           |
/// | ------------------------------------------------------- | -------------------------------- |
/// | GET    /api/v1/datasets                                 | the datasets served              |
/// | GET    /api/v1/dataset/{id} (or .../status)             | one dataset and its status       |
/// | GET    /api/v1/dataset/{id}/snapshot                    | its snapshots, newest first      |
/// | POST   /api/v1/dataset/{id}/snapshot                    | create: the new snapshot         |
/// | GET    /api/v1/dataset/{id}/snapshot/{sid}              | one snapshot                     |
/// | PATCH  /api/v1/dataset/{id}/snapshot/{sid}              | update: the snapshot             |
/// | DELETE /api/v1/dataset/{id}/snapshot/{sid}              | delete: 200, empty               |
/// | POST   /api/v1/dataset/{id}/snapshot/{sid}/restore      | 202, a SNAPSHOT_RESTORE task     |
/// | POST   /api/v1/dataset/{id}/snapshot/{sid}/clone        | 202, a SNAPSHOT_CLONE task       |
/// | GET    /api/v1/tasks?dataset_id=&task_type=&status=     | {"tasks": [...]}, newest first   |
final class SnapshotsAPI: Sendable {
    let datasets: ServedDatasets
    let token: BearerToken?
    let context: OperationContext
    let background: BackgroundOperations
    /// Clones choose their destination one at a time (`CloneDataset.defaultDestination`).
    private let cloneAdmission = Mutex<Void>(())

    init(datasets: ServedDatasets, token: BearerToken?, context: OperationContext, background: BackgroundOperations) {
        self.datasets = datasets
        self.token = token
        self.context = context
        self.background = background
    }

    func respond(_ request: HTTPRequest) -> HTTPResponse {
        if let token, !token.admits(request.headers["authorization"]) {
            return APIResponse.error(403, "a valid bearer token is required",
                                     hint: "send 'Authorization: Bearer TOKEN' with the token of 'dsnap serve --token-file'")
        }
        do {
            return try route(request)
        } catch let failure as APIFailure {
            return APIResponse.error(failure.status, failure.detail, hint: failure.hint)
        } catch {
            return APIResponse.error(error)
        }
    }

    private func route(_ request: HTTPRequest) throws -> HTTPResponse {
        var parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v1" else { throw notFound(request) }
        parts.removeFirst(2)
        switch (parts[0], parts.count) {
        case ("datasets", 1):
            try allow(request, "GET")
            return listDatasets()
        case ("tasks", 1):
            try allow(request, "GET")
            return try listTasks(request)
        case ("dataset", 2...):
            return try routeDataset(request, id: parts[1], rest: Array(parts.dropFirst(2)))
        default:
            throw notFound(request)
        }
    }

    private func routeDataset(_ request: HTTPRequest, id: String, rest: [String]) throws -> HTTPResponse {
        let dataset = try open(id)
        switch rest.count {
        case 0:
            try allow(request, "GET")
            return try datasetStatus(dataset, id: id)
        case 1 where rest[0] == "status":
            try allow(request, "GET")
            return try datasetStatus(dataset, id: id)
        case 1 where rest[0] == "snapshot":
            try allow(request, "GET", "POST")
            return request.method == "GET" ? try listSnapshots(dataset) : try createSnapshot(dataset, request)
        case 2 where rest[0] == "snapshot":
            try allow(request, "GET", "PATCH", "DELETE")
            switch request.method {
            case "GET": return try showSnapshot(dataset, rest[1])
            case "PATCH": return try updateSnapshot(dataset, rest[1], request)
            default: return try deleteSnapshot(dataset, rest[1])
            }
        case 3 where rest[0] == "snapshot" && rest[2] == "restore":
            try allow(request, "POST")
            return try restoreSnapshot(dataset, rest[1], datasetID: id)
        case 3 where rest[0] == "snapshot" && rest[2] == "clone":
            try allow(request, "POST")
            return try cloneSnapshot(dataset, rest[1])
        default:
            throw notFound(request)
        }
    }

    // MARK: Datasets

    private func listDatasets() -> HTTPResponse {
        APIResponse.json(.array(datasets.all().map { entry in
            let dataset = try? Dataset.open(root: entry.root)
            let state = dataset.map { ReadStatus.state(in: $0) }
            return .object([
                ("dataset_id", .string(entry.id)),
                ("dataset_name", dataset.map { .string($0.name) } ?? .null),
                ("path", .string(entry.root)),
                ("status", state.map { .string($0.name) } ?? .string("Error")),
            ])
        }))
    }

    /// The dataset's state, current snapshot and a summary of its uncommitted changes: `dsnap
    /// status --json` without the list of files (which may hold a million paths).
    private func datasetStatus(_ dataset: Dataset, id: String) throws -> HTTPResponse {
        let status = try ReadStatus.run(in: dataset)
        guard case let .object(members) = StatusCommand.json(status) else { return APIResponse.error(500, "status") }
        return APIResponse.json(.object([("dataset_id", .string(id)), ("status", .string(status.state.name))]
            + members.filter { $0.key != "files" && $0.key != "dataset_id" }))
    }

    // MARK: Snapshots

    private func listSnapshots(_ dataset: Dataset) throws -> HTTPResponse {
        APIResponse.json(.array(try SnapshotCatalog(dataset: dataset).snapshots(.live).map(SnapshotJSON.object)))
    }

    private func showSnapshot(_ dataset: Dataset, _ reference: String) throws -> HTTPResponse {
        APIResponse.json(SnapshotJSON.object(try SnapshotCatalog(dataset: dataset).resolve(reference)))
    }

    private func createSnapshot(_ dataset: Dataset, _ request: HTTPRequest) throws -> HTTPResponse {
        let body = try RequestBody(request.body, allowed: ["name", "description", "training_model_id",
                                                           "training_model_name"])
        let snapshotRequest = SnapshotRequest(
            name: try body.string("name", nullable: true), description: try body.string("description") ?? "",
            reason: .manual, trainingModelID: try body.string("training_model_id", nullable: true),
            trainingModelName: try body.string("training_model_name", nullable: true))
        let result = try TakeSnapshot.perform(snapshotRequest, in: dataset, writer: FastSnapshotWriter(),
                                              context: context)
        return APIResponse.json(SnapshotJSON.object(result.snapshot))
    }

    private func updateSnapshot(_ dataset: Dataset, _ reference: String, _ request: HTTPRequest) throws -> HTTPResponse {
        let body = try RequestBody(request.body, allowed: ["name", "description"])
        let name = try body.string("name")
        let description = try body.string("description")
        guard name != nil || description != nil else {
            throw APIFailure(400, "nothing to update", hint: "send 'name', 'description' or both")
        }
        let snapshot = try EditSnapshot.update(reference, name: name, description: description, in: dataset,
                                               context: context)
        return APIResponse.json(SnapshotJSON.object(snapshot))
    }

    private func deleteSnapshot(_ dataset: Dataset, _ reference: String) throws -> HTTPResponse {
        _ = try EditSnapshot.delete(reference, in: dataset, context: context)
        return APIResponse.empty(status: 200)
    }

    /// 202 once the restore holds the lock and its task is in the journal; the work runs in the
    /// background. Uncommitted changes are autosaved first (the task names the autosave): the
    /// hosted API's restore discards them, dsnap's never loses them.
    private func restoreSnapshot(_ dataset: Dataset, _ reference: String, datasetID: String) throws -> HTTPResponse {
        let accepted = try RestoreSnapshot.accept(.snapshot(reference), discard: true, in: dataset,
                                                  writer: FastSnapshotWriter(), checkout: AtomicCheckout(),
                                                  context: context)
        background.start("restore \(accepted.snapshot.id.short)") { _ = try accepted.execute() }
        return APIResponse.empty(status: 202, headers: [(name: "X-Dsnap-Task-Id", value: accepted.taskID)])
    }

    /// 202 once the clone's folder is chosen and its task recorded; the new dataset, beside the
    /// source, is served as soon as it is in place.
    private func cloneSnapshot(_ dataset: Dataset, _ reference: String) throws -> HTTPResponse {
        let accepted = try cloneAdmission.withLock { _ in
            try CloneDataset.accept(reference, from: dataset, to: nil, name: nil, checkout: AtomicCheckout(),
                                    context: context)
        }
        let datasets = self.datasets
        background.start("clone \(accepted.snapshot.id.short)") {
            let result = try accepted.execute()
            try datasets.add(root: result.path)
        }
        return APIResponse.empty(status: 202, headers: [(name: "X-Dsnap-Task-Id", value: accepted.taskID)])
    }

    // MARK: Tasks

    private func listTasks(_ request: HTTPRequest) throws -> HTTPResponse {
        var entries = datasets.all()
        if let id = request.queryValue("dataset_id") {
            _ = try open(id)
            entries = entries.filter { $0.id == id.lowercased() }
        }
        let type = try request.queryValue("task_type").map { word in
            guard let type = TaskRecord.TaskType(rawValue: word) else {
                throw APIFailure(400, "unknown task_type '\(word)'",
                                 hint: "task types: SNAPSHOT_CREATE, SNAPSHOT_RESTORE, SNAPSHOT_CLONE, RUN")
            }
            return type
        }
        let status = try request.queryValue("status").map { word in
            guard let status = TaskRecord.Status(rawValue: word) else {
                throw APIFailure(400, "unknown status '\(word)'", hint: "statuses: RUNNING, COMPLETED, FAILED")
            }
            return status
        }
        var seen = Set<String>()
        var tasks: [(TaskRecord, String)] = []
        for entry in entries {
            guard let dataset = try? Dataset.open(root: entry.root) else { continue }
            for task in TaskJournal.tasks(in: dataset) where type.map({ task.type == $0 }) ?? true
                && status.map({ task.status == $0 }) ?? true && seen.insert(task.id).inserted {
                tasks.append((task, entry.id))
            }
        }
        // Newest first, as each journal lists them: task ids begin with their start time.
        tasks.sort { $0.0.id > $1.0.id }
        return APIResponse.json(.object([("tasks", .array(tasks.map { task, datasetID in
            guard case let .object(members) = task.json else { return task.json }
            return .object(members + [("dataset_id", .string(datasetID))])
        }))]))
    }

    // MARK: Helpers

    private func open(_ id: String) throws -> Dataset {
        guard let dataset = try datasets.open(id: id) else {
            throw APIFailure(404, "dataset '\(id)' not found", hint: "GET /api/v1/datasets lists the datasets served")
        }
        return dataset
    }

    private func allow(_ request: HTTPRequest, _ methods: String...) throws {
        guard methods.contains(request.method) else {
            throw APIFailure(405, "method \(request.method) is not allowed on \(request.path)",
                             hint: "allowed: " + methods.joined(separator: ", "))
        }
    }

    private func notFound(_ request: HTTPRequest) -> APIFailure {
        APIFailure(404, "no such endpoint: \(request.path)", hint: "see 'man dsnap-serve' for the endpoints")
    }
}

import FoundationEssentials
import Glibc

/// The journal of long operations in `.dsnap/tasks/`, one JSON file per task, each rewritten
/// atomically (temporary file, then rename) as the task advances.
public enum TaskJournal {
    /// Older task files beyond this many are pruned when a new task starts.
    static let kept = 200

    static func directory(of gitDir: String) -> String { gitDir + "/tasks" }

    /// Tasks newest first. A RUNNING task whose process is gone is shown FAILED ("interrupted").
    public static func tasks(in dataset: Dataset) -> [TaskRecord] {
        let directory = directory(of: dataset.gitDir)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var records: [TaskRecord] = []
        for name in names where name.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: directory + "/" + name),
                  let value = try? JSONParser.parse(Array(data)), var record = TaskRecord(json: value) else { continue }
            if record.status == .running && !isAlive(record.pid) {
                record.status = .failed
                record.error = "interrupted"
            }
            records.append(record)
        }
        return records.sorted { ($0.startedAt, $0.id) > ($1.startedAt, $1.id) }
    }

    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    static func write(_ record: TaskRecord, gitDir: String) {
        let directory = directory(of: gitDir)
        mkdir(directory, 0o777)
        let path = directory + "/" + record.id + ".json"
        let temporary = path + ".tmp"
        // The journal is informative: failing to write it must never fail the operation itself.
        // Plain write(2), no fsync: a record needs to survive a killed process (the rename does
        // that), not a power cut; Foundation's file writing fsyncs, 1-2 ms per record.
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        let bytes = Array((JSONWriter.render(record.json) + "\n").utf8)
        let written = (try? FileWrite.all(descriptor, bytes, path: temporary)) != nil
        guard close(descriptor) == 0, written, rename(temporary, path) == 0 else {
            unlink(temporary)
            return
        }
    }

    static func prune(gitDir: String) {
        let directory = directory(of: gitDir)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        // Task ids start with the start time in microseconds, zero-padded, so names sort by age.
        let files = names.filter { $0.hasSuffix(".json") }.sorted()
        // Room is made for the task about to be written, so at most `kept` remain.
        for name in files.dropLast(kept - 1) { unlink(directory + "/" + name) }
    }
}

import Foundation
import XCTest

/// `dsnap tasks` as people read it: a header, aligned columns, sizes and durations in human units;
/// and a clone's task in the source's list, where it was started, as well as in the new dataset's.
final class TasksTableE2ETests: XCTestCase {
    private let header = ["TYPE", "STATUS", "STARTED (UTC)", "DURATION", "SNAPSHOT", "FILES", "SIZE"]

    /// The cells of each line: columns are separated by two spaces or more.
    private func rows(_ text: String) -> [[String]] {
        text.split(separator: "\n").map { line in
            line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    func testTasksHaveAHeaderHumanSizesAndDurationsAndListClonesInTheSource() throws {
        let (data, creation) = try makeDataset()
        // 3 KiB exactly, so the restore that writes it back shows a known size.
        try data.write(String(repeating: "x", count: 3072), to: "notes.txt")
        let second = try idOf(commit(["-m", "notes"], in: data.path))
        expect(try E2E.run(["restore", try idOf(creation)], in: data.path), exit: 0)
        expect(try E2E.run(["restore", second], in: data.path), exit: 0)
        let copy = data.path + "-copy"
        expect(try E2E.run(["clone", "current", copy], in: data.path), exit: 0)
        defer { try? FileManager.default.removeItem(atPath: copy) }

        let listed = expect(try E2E.run(["tasks"], in: data.path), exit: 0)
        XCTAssertEqual(listed.stderr, "")
        let table = rows(listed.stdout)
        XCTAssertEqual(table.first, header + ["NOTE"], listed.stdout)
        // Newest first: the clone, two restores, the commit, the creation snapshot.
        XCTAssertEqual(table.dropFirst().map { $0[0] },
                       ["SNAPSHOT_CLONE", "SNAPSHOT_RESTORE", "SNAPSHOT_RESTORE", "SNAPSHOT_CREATE", "SNAPSHOT_CREATE"],
                       listed.stdout)
        for row in table.dropFirst() {
            XCTAssertEqual(row[1], "COMPLETED", listed.stdout)
            XCTAssertEqual(row[2], "2026-03-01 10:00:00", listed.stdout)
            // The clock is fixed: every task ends in the instant it starts.
            XCTAssertEqual(row[3], "0.0 s", listed.stdout)
            XCTAssertNotNil(row[4].range(of: "^[0-9a-f]{12}$", options: .regularExpression), listed.stdout)
            XCTAssertNotNil(row[5].range(of: "^[0-9]+/[0-9]+$", options: .regularExpression), listed.stdout)
            XCTAssertNotNil(row[6].range(of: #"^([0-9]+ B|[0-9]+\.[0-9] (KiB|MiB|GiB))$"#, options: .regularExpression),
                            listed.stdout)
        }
        XCTAssertEqual(table[1].dropFirst(4), [try idOf(show("current", in: copy)).prefix(12).description, "12/12",
                                               table[1][6], "into 'basic (cloned)'"], listed.stdout)
        XCTAssertEqual(table[2][4...6], [second.prefix(12).description, "1/1", "3.0 KiB"], listed.stdout)
        XCTAssertEqual(table[3][5...6], ["1/1", "0 B"], "a restore that only removes writes nothing: \(listed.stdout)")
        // Aligned: each column starts at one place on every line.
        let starts = listed.stdout.split(separator: "\n").map { $0.range(of: "COMPLETED")?.lowerBound.utf16Offset(in: $0) }
        XCTAssertEqual(Set(starts.dropFirst()).count, 1, listed.stdout)
        XCTAssertEqual(listed.stdout.split(separator: "\n").first?.range(of: "STATUS")?.lowerBound.utf16Offset(in: listed.stdout),
                       starts[1], listed.stdout)

        // The new dataset lists its own creation, without saying where it went.
        let cloned = expect(try E2E.run(["tasks"], in: copy), exit: 0)
        XCTAssertEqual(rows(cloned.stdout).first, header, cloned.stdout)
        XCTAssertEqual(rows(cloned.stdout).dropFirst().map { $0[0] }, ["SNAPSHOT_CLONE"], cloned.stdout)
        XCTAssertEqual(rows(cloned.stdout)[1][1...5], table[1][1...5], cloned.stdout)

        // The JSON keeps its members and their order; the clone's task is in the source's list.
        let json = expect(try E2E.run(["tasks", "--json"], in: data.path), exit: 0).stdout
        let objects = RawJSON.objects(in: json, depth: 2)
        XCTAssertEqual(objects.first?.map(\.key),
                       ["task_id", "task_type", "status", "dataset_name", "snapshot_id", "started_at", "finished_at",
                        "files_done", "files_total", "bytes_done", "error", "pid"], json)
        let first = try XCTUnwrap(jsonArray(E2E.run(["tasks", "--json", "-n", "1"], in: data.path)).first)
        XCTAssertEqual(first["task_type"] as? String, "SNAPSHOT_CLONE")
        XCTAssertEqual(first["dataset_name"] as? String, "basic (cloned)")
        XCTAssertEqual(first["status"] as? String, "COMPLETED")
    }

    func testAFailedCloneStaysInTheSourcesList() throws {
        let (data, creation) = try makeDataset()
        // A blob the snapshot needs is lost: the clone fails, and its folder is removed.
        let blob = try E2E.git(["rev-parse", "\(try idOf(creation)):labels.csv"], dataset: data.path).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let object = data.path + "/.dsnap/objects/" + blob.prefix(2) + "/" + blob.dropFirst(2)
        try FileManager.default.removeItem(atPath: object)
        let copy = data.path + "-copy"
        expectError(try E2E.run(["clone", "current", copy], in: data.path), exit: 6, mentioning: ["labels.csv"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: copy))

        let listed = expect(try E2E.run(["tasks", "-n", "1"], in: data.path), exit: 0)
        let table = rows(listed.stdout)
        XCTAssertEqual(table.first, header + ["NOTE"], listed.stdout)
        XCTAssertEqual(table[1][0...1], ["SNAPSHOT_CLONE", "FAILED"], listed.stdout)
        XCTAssertTrue(table[1].last?.hasPrefix("into 'basic (cloned)': ") == true, listed.stdout)
        XCTAssertTrue(table[1].last?.contains("labels.csv") == true, listed.stdout)
    }
}

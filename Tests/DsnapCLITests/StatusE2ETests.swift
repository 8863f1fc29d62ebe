import Foundation
import XCTest

/// `dsnap status`: the dataset's name, state, current snapshot, and the changes since it.
final class StatusE2ETests: XCTestCase {
    /// (path, status, class) of every file `status --json` lists.
    private func changes(_ status: [String: Any]) -> [[String]] {
        (status["files"] as? [[String: Any]] ?? []).map {
            [$0["path"] as? String ?? "?", $0["status"] as? String ?? "?", $0["class"] as? String ?? "?"]
        }.sorted { $0[0] < $1[0] }
    }

    func testStatusIsCleanAfterInitAndAfterCommit() throws {
        let (dataset, creation) = try makeDataset()
        let id = try XCTUnwrap(creation["snapshot_id"] as? String)
        let human = expect(try E2E.run(["status"], in: dataset.path), exit: 0)
        XCTAssertEqual(human.stderr, "")
        let datasetID = try XCTUnwrap(try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))["dataset_id"] as? String)
        XCTAssertNotNil(UUID(uuidString: datasetID), "a dataset's id is a UUID: \(datasetID)")
        XCTAssertEqual(human.stdout, """
            Dataset:  basic
            ID:       \(datasetID)
            State:    Ready
            Current:  \(id.prefix(12))  basic_snapshot_\(id.prefix(8))
            No changes since the current snapshot.

            """)

        try dataset.write("{\"x\": 1}\n", to: "extra.json")
        let committed = try commit(["-m", "with extra"], in: dataset.path, now: "2026-03-01T10:00:01Z")
        let status = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        XCTAssertEqual(status["clean"] as? Bool, true)
        XCTAssertEqual(status["state"] as? String, "Ready")
        XCTAssertEqual(status["dataset_name"] as? String, "basic")
        XCTAssertEqual(status["path"] as? String, dataset.path)
        XCTAssertTrue(status["running"] is NSNull)
        XCTAssertEqual((status["files"] as? [Any])?.count, 0)
        let current = try XCTUnwrap(status["snapshot"] as? [String: Any])
        XCTAssertEqual(current["snapshot_id"] as? String, committed["snapshot_id"] as? String)
        XCTAssertEqual(current["snapshot_name"] as? String, "with extra")
        let again = expect(try E2E.run(["status"], in: dataset.path), exit: 0)
        XCTAssertTrue(again.stdout.contains("No changes"), again.transcript)
        XCTAssertTrue(again.stdout.contains("with extra"), again.transcript)
    }

    func testStatusListsEachChangeWithItsStatusAndClass() throws {
        let (dataset, _) = try makeDataset()
        try dataset.write("{\"label\": \"tabby\"}\n", to: "images/cats/a.json")                   // modified json
        try FileManager.default.copyItem(atPath: dataset.path + "/images/dogs/b.png",
                                         toPath: dataset.path + "/images/dogs/new.png")          // added image
        try FileManager.default.removeItem(atPath: dataset.path + "/labels.csv")                // removed other
        try FileManager.default.removeItem(atPath: dataset.path + "/videos/clip.mp4")           // removed video
        try dataset.write("{}\n", to: "images/dogs/new.png.json")                               // added json
        try dataset.write("readme\n", to: "notes.txt")                                          // added other

        let status = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        XCTAssertEqual(status["clean"] as? Bool, false)
        XCTAssertEqual(status["state"] as? String, "Ready")
        XCTAssertEqual(changes(status), [
            ["images/cats/a.json", "modified", "json"],
            ["images/dogs/new.png", "added", "image"],
            ["images/dogs/new.png.json", "added", "json"],
            ["labels.csv", "removed", "other"],
            ["notes.txt", "added", "other"],
            ["videos/clip.mp4", "removed", "video"],
        ])
        let summary = try XCTUnwrap(status["summary"] as? [String: Any])
        XCTAssertEqual(summary["files_changed"] as? Int, 6)
        XCTAssertEqual(summary["added"] as? [String: Int], ["image": 1, "video": 0, "json": 1, "other": 1])
        XCTAssertEqual(summary["modified"] as? [String: Int], ["image": 0, "video": 0, "json": 1, "other": 0])
        XCTAssertEqual(summary["removed"] as? [String: Int], ["image": 0, "video": 1, "json": 0, "other": 1])
        XCTAssertEqual(summary["renamed"] as? [String: Int], ["image": 0, "video": 0, "json": 0, "other": 0])

        let human = expect(try E2E.run(["status"], in: dataset.path), exit: 0)
        XCTAssertEqual(human.stderr, "")
        XCTAssertFalse(human.stdout.contains("No changes"), human.transcript)
        let lines = human.stdout.split(separator: "\n").map(String.init)
        for (kind, path, fileClass) in [("modified", "images/cats/a.json", "json"),
                                        ("added", "images/dogs/new.png", "image"),
                                        ("added", "images/dogs/new.png.json", "json"),
                                        ("removed", "labels.csv", "other"), ("added", "notes.txt", "other"),
                                        ("removed", "videos/clip.mp4", "video")] {
            XCTAssertTrue(lines.contains { line in
                let words = line.split(separator: " ").map(String.init)
                return words.first == kind + ":" && words.contains(path) && words.last == "(\(fileClass))"
            }, "no '\(kind): \(path) (\(fileClass))' line\n\(human.transcript)")
        }
        XCTAssertTrue(lines.contains("State:    Ready"), human.transcript)

        // status never writes: the same answer twice, and the snapshot is untouched.
        XCTAssertEqual(try E2E.run(["status", "--json"], in: dataset.path).stdout,
                       try E2E.run(["status", "--json"], in: dataset.path).stdout)

        // Committing takes exactly those changes; status is clean again.
        let committed = try commit(["-m", "changes"], in: dataset.path, now: "2026-03-01T10:00:01Z")
        XCTAssertEqual(committed["n_images"] as? Int, 6)
        XCTAssertEqual(committed["n_videos"] as? Int, 0)
        let after = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        XCTAssertEqual(after["clean"] as? Bool, true)
        XCTAssertEqual(changes(after), [])
    }

    func testTextPathsAreRelativeToTheCurrentFolderAndJSONPathsToTheDataset() throws {
        let (dataset, _) = try makeDataset()
        try dataset.write("{\"label\": \"tabby\"}\n", to: "images/cats/a.json")
        try FileManager.default.removeItem(atPath: dataset.path + "/labels.csv")
        try dataset.write("{}\n", to: "images/dogs/new.json")
        let inCats = dataset.path + "/images/cats"
        let human = expect(try E2E.run(["status"], in: inCats), exit: 0)
        let lines = human.stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("  ") }
        XCTAssertEqual(lines, [
            "  modified:  a.json  (json)",
            "  added:     ../dogs/new.json  (json)",
            "  removed:   ../../labels.csv  (other)",
        ], human.transcript)
        let status = try jsonObject(try E2E.run(["status", "--json"], in: inCats))
        XCTAssertEqual(changes(status).map { $0[0] }, ["images/cats/a.json", "images/dogs/new.json", "labels.csv"])
        // -C names the folder dsnap runs in, as if it had been started there.
        let viaC = expect(try E2E.run(["-C", "images/dogs", "status"], in: dataset.path), exit: 0)
        XCTAssertTrue(viaC.stdout.contains("  modified:  ../cats/a.json  (json)"), viaC.transcript)
    }

    func testStatusShowsNonASCIIPathsAsTheyAre() throws {
        let (dataset, _) = try makeDataset()
        try dataset.write("{\"name\": \"crème brûlée\"}\n", to: "images/café/crème.json")
        try FileManager.default.copyItem(atPath: dataset.path + "/images/日本/猫.png",
                                         toPath: dataset.path + "/images/日本/犬.png")
        let status = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        XCTAssertEqual(changes(status), [
            ["images/café/crème.json", "modified", "json"],
            ["images/日本/犬.png", "added", "image"],
        ])
        let human = expect(try E2E.run(["status"], in: dataset.path), exit: 0)
        XCTAssertTrue(human.stdout.contains("images/café/crème.json"), human.transcript)
        XCTAssertTrue(human.stdout.contains("images/日本/犬.png"), human.transcript)
    }

    func testStatusReportsAFileWithANewlineInItsNameEscaped() throws {
        let (dataset, _) = try makeDataset()
        try dataset.write("x\n", to: "odd\nname.txt")
        let status = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        XCTAssertEqual(changes(status), [["odd\nname.txt", "added", "other"]])
        let human = expect(try E2E.run(["status"], in: dataset.path), exit: 0)
        XCTAssertTrue(human.stdout.contains("odd\\nname.txt"), human.transcript)
        XCTAssertFalse(human.stdout.split(separator: "\n").contains { $0.hasPrefix("name.txt") }, human.transcript)
    }

    func testStatusRespectsDsnapignore() throws {
        let (dataset, _) = try makeDataset()
        try dataset.write("*.tmp\ncache/\n", to: ".dsnapignore")
        try dataset.write("scratch\n", to: "scratch.tmp")
        try dataset.write("cached\n", to: "cache/blob.json")
        let status = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        let paths = changes(status).map { $0[0] }
        XCTAssertFalse(paths.contains("scratch.tmp"), "\(paths)")
        XCTAssertFalse(paths.contains { $0.hasPrefix("cache/") }, "\(paths)")
        XCTAssertFalse(paths.contains { $0.hasPrefix(".dsnap/") }, "\(paths)")
        // Ignored files are not snapshotted either.
        try commit(in: dataset.path, now: "2026-03-01T10:00:01Z")
        let files = try jsonObject(try E2E.run(["show", "current", "--files", "--json"], in: dataset.path))
        let snapshotPaths = (files["files"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        XCTAssertFalse(snapshotPaths.contains("scratch.tmp"), "\(snapshotPaths)")
        XCTAssertFalse(snapshotPaths.contains("cache/blob.json"), "\(snapshotPaths)")
    }
}

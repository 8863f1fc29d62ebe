import Foundation
import XCTest

/// A dataset is a plain git repository: after any lifecycle, git itself reads it and finds nothing
/// wrong (DESIGN.md "Storage").
final class GitCompatibilityE2ETests: XCTestCase {
    private func git(_ arguments: [String], _ root: String, workTree: Bool = false,
                     file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try E2E.git(arguments, dataset: root, workTree: workTree)
        XCTAssertEqual(result.status, 0, "git \(arguments.joined(separator: " ")): \(result.stderr)",
                       file: file, line: line)
        return result.stdout
    }

    /// init, commits with and without changes and a training model, update, delete, undelete.
    private func runLifecycle(_ dataset: TemporaryDataset) throws -> (ids: [String], deleted: String) {
        let creation = try snapshotObject(try E2E.run(["init", "--json"], in: dataset.path))
        var ids = [try XCTUnwrap(creation["snapshot_id"] as? String)]
        try dataset.write("{\"label\": \"tabby\", \"quote\": \"\\\"x\\\"\"}\n", to: "images/cats/a.json")
        try FileManager.default.copyItem(atPath: dataset.path + "/videos/clip.mp4",
                                         toPath: dataset.path + "/videos/CLIP2.MP4")
        ids.append(try idOf(try commit(["-m", "labelled", "-d", "tabby\nsecond line"], in: dataset.path,
                                            now: "2026-03-01T10:00:01Z")))
        try FileManager.default.removeItem(atPath: dataset.path + "/labels.csv")
        ids.append(try idOf(try commit(["-m", "for training", "--training-model-id", "m-7",
                                             "--training-model-name", "Net 7"], in: dataset.path,
                                            now: "2026-03-01T10:00:02Z")))
        ids.append(try idOf(try commit(["-m", "checkpoint"], in: dataset.path, now: "2026-03-01T10:00:03Z")))
        try snapshotObject(try E2E.run(["update", ids[1], "--name", "Ünïcödé 猫 🐱", "--description", "renamed",
                                        "--json"], in: dataset.path))
        try snapshotObject(try E2E.run(["delete", ids[0], "--json"], in: dataset.path))
        try snapshotObject(try E2E.run(["delete", ids[2], "--json"], in: dataset.path))
        try snapshotObject(try E2E.run(["undelete", ids[2], "--json"], in: dataset.path))
        return (ids, ids[0])
    }

    func testAfterTheWholeLifecycleGitFindsNothingWrong() throws {
        let dataset = try TemporaryDataset(fixture: "basic")
        let (ids, deleted) = try runLifecycle(dataset)

        let fsck = try E2E.git(["fsck", "--full"], dataset: dataset.path)
        XCTAssertEqual(fsck.status, 0, fsck.stderr)
        XCTAssertEqual(fsck.stdout, "", "fsck found something")

        let porcelain = try E2E.git(["status", "--porcelain"], dataset: dataset.path, workTree: true)
        XCTAssertEqual(porcelain.status, 0, porcelain.stderr)
        XCTAssertEqual(porcelain.stdout, "", "git sees uncommitted changes or an untracked .dsnap")
        // Without --work-tree too: the repository knows its work tree.
        let plain = try E2E.git(["status", "--porcelain"], dataset: dataset.path)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stdout, "")

        // HEAD is branch main, at the current snapshot; its history is the snapshots' parent chain.
        XCTAssertEqual(try git(["symbolic-ref", "HEAD"], dataset.path), "refs/heads/main\n")
        XCTAssertEqual(try git(["rev-parse", "HEAD"], dataset.path), ids[3] + "\n")
        XCTAssertEqual(try git(["log", "--format=%H", "main"], dataset.path), ids.reversed().joined(separator: "\n")
            + "\n")
        XCTAssertEqual(try git(["log", "-1", "--format=%ae", "HEAD"], dataset.path), "test@example.com\n")

        // One ref per snapshot, a tombstone for the deleted one only.
        let refs = try git(["for-each-ref", "--format=%(refname)", "refs/dsnap/"], dataset.path)
            .split(separator: "\n").map(String.init)
        for id in ids { XCTAssertTrue(refs.contains("refs/dsnap/snapshots/" + id), "\(refs)") }
        XCTAssertEqual(refs.filter { $0.hasPrefix("refs/dsnap/deleted/") }, ["refs/dsnap/deleted/" + deleted])

        // The record is a note any git can print, and it is JSON.
        let records = [(ids[1], "Ünïcödé 猫 🐱", "manual"), (ids[0], "basic_snapshot_" + ids[0].prefix(8), "creation")]
        for (id, name, reason) in records {
            let note = try git(["notes", "--ref=dsnap", "show", id], dataset.path)
            let record = try XCTUnwrap(try parseJSON(note) as? [String: Any], note)
            XCTAssertEqual(record["name"] as? String, name)
            XCTAssertEqual(record["reason"] as? String, reason)
            XCTAssertNotNil(record["description"] as? String, note)
            XCTAssertNotNil(record["n_images"] as? Int, note)
            XCTAssertNotNil(record["n_videos"] as? Int, note)
            XCTAssertNotNil(record["created_at"] as? String, note)
        }
        let renamed = try XCTUnwrap(try parseJSON(try git(["notes", "--ref=dsnap", "show", ids[1]], dataset.path))
            as? [String: Any])
        XCTAssertEqual(renamed["description"] as? String, "renamed")
        XCTAssertEqual(renamed["n_videos"] as? Int, 2)
        let trained = try XCTUnwrap(try parseJSON(try git(["notes", "--ref=dsnap", "show", ids[2]], dataset.path))
            as? [String: Any])
        XCTAssertEqual(trained["training_model_id"] as? String, "m-7")
        XCTAssertEqual(trained["training_model_name"] as? String, "Net 7")

        // Git sees the tree dsnap counted: 5 images + CLIP2.MP4 and clip.mp4, no labels.csv, no .dsnap.
        let files = try git(["-c", "core.quotepath=false", "ls-tree", "-r", "--name-only", "HEAD"], dataset.path)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(files.count, 11, "\(files)")
        XCTAssertTrue(files.contains("videos/CLIP2.MP4"))
        XCTAssertTrue(files.contains("images/café/crème.jpg"))
        XCTAssertFalse(files.contains("labels.csv"))
        XCTAssertFalse(files.contains { $0.hasPrefix(".dsnap") || $0 == ".git" }, "\(files)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dataset.path + "/.git"), "a stray .git is left")
    }

    func testRenamingRewritesTheNoteNeverTheCommit() throws {
        let (dataset, creation) = try makeDataset()
        let id = try XCTUnwrap(creation["snapshot_id"] as? String)
        let commitBefore = try git(["cat-file", "commit", id], dataset.path)
        try snapshotObject(try E2E.run(["update", id, "--name", "new name", "-d", "new text", "--json"], in: dataset.path))
        XCTAssertEqual(try git(["cat-file", "commit", id], dataset.path), commitBefore)
        XCTAssertEqual(try git(["rev-parse", "HEAD"], dataset.path), id + "\n")
        let note = try XCTUnwrap(try parseJSON(try git(["notes", "--ref=dsnap", "show", id], dataset.path))
            as? [String: Any])
        XCTAssertEqual(note["name"] as? String, "new name")
        XCTAssertEqual(note["description"] as? String, "new text")
    }

    func testConfigHoldsTheDatasetNameAndFormat() throws {
        let dataset = try TemporaryDataset(fixture: "basic")
        try snapshotObject(try E2E.run(["init", "--json", "--name", "Street Scenes"], in: dataset.path))
        let config = dataset.path + "/.dsnap/config"
        let name = try E2E.tool("git", ["config", "--file", config, "dsnap.name"], in: dataset.path)
        XCTAssertEqual(name.stdout, "Street Scenes\n", name.stderr)
        let format = try E2E.tool("git", ["config", "--file", config, "dsnap.formatversion"],
                                              in: dataset.path)
        XCTAssertEqual(format.status, 0, "the format version is in .dsnap/config")
        XCTAssertEqual(try show("current", in: dataset.path)["source_dataset_name"] as? String, "Street Scenes")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dataset.path + "/.git"))
    }

    func testWorkTreeMatchesTheCurrentSnapshotForGit() throws {
        let (dataset, _) = try makeDataset()
        // git agrees with dsnap status, both ways.
        XCTAssertEqual(try E2E.git(["diff", "--quiet", "HEAD"], dataset: dataset.path, workTree: true).status, 0)
        try dataset.write("{\"changed\": true}\n", to: "videos/clip.json")
        let dirty = try E2E.git(["status", "--porcelain"], dataset: dataset.path, workTree: true)
        XCTAssertEqual(dirty.stdout, " M videos/clip.json\n", dirty.stderr)
        let status = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        XCTAssertEqual(status["clean"] as? Bool, false)
        try commit(in: dataset.path, now: "2026-03-01T10:00:01Z")
        XCTAssertEqual(try E2E.git(["status", "--porcelain"], dataset: dataset.path, workTree: true).stdout, "")
        // The commit dsnap made is one git can check out elsewhere, byte for byte.
        let export = try TemporaryDataset(emptyNamed: "export")
        let archive = try E2E.tool("sh", ["-c", "git --git-dir=\"$0\"/.dsnap archive HEAD | tar -x -C \"$1\"",
                                                      dataset.path, export.path], in: dataset.path)
        XCTAssertEqual(archive.status, 0, archive.stderr)
        XCTAssertEqual(try String(contentsOfFile: export.path + "/videos/clip.json", encoding: .utf8),
                       "{\"changed\": true}\n")
        XCTAssertEqual(FileManager.default.contents(atPath: export.path + "/images/dogs/IMG_0001.JPG"),
                       FileManager.default.contents(atPath: dataset.path + "/images/dogs/IMG_0001.JPG"))
    }
}

import Foundation
import XCTest

/// The snapshot lifecycle through the real binary: init, commit, log, update, delete, undelete,
/// and the media counts every snapshot records.
final class LifecycleE2ETests: XCTestCase {
    // MARK: init

    func testInitTakesCreationSnapshot() throws {
        let (dataset, creation) = try makeDataset()
        let id = try XCTUnwrap(creation["snapshot_id"] as? String)
        XCTAssertNotNil(id.range(of: "^[0-9a-f]{40}$", options: .regularExpression), id)
        XCTAssertEqual(creation["reason"] as? String, "creation")
        XCTAssertEqual(creation["is_current"] as? Bool, true)
        XCTAssertEqual(creation["is_restoring"] as? Bool, false)
        XCTAssertEqual(creation["n_images"] as? Int, 5)
        XCTAssertEqual(creation["n_videos"] as? Int, 1)
        XCTAssertEqual(creation["created_by"] as? String, "test@example.com")
        XCTAssertEqual(creation["source_dataset_name"] as? String, "basic")
        XCTAssertEqual(creation["snapshot_name"] as? String, "basic_snapshot_" + id.prefix(8))
        XCTAssertEqual(creation["description"] as? String, "")
        XCTAssertEqual(creation["created_at"] as? String, "2026-03-01T10:00:00.000000Z")

        // The same snapshot as `log` and `show current` see it.
        let log = try self.log(in: dataset.path)
        XCTAssertEqual(log.count, 1)
        XCTAssertEqual(log.first?["snapshot_id"] as? String, id)
        XCTAssertEqual(try show("current", in: dataset.path)["snapshot_id"] as? String, id)

        // libgit2 leaves a `.git` file pointing at `.dsnap`; dsnap must remove it.
        XCTAssertFalse(FileManager.default.fileExists(atPath: dataset.path + "/.git"), "a stray .git is left")
        let name = try E2E.tool("git", ["config", "--file", dataset.path + "/.dsnap/config", "dsnap.name"],
                                            in: dataset.path)
        XCTAssertEqual(name.status, 0, name.stderr)
        XCTAssertEqual(name.stdout, "basic\n")
    }

    func testInitHumanOutput() throws {
        let dataset = try TemporaryDataset(fixture: "basic")
        let run = expect(try E2E.run(["init"], in: dataset.path), exit: 0)
        XCTAssertEqual(run.stderr, "")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, run.transcript)
        XCTAssertEqual(lines.first, "Initialized dataset 'basic' in \(dataset.path)/.dsnap")
        XCTAssertNotNil(lines.last?.range(of: "^creation snapshot [0-9a-f]{12}: 5 images, 1 video$",
                                          options: .regularExpression), run.transcript)
    }

    func testInitIsDeterministicInAFixedEnvironment() throws {
        let (_, first) = try makeDataset()
        let (_, second) = try makeDataset()
        XCTAssertEqual(first["snapshot_id"] as? String, second["snapshot_id"] as? String,
                       "same content, author and clock must give the same id")
    }

    func testInitOverExistingDatasetExits4AndChangesNothing() throws {
        let (dataset, creation) = try makeDataset()
        let before = try E2E.run(["log", "--json"], in: dataset.path)
        expectError(try E2E.run(["init"], in: dataset.path), exit: 4, hint: true, mentioning: ["already a dataset"])
        expectError(try E2E.run(["init", "--json"], in: dataset.path), exit: 4, hint: true)
        // From a subfolder, naming the dataset folder.
        expectError(try E2E.run(["init", ".."], in: dataset.path + "/images"), exit: 4, hint: true)
        let after = try E2E.run(["log", "--json"], in: dataset.path)
        XCTAssertEqual(after.stdout, before.stdout)
        XCTAssertEqual(try show("current", in: dataset.path)["snapshot_id"] as? String,
                       creation["snapshot_id"] as? String)
    }

    // MARK: commit and log

    func testCommitWithNameAndDescriptionBecomesCurrent() throws {
        let (dataset, creation) = try makeDataset()
        let creationID = try XCTUnwrap(creation["snapshot_id"] as? String)
        let snapshot = try commit(["-m", "labelled v1", "-d", "first labelling pass"], in: dataset.path,
                                  now: "2026-03-01T10:00:01Z")
        let id = try XCTUnwrap(snapshot["snapshot_id"] as? String)
        XCTAssertNotEqual(id, creationID)
        XCTAssertEqual(snapshot["snapshot_name"] as? String, "labelled v1")
        XCTAssertEqual(snapshot["description"] as? String, "first labelling pass")
        XCTAssertEqual(snapshot["reason"] as? String, "manual")
        XCTAssertEqual(snapshot["is_current"] as? Bool, true)
        XCTAssertEqual(snapshot["created_by"] as? String, "test@example.com")
        XCTAssertEqual(snapshot["created_at"] as? String, "2026-03-01T10:00:01.000000Z")

        XCTAssertEqual(try show("current", in: dataset.path)["snapshot_id"] as? String, id)
        XCTAssertEqual(try show(creationID, in: dataset.path)["is_current"] as? Bool, false,
                       "the previous snapshot must stop being current")
        let current = try log(in: dataset.path).filter { $0["is_current"] as? Bool == true }
        XCTAssertEqual(current.map { $0["snapshot_id"] as? String }, [id], "exactly one current snapshot")
    }

    func testCommitHumanOutput() throws {
        let (dataset, _) = try makeDataset()
        try dataset.write("{\"label\": \"cat\"}\n", to: "images/cats/extra.json")
        let run = expect(try E2E.run(["commit", "-m", "with extra"], in: dataset.path, now: "2026-03-01T10:00:01Z"),
                         exit: 0)
        XCTAssertEqual(run.stderr, "")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, run.transcript)
        XCTAssertNotNil(lines.first?.range(of: "^\\[[0-9a-f]{12}\\] with extra$", options: .regularExpression),
                        run.transcript)
        XCTAssertEqual(lines.last, "  5 images, 1 video; now current")
        XCTAssertFalse(run.stdout.contains("nothing changed"), "a real change is not 'nothing changed'")

        // -q prints nothing, and still commits.
        let quiet = expect(try E2E.run(["commit", "-q", "-m", "quiet one"], in: dataset.path,
                                       now: "2026-03-01T10:00:02Z"), exit: 0)
        XCTAssertEqual(quiet.stdout, "")
        XCTAssertEqual(quiet.stderr, "")
        XCTAssertEqual(try show("current", in: dataset.path)["snapshot_name"] as? String, "quiet one")
    }

    func testCommitWithNothingChangedStillWorksAndSaysSo() throws {
        let (dataset, creation) = try makeDataset()
        let run = expect(try E2E.run(["commit", "-m", "checkpoint"], in: dataset.path, now: "2026-03-01T10:00:01Z"),
                         exit: 0)
        XCTAssertTrue(run.stdout.contains("nothing changed"), run.transcript)
        XCTAssertEqual(run.stderr, "")
        let log = try self.log(in: dataset.path)
        XCTAssertEqual(log.count, 2)
        XCTAssertEqual(log.first?["snapshot_name"] as? String, "checkpoint")
        XCTAssertEqual(log.first?["is_current"] as? Bool, true)
        XCTAssertEqual(log.last?["snapshot_id"] as? String, creation["snapshot_id"] as? String)

        // A checkpoint without a name gets the default name, and a different id from its parent.
        let unnamed = try commit(in: dataset.path, now: "2026-03-01T10:00:02Z")
        let id = try XCTUnwrap(unnamed["snapshot_id"] as? String)
        XCTAssertEqual(unnamed["snapshot_name"] as? String, "basic_snapshot_" + id.prefix(8))
        XCTAssertEqual(try self.log(in: dataset.path).count, 3)
    }

    func testLogListsNewestFirstAndLimits() throws {
        let (dataset, creation) = try makeDataset(now: "2026-03-01T10:00:00Z")
        var ids = [try XCTUnwrap(creation["snapshot_id"] as? String)]
        for (index, now) in ["2026-03-01T10:00:01Z", "2026-03-01T10:00:02Z", "2026-03-01T10:00:03Z"].enumerated() {
            try dataset.write("{\"step\": \(index)}\n", to: "step.json")
            ids.append(try idOf(try commit(["-m", "step \(index)"], in: dataset.path, now: now)))
        }
        let log = try self.log(in: dataset.path)
        XCTAssertEqual(log.compactMap { $0["snapshot_id"] as? String }, ids.reversed(), "newest first")
        let times = log.compactMap { $0["created_at"] as? String }
        XCTAssertEqual(times, ["2026-03-01T10:00:03.000000Z", "2026-03-01T10:00:02.000000Z",
                               "2026-03-01T10:00:01.000000Z", "2026-03-01T10:00:00.000000Z"])
        XCTAssertEqual(log.map { $0["is_current"] as? Bool }, [true, false, false, false])

        XCTAssertEqual(try self.log(["-n", "1"], in: dataset.path).compactMap { $0["snapshot_id"] as? String },
                       [ids[3]])
        XCTAssertEqual(try self.log(["--max-count=2"], in: dataset.path).compactMap { $0["snapshot_id"] as? String },
                       [ids[3], ids[2]])
        XCTAssertEqual(try self.log(["-n", "0"], in: dataset.path).count, 0)
        XCTAssertEqual(try self.log(["-n", "99"], in: dataset.path).count, 4)

        // Human form: one line per snapshot, newest first, the current one marked.
        let human = expect(try E2E.run(["log"], in: dataset.path), exit: 0)
        XCTAssertEqual(human.stderr, "")
        let lines = human.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, human.transcript)
        XCTAssertEqual(lines.map { String($0.prefix(12)) }, ids.reversed().map { String($0.prefix(12)) })
        XCTAssertTrue(lines[0].hasSuffix("step 2  (current)"), lines[0])
        XCTAssertTrue(lines[3].contains("creation"), lines[3])
        let one = expect(try E2E.run(["log", "-n", "1"], in: dataset.path), exit: 0)
        XCTAssertEqual(one.stdout.split(separator: "\n").count, 1, one.transcript)
    }

    // MARK: update

    func testUpdateChangesNameAndDescriptionAndKeepsTheId() throws {
        let (dataset, creation) = try makeDataset()
        let id = try XCTUnwrap(creation["snapshot_id"] as? String)
        let updated = try snapshotObject(try E2E.run(["update", id, "--name", "renamed", "--description", "new words",
                                                      "--json"], in: dataset.path))
        XCTAssertEqual(updated["snapshot_id"] as? String, id)
        XCTAssertEqual(updated["snapshot_name"] as? String, "renamed")
        XCTAssertEqual(updated["description"] as? String, "new words")
        XCTAssertEqual(updated["reason"] as? String, "creation", "update keeps the reason")
        XCTAssertEqual(updated["created_at"] as? String, creation["created_at"] as? String)

        let shown = try show("renamed", in: dataset.path)
        XCTAssertEqual(shown["snapshot_id"] as? String, id)
        XCTAssertEqual(shown["description"] as? String, "new words")
        XCTAssertEqual(try E2E.git(["rev-parse", "HEAD"], dataset: dataset.path).stdout, id + "\n",
                       "renaming never rewrites the commit")

        // One option at a time leaves the other as it was.
        let described = try snapshotObject(try E2E.run(["update", "renamed", "-d", "only the description", "--json"],
                                                       in: dataset.path))
        XCTAssertEqual(described["snapshot_name"] as? String, "renamed")
        XCTAssertEqual(described["description"] as? String, "only the description")
        let named = expect(try E2E.run(["update", "current", "-m", "short"], in: dataset.path), exit: 0)
        XCTAssertEqual(named.stdout, "updated snapshot \(id.prefix(12)): short\n")
        XCTAssertEqual(named.stderr, "")
        let final = try show(id, in: dataset.path)
        XCTAssertEqual(final["snapshot_name"] as? String, "short")
        XCTAssertEqual(final["description"] as? String, "only the description")
        // The old name no longer resolves.
        expectError(try E2E.run(["show", "renamed"], in: dataset.path), exit: 3, hint: true)
    }

    func testUpdateWithNeitherOptionExits2() throws {
        let (dataset, creation) = try makeDataset()
        let before = try E2E.run(["show", "current", "--json"], in: dataset.path).stdout
        expectError(try E2E.run(["update", "current"], in: dataset.path), exit: 2, hint: true)
        expectError(try E2E.run(["update", try XCTUnwrap(creation["snapshot_id"] as? String), "--json"],
                                in: dataset.path), exit: 2, hint: true)
        XCTAssertEqual(try E2E.run(["show", "current", "--json"], in: dataset.path).stdout, before)
    }

    func testUpdateOfUnknownSnapshotExits3() throws {
        let (dataset, _) = try makeDataset()
        let before = try E2E.run(["log", "--json"], in: dataset.path).stdout
        expectError(try E2E.run(["update", "no-such-snapshot", "--name", "x"], in: dataset.path), exit: 3,
                    hint: true, mentioning: ["no-such-snapshot"])
        expectError(try E2E.run(["update", "0000000000000000000000000000000000000000", "-d", "x"], in: dataset.path),
                    exit: 3, hint: true)
        XCTAssertEqual(try E2E.run(["log", "--json"], in: dataset.path).stdout, before)
    }

    // MARK: delete and undelete

    func testDeleteOfCurrentSnapshotExits4AndChangesNothing() throws {
        let (dataset, _) = try makeDataset()
        try commit(["-m", "second"], in: dataset.path, now: "2026-03-01T10:00:01Z")
        let before = try E2E.run(["log", "--json"], in: dataset.path).stdout
        let refsBefore = try E2E.snapshotRefs(dataset.path)
        expectError(try E2E.run(["delete", "current"], in: dataset.path), exit: 4, hint: true,
                    mentioning: ["current"])
        expectError(try E2E.run(["delete", "second"], in: dataset.path), exit: 4, hint: true)
        XCTAssertEqual(try E2E.run(["log", "--json"], in: dataset.path).stdout, before, "log changed")
        XCTAssertEqual(try E2E.snapshotRefs(dataset.path), refsBefore)
        XCTAssertEqual(try log(["--deleted"], in: dataset.path).count, 0)
    }

    func testDeleteHidesSnapshotAndUndeleteBringsItBack() throws {
        let (dataset, creation) = try makeDataset()
        let oldID = try XCTUnwrap(creation["snapshot_id"] as? String)
        try snapshotObject(try E2E.run(["update", oldID, "--name", "old one", "--json"], in: dataset.path))
        try commit(["-m", "newer"], in: dataset.path, now: "2026-03-01T10:00:01Z")

        let deleted = expect(try E2E.run(["delete", "old one"], in: dataset.path), exit: 0)
        XCTAssertEqual(deleted.stdout, "deleted snapshot \(oldID.prefix(12)): old one\n")
        XCTAssertTrue(deleted.stderr.contains("dsnap undelete \(oldID.prefix(12))"), deleted.transcript)

        // Hidden from log, show (by id, prefix and name) and every other look-up.
        XCTAssertEqual(try log(in: dataset.path).compactMap { $0["snapshot_name"] as? String }, ["newer"])
        for reference in [oldID, String(oldID.prefix(8)), "old one"] {
            expectError(try E2E.run(["show", reference], in: dataset.path), exit: 3, hint: true,
                        mentioning: ["deleted"])
            expectError(try E2E.run(["show", reference, "--json"], in: dataset.path), exit: 3,
                        mentioning: ["deleted"])
        }
        expectError(try E2E.run(["update", "old one", "-d", "x"], in: dataset.path), exit: 3, mentioning: ["deleted"])
        expectError(try E2E.run(["delete", oldID], in: dataset.path), exit: 3, mentioning: ["deleted"])

        // log --deleted lists it, and only it.
        let listed = try log(["--deleted"], in: dataset.path)
        XCTAssertEqual(listed.compactMap { $0["snapshot_id"] as? String }, [oldID])
        XCTAssertEqual(listed.first?["snapshot_name"] as? String, "old one")
        let human = expect(try E2E.run(["log", "--deleted"], in: dataset.path), exit: 0)
        XCTAssertTrue(human.stdout.hasPrefix(String(oldID.prefix(12))), human.transcript)
        XCTAssertEqual(human.stdout.split(separator: "\n").count, 1)

        // undelete brings it back everywhere.
        let back = expect(try E2E.run(["undelete", "old one"], in: dataset.path), exit: 0)
        XCTAssertEqual(back.stdout, "undeleted snapshot \(oldID.prefix(12)): old one\n")
        XCTAssertEqual(try log(in: dataset.path).compactMap { $0["snapshot_name"] as? String }, ["newer", "old one"])
        XCTAssertEqual(try show("old one", in: dataset.path)["snapshot_id"] as? String, oldID)
        XCTAssertEqual(try log(["--deleted"], in: dataset.path).count, 0)

        // Undeleting a live snapshot is a conflict; an unknown one is not found.
        expectError(try E2E.run(["undelete", oldID], in: dataset.path), exit: 4)
        expectError(try E2E.run(["undelete", "current"], in: dataset.path), exit: 4)
        expectError(try E2E.run(["undelete", "never-existed"], in: dataset.path), exit: 3)
    }

    func testDeleteAndUndeleteJSON() throws {
        let (dataset, creation) = try makeDataset()
        let id = try XCTUnwrap(creation["snapshot_id"] as? String)
        try commit(in: dataset.path, now: "2026-03-01T10:00:01Z")
        let deleted = try snapshotObject(try E2E.run(["delete", id, "--json"], in: dataset.path))
        XCTAssertEqual(deleted["snapshot_id"] as? String, id)
        XCTAssertEqual(deleted["is_current"] as? Bool, false)
        let undeleted = try snapshotObject(try E2E.run(["undelete", String(id.prefix(10)), "--json"], in: dataset.path))
        XCTAssertEqual(undeleted["snapshot_id"] as? String, id)
        XCTAssertEqual(try log(in: dataset.path).count, 2)
    }

    // MARK: media counts

    func testMediaCountsAreCaseInsensitiveAndIgnoreJSON() throws {
        let (dataset, creation) = try makeDataset()
        // fixtures/basic has images/dogs/IMG_0001.JPG: an upper-case extension is an image.
        XCTAssertEqual(creation["n_images"] as? Int, 5)
        XCTAssertEqual(creation["n_videos"] as? Int, 1)
        let files = try jsonObject(try E2E.run(["show", "current", "--files", "--json"], in: dataset.path))
        let classes = (files["files"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) {
            $0[$1["path"] as? String ?? ""] = $1["class"] as? String
        }
        XCTAssertEqual(classes["images/dogs/IMG_0001.JPG"], "image")
        XCTAssertEqual(classes["videos/clip.mp4"], "video")
        XCTAssertEqual(classes["images/cats/a.json"], "json")
        XCTAssertEqual(classes["labels.csv"], "other")
        XCTAssertEqual(classes.count, 11, "fixtures/basic has 11 files")

        // An upper-case .MP4 is a video.
        try FileManager.default.copyItem(atPath: dataset.path + "/videos/clip.mp4",
                                         toPath: dataset.path + "/videos/CLIP2.MP4")
        let withVideo = try commit(in: dataset.path, now: "2026-03-01T10:00:01Z")
        XCTAssertEqual(withVideo["n_videos"] as? Int, 2)
        XCTAssertEqual(withVideo["n_images"] as? Int, 5)

        // A .json file is neither; neither is a .JSON or a .txt.
        try dataset.write("{\"a\": 1}\n", to: "videos/CLIP2.json")
        try dataset.write("{\"a\": 1}\n", to: "images/EXTRA.JSON")
        try dataset.write("notes\n", to: "notes.txt")
        let withJSON = try commit(in: dataset.path, now: "2026-03-01T10:00:02Z")
        XCTAssertEqual(withJSON["n_images"] as? Int, 5)
        XCTAssertEqual(withJSON["n_videos"] as? Int, 2)

        // Mixed-case image extensions count; removing media lowers the counts.
        try FileManager.default.copyItem(atPath: dataset.path + "/images/cats/a.jpg",
                                         toPath: dataset.path + "/images/cats/Copy.JpEg")
        try FileManager.default.removeItem(atPath: dataset.path + "/videos/clip.mp4")
        let mixed = try commit(in: dataset.path, now: "2026-03-01T10:00:03Z")
        XCTAssertEqual(mixed["n_images"] as? Int, 6)
        XCTAssertEqual(mixed["n_videos"] as? Int, 1)

        // The counts are the snapshot's, not the work tree's: older ones keep theirs.
        XCTAssertEqual(try show(try XCTUnwrap(withVideo["snapshot_id"] as? String), in: dataset.path)["n_videos"]
            as? Int, 2)
        XCTAssertEqual(try show(try XCTUnwrap(creation["snapshot_id"] as? String), in: dataset.path)["n_images"]
            as? Int, 5)
    }
}

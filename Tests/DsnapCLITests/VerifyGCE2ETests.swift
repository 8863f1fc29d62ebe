import Foundation
import XCTest

/// `dsnap verify` finds every kind of damage and names where it matters; `dsnap gc` frees only
/// what nothing needs, and the store stays sound for dsnap and plain git.
final class VerifyGCE2ETests: XCTestCase {
    private func git(_ arguments: [String], in dataset: TemporaryDataset) throws -> String {
        let result = try E2E.git(arguments, dataset: dataset.path)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func objectPath(_ id: String, in dataset: TemporaryDataset) -> String {
        "\(dataset.path)/.dsnap/objects/\(id.prefix(2))/\(id.dropFirst(2))"
    }

    private func expectSound(_ dataset: TemporaryDataset, all: Bool = true, line: UInt = #line) throws {
        let report = try jsonObject(E2E.run(["verify", "--json"] + (all ? ["--all"] : []), in: dataset.path), line: line)
        XCTAssertEqual(report["sound"] as? Bool, true, "\(report)", line: line)
        let fsck = try E2E.git(["fsck", "--full", "--strict"], dataset: dataset.path)
        XCTAssertEqual(fsck.status, 0, fsck.stderr + fsck.stdout, line: line)
    }

    /// A dataset whose creation snapshot is named `creation`, with a second snapshot `tagged`
    /// that adds one JSON file.
    private func tagged() throws -> TemporaryDataset {
        let (dataset, creation) = try makeDataset()
        expect(try E2E.run(["update", try idOf(creation), "--name", "creation"], in: dataset.path), exit: 0)
        try dataset.write("{\"label\": \"cat\"}", to: "images/new.json")
        try commit(["-m", "tagged"], in: dataset.path)
        return dataset
    }

    func testASoundDatasetVerifiesWithExit0() throws {
        let dataset = try tagged()
        let run = expect(try E2E.run(["verify"], in: dataset.path), exit: 0)
        XCTAssertTrue(run.stdout.hasPrefix("verified 2 snapshots, "), run.transcript)
        XCTAssertTrue(run.stdout.contains("no problems"), run.transcript)
        let report = try jsonObject(E2E.run(["verify", "--json"], in: dataset.path))
        XCTAssertEqual(report["snapshots_checked"] as? Int, 2)
        XCTAssertGreaterThan(report["objects_checked"] as? Int ?? 0, 10)
        XCTAssertEqual((report["problems"] as? [Any])?.count, 0)
        expect(try E2E.run(["verify", "tagged", "current"], in: dataset.path), exit: 0)
        // A deleted snapshot named is verified too.
        expect(try E2E.run(["delete", "creation"], in: dataset.path), exit: 0)
        expect(try E2E.run(["verify", "creation"], in: dataset.path), exit: 0)
        expectError(try E2E.run(["verify", "nope"], in: dataset.path), exit: 3)
        expectError(try E2E.run(["verify", "--all", "tagged"], in: dataset.path), exit: 2)
    }

    func testDamagedObjectsAreNamedWithTheirPathsAndSnapshots() throws {
        let dataset = try tagged()
        let json = try git(["rev-parse", "HEAD:images/new.json"], in: dataset)
        let listing = try git(["ls-tree", "-r", "HEAD"], in: dataset).split(separator: "\n")
        let imageLine = try XCTUnwrap(listing.first { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") })
        let image = String(imageLine.split(separator: " ")[2].prefix(40))
        let imagePath = String(imageLine.split(separator: "\t")[1])
        // One byte of the image's stored object flipped; the sidecar gone.
        let imageFile = objectPath(image, in: dataset)
        chmod(imageFile, 0o644)
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: imageFile))
        try handle.seek(toOffset: 60)
        try handle.write(contentsOf: Data([0x5A]))
        try handle.close()
        try FileManager.default.removeItem(atPath: objectPath(json, in: dataset))

        // Problems are data (stdout); the error line closes on stderr.
        let text = expect(try E2E.run(["verify"], in: dataset.path), exit: 6)
        XCTAssertTrue(text.stderr.hasPrefix("dsnap: error: verify found 2 problems"), text.transcript)
        XCTAssertTrue(text.stdout.contains("missing object \(json.prefix(12)) (images/new.json in snapshot tagged)"),
                      text.transcript)
        XCTAssertTrue(text.stdout.contains("corrupt object \(image.prefix(12)) (\(imagePath) in snapshots "),
                      text.transcript)
        XCTAssertTrue(text.stdout.contains("  fix: copy .dsnap/objects/"), text.transcript)
        let report = try XCTUnwrap(try parseJSON(E2E.run(["verify", "--json"], in: dataset.path).stdout) as? [String: Any])
        XCTAssertEqual(report["sound"] as? Bool, false)
        let problems = try XCTUnwrap(report["problems"] as? [[String: Any]])
        XCTAssertEqual(Set(problems.compactMap { $0["kind"] as? String }), ["missing_object", "corrupt_object"])
        let corrupt = try XCTUnwrap(problems.first { $0["kind"] as? String == "corrupt_object" })
        XCTAssertEqual(corrupt["object"] as? String, image)
        XCTAssertEqual((corrupt["snapshots"] as? [Any])?.count, 2, "both snapshots hold the image")
    }

    func testRecordsRefsAndHeadAreChecked() throws {
        let dataset = try tagged()
        // HEAD moved off dsnap's branch by plain git.
        _ = try git(["checkout", "-q", "--detach"], in: dataset)
        let detached = try E2E.run(["verify"], in: dataset.path)
        XCTAssertEqual(detached.status, 6, detached.transcript)
        XCTAssertTrue(detached.stdout.contains("HEAD is not on dsnap's branch 'main'"), detached.transcript)
        _ = try git(["symbolic-ref", "HEAD", "refs/heads/main"], in: dataset)
        try expectSound(dataset)

        // A ref to a commit that does not exist.
        let missing = String(repeating: "cd", count: 20)
        try "\(missing)\n".write(toFile: dataset.path + "/.dsnap/refs/dsnap/snapshots/\(missing)", atomically: false,
                                 encoding: .utf8)
        let dangling = try E2E.run(["verify", "--json"], in: dataset.path)
        XCTAssertEqual(dangling.status, 6, dangling.transcript)
        XCTAssertTrue(dangling.stdout.contains("\"missing_object\""), dangling.transcript)
        try FileManager.default.removeItem(atPath: dataset.path + "/.dsnap/refs/dsnap/snapshots/\(missing)")

        // A record whose counts disagree with its tree.
        let id = try git(["rev-parse", "HEAD"], in: dataset)
        let note = try git(["notes", "--ref=dsnap", "show", id], in: dataset)
        let wrong = note.replacingOccurrences(of: "\"n_images\": 5", with: "\"n_images\": 9")
        XCTAssertNotEqual(wrong, note)
        _ = try git(["-c", "user.name=T", "-c", "user.email=t@e", "notes", "--ref=dsnap", "add", "-f", "-m", wrong, id],
                    in: dataset)
        let counts = try E2E.run(["verify"], in: dataset.path)
        XCTAssertEqual(counts.status, 6, counts.transcript)
        XCTAssertTrue(counts.stdout.contains("bad record (snapshot tagged): its record counts 9 images"), counts.transcript)
    }

    func testANoteThatIsNotJSONIsReportedAndUpdateRepairsIt() throws {
        let dataset = try tagged()
        let id = try git(["rev-parse", "HEAD"], in: dataset)
        _ = try git(["-c", "user.name=T", "-c", "user.email=t@e", "notes", "--ref=dsnap", "add", "-f", "-m",
                     "{not json", id], in: dataset)
        let run = try E2E.run(["verify"], in: dataset.path)
        XCTAssertEqual(run.status, 6, run.transcript)
        XCTAssertTrue(run.stdout.contains("bad record"), run.transcript)
        XCTAssertTrue(run.stdout.contains("dsnap update \(id.prefix(12)) --name NAME"), run.transcript)
        expectError(try E2E.run(["log"], in: dataset.path), exit: 6, hint: true, mentioning: ["not valid JSON"])
        expect(try E2E.run(["update", String(id.prefix(12)), "--name", "repaired"], in: dataset.path), exit: 0)
        try expectSound(dataset)
        XCTAssertEqual(try show("repaired", in: dataset.path)["snapshot_id"] as? String, id)
    }

    func testGCRemovesOnlyWhatNothingNeeds() throws {
        let dataset = try tagged()
        // An object no snapshot names (a killed commit's), one only the index names, a leftover.
        let orphanFile = dataset.path + "/../orphan"
        try "orphan".write(toFile: orphanFile, atomically: false, encoding: .utf8)
        let orphan = try git(["hash-object", "-w", orphanFile], in: dataset)
        try "staged".write(toFile: orphanFile, atomically: false, encoding: .utf8)
        let staged = try git(["hash-object", "-w", orphanFile], in: dataset)
        _ = try git(["update-index", "--add", "--cacheinfo", "100644,\(staged),images/staged.json"], in: dataset)
        FileManager.default.createFile(atPath: dataset.path + "/.dsnap/objects/tmp_dsnap_4242", contents: Data("x".utf8))

        let dry = try jsonObject(E2E.run(["gc", "--dry-run", "--json"], in: dataset.path))
        XCTAssertEqual(dry["dry_run"] as? Bool, true)
        XCTAssertEqual(dry["objects_removed"] as? Int, 1)
        XCTAssertEqual(dry["temporary_files_removed"] as? Int, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: objectPath(orphan, in: dataset)), "dry run removed")

        let report = try jsonObject(E2E.run(["gc", "--json"], in: dataset.path))
        XCTAssertEqual(report["objects_removed"] as? Int, 1)
        XCTAssertGreaterThan(report["objects_packed"] as? Int ?? 0, 15)
        XCTAssertFalse(FileManager.default.fileExists(atPath: objectPath(orphan, in: dataset)))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dataset.path + "/.dsnap/objects/tmp_dsnap_4242"))
        XCTAssertEqual(try git(["cat-file", "-t", staged], in: dataset), "blob", "an object the index names was removed")
        try expectSound(dataset)
        // Everything still restores, from packs now.
        expect(try E2E.run(["restore", "--discard", "creation"], in: dataset.path), exit: 0)
        expect(try E2E.run(["restore", "tagged"], in: dataset.path), exit: 0)
        XCTAssertEqual(try dataset.read("images/new.json"), "{\"label\": \"cat\"}")
        // A second gc has nothing left to pack.
        let again = try jsonObject(E2E.run(["gc", "--json"], in: dataset.path))
        XCTAssertEqual(again["objects_packed"] as? Int, 0)
        try expectSound(dataset)
    }

    func testPruneDeletedPurgesForGoodAndTheTombstoneSaysWhen() throws {
        let (dataset, creation) = try makeDataset()
        try dataset.write("{\"big\": \"only in the experiment\"}", to: "images/experiment.json")
        let experiment = try idOf(try commit(["-m", "experiment"], in: dataset.path))
        let blob = try git(["rev-parse", "HEAD:images/experiment.json"], in: dataset)
        expect(try E2E.run(["restore", "--discard", try idOf(creation)], in: dataset.path), exit: 0)
        expect(try E2E.run(["delete", "experiment"], in: dataset.path), exit: 0)
        let deleted = try XCTUnwrap(try log(["--deleted"], in: dataset.path).first)
        XCTAssertEqual(deleted["snapshot_id"] as? String, experiment)

        // Deleted a moment ago: a 30-day age keeps it.
        let young = try jsonObject(E2E.run(["gc", "--prune-deleted", "--json"], in: dataset.path))
        XCTAssertEqual((young["purged"] as? [Any])?.count, 0)
        let purged = try jsonObject(E2E.run(["gc", "--prune-deleted=now", "--json"], in: dataset.path))
        XCTAssertEqual(((purged["purged"] as? [[String: Any]])?.first?["snapshot_id"]) as? String, experiment)
        XCTAssertFalse(FileManager.default.fileExists(atPath: objectPath(blob, in: dataset)), "its objects stayed")
        XCTAssertEqual(try log(["--deleted"], in: dataset.path).count, 0)
        expectError(try E2E.run(["undelete", experiment], in: dataset.path), exit: 3)
        let tombstone = try git(["cat-file", "-p", "refs/dsnap/deleted/\(experiment)"], in: dataset)
        XCTAssertTrue(tombstone.contains("\"purged_at\""), tombstone)
        try expectSound(dataset)
        // Plain git's gc has nothing to say about a purge record.
        let gitGC = try E2E.git(["gc", "--prune=now", "--quiet"], dataset: dataset.path)
        XCTAssertEqual(gitGC.status, 0, gitGC.stderr)
        XCTAssertEqual(gitGC.stderr, "")
        try expectSound(dataset)
        expectError(try E2E.run(["gc", "--prune-deleted=soon"], in: dataset.path), exit: 2, mentioning: ["'soon'"])
    }

    /// A snapshot in the middle of a straight line of snapshots: purging it frees what only it
    /// held, although a later snapshot was taken on top of it (git's shallow file cuts the link).
    func testPurgingASnapshotWithDescendantsFreesWhatOnlyItHeld() throws {
        let (dataset, creation) = try makeDataset()
        try dataset.write("{\"draft\": \"only in the middle snapshot\"}", to: "images/draft.json")
        let middle = try idOf(try commit(["-m", "middle"], in: dataset.path))
        let blob = try git(["rev-parse", "HEAD:images/draft.json"], in: dataset)
        try FileManager.default.removeItem(atPath: dataset.path + "/images/draft.json")
        let last = try idOf(try commit(["-m", "last"], in: dataset.path))
        expect(try E2E.run(["delete", "middle"], in: dataset.path), exit: 0)
        let dry = try jsonObject(E2E.run(["gc", "--prune-deleted=now", "--dry-run", "--json"], in: dataset.path))
        XCTAssertGreaterThanOrEqual(dry["objects_removed"] as? Int ?? 0, 3, "commit, tree and blob: \(dry)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: objectPath(blob, in: dataset)), "dry run removed")
        expect(try E2E.run(["gc", "--prune-deleted=now"], in: dataset.path), exit: 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: objectPath(blob, in: dataset)), "its blob stayed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: objectPath(middle, in: dataset)), "its commit stayed")
        let shallow = try String(contentsOfFile: dataset.path + "/.dsnap/shallow", encoding: .utf8)
        XCTAssertEqual(shallow, last + "\n")
        try expectSound(dataset)
        // The later snapshot still names its parent; plain git's log and gc stop there.
        XCTAssertEqual(try show("last", in: dataset.path)["parent_snapshot_id"] as? String, middle)
        XCTAssertEqual(try git(["log", "--format=%H"], in: dataset), last)
        let gitGC = try E2E.git(["gc", "--prune=now", "--quiet"], dataset: dataset.path)
        XCTAssertEqual(gitGC.status, 0, gitGC.stderr)
        try expectSound(dataset)
        expect(try E2E.run(["restore", "--discard", try idOf(creation)], in: dataset.path), exit: 0)
    }

    func testPruneAutosavesNeverTakesTheCurrentSnapshot() throws {
        let (dataset, _) = try makeDataset()
        try dataset.write("{\"draft\": 1}", to: "images/draft.json")
        let restore = try jsonObject(E2E.run(["restore", "--discard", "current", "--json"], in: dataset.path))
        let autosave = try XCTUnwrap((restore["autosave"] as? [String: Any])?["snapshot_id"] as? String)
        let report = try jsonObject(E2E.run(["gc", "--prune-autosaves=now", "--json"], in: dataset.path))
        let purged = try XCTUnwrap(report["purged"] as? [[String: Any]])
        XCTAssertEqual(purged.map { $0["snapshot_id"] as? String }, [autosave])
        XCTAssertEqual(purged.first?["kind"] as? String, "autosave")
        XCTAssertEqual(try log(["--all"], in: dataset.path).count, 1)
        try expectSound(dataset)
    }

    func testPlainGitGCKeepsEverythingDsnapNeeds() throws {
        let dataset = try tagged()
        expect(try E2E.run(["delete", "creation"], in: dataset.path), exit: 0)
        let gc = try E2E.git(["gc", "--prune=now", "--quiet"], dataset: dataset.path)
        XCTAssertEqual(gc.status, 0, gc.stderr)
        try expectSound(dataset)
        expect(try E2E.run(["undelete", "creation"], in: dataset.path), exit: 0)
        expect(try E2E.run(["restore", "creation"], in: dataset.path), exit: 0)
        expect(try E2E.run(["status"], in: dataset.path), exit: 0)
    }
}

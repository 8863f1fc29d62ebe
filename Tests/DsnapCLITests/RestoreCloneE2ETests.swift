import Foundation
import XCTest

/// Restore and clone, end to end: the built binary on real files, checked byte for byte.
final class RestoreCloneE2ETests: XCTestCase {
    private func dsnap(_ arguments: [String], in directory: String, now: String = "2026-03-01T10:00:00Z")
        throws -> ProcessResult {
        try DsnapProcess.run(arguments, in: directory, environment: DsnapProcess.environment(now: now))
    }

    private func json(_ result: ProcessResult) throws -> [String: Any] {
        try XCTUnwrap(try parseJSON(result.stdout) as? [String: Any], result.stdout + result.stderr)
    }

    /// The id of the snapshot a `--json` run reports (its member `snapshot`).
    private func snapshotID(_ result: ProcessResult) throws -> String {
        try XCTUnwrap((try json(result)["snapshot"] as? [String: Any])?["snapshot_id"] as? String,
                      result.stdout + result.stderr)
    }

    private func inode(_ path: String) throws -> UInt64 {
        try XCTUnwrap((try FileManager.default.attributesOfItem(atPath: path))[.systemFileNumber] as? UInt64)
    }

    /// A dataset with a creation snapshot and a second one that edits, adds and deletes files.
    private func twoSnapshots() throws -> (TemporaryDataset, creation: String, second: String) {
        let data = try TemporaryDataset()
        let creation = try snapshotID(try dsnap(["init", "--json"], in: data.path))
        try data.write(#"{"labels": ["dog"]}"#, to: "images/cats/a.json")
        try FileManager.default.removeItem(atPath: data.path + "/labels.csv")
        try data.write("new", to: "extra/notes.txt")
        try FileManager.default.createSymbolicLink(atPath: data.path + "/link.jpg", withDestinationPath: "images/cats/a.jpg")
        let second = try snapshotID(try dsnap(["commit", "-m", "second", "--json"], in: data.path,
                                              now: "2026-03-01T10:00:01Z"))
        return (data, creation, second)
    }

    func testRestoreMakesTheWorkTreeTheSnapshotsAndKeepsUnchangedFiles() throws {
        let (data, creation, second) = try twoSnapshots()
        let untouched = try inode(data.path + "/images/dogs/b.png")
        try data.write("ignored", to: "scratch.tmp")
        try data.write("*.tmp\n", to: ".dsnapignore")
        // .dsnapignore itself is a change: commit it so the restore is clean.
        XCTAssertEqual(try dsnap(["commit", "-q", "-m", "ignore"], in: data.path, now: "2026-03-01T10:00:02Z").status, 0)

        let restored = try dsnap(["restore", creation, "--json"], in: data.path)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try json(restored)["autosave"] as? NSNull, NSNull())
        XCTAssertEqual(try inode(data.path + "/images/dogs/b.png"), untouched, "an unchanged file was rewritten")
        XCTAssertFalse(FileManager.default.fileExists(atPath: data.path + "/extra"), "a folder the snapshot lacks stayed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: data.path + "/link.jpg"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: data.path + "/scratch.tmp"), "an ignored file was removed")
        XCTAssertEqual(try data.read("labels.csv").prefix(11), "category_id")
        // The creation snapshot has no .dsnapignore: from now on scratch.tmp is an ordinary new file.
        try FileManager.default.removeItem(atPath: data.path + "/scratch.tmp")

        let log = try XCTUnwrap(try parseJSON(try dsnap(["log", "--json"], in: data.path).stdout) as? [[String: Any]])
        XCTAssertEqual(log.first { $0["is_current"] as? Bool == true }?["snapshot_id"] as? String, creation)
        XCTAssertEqual(log.count, 3, "restoring never hides a newer snapshot")

        // Back to the second snapshot: the symlink comes back as a link, never followed.
        XCTAssertEqual(try dsnap(["restore", second], in: data.path).status, 0)
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: data.path + "/link.jpg")
        XCTAssertEqual(link, "images/cats/a.jpg")
        XCTAssertEqual(try dsnap(["status", "--json"], in: data.path).stdout.contains("\"clean\": true"), true)
        let fsck = try DsnapProcess.runTool("git", ["--git-dir=.dsnap", "fsck", "--full"], in: data.path)
        XCTAssertEqual(fsck.status, 0, fsck.stderr)
        XCTAssertEqual(fsck.stdout, "")
    }

    func testAHardLinkFromOutsideKeepsItsBytes() throws {
        let (data, creation, _) = try twoSnapshots()
        let outside = (data.path as NSString).deletingLastPathComponent + "/outside-link.json"
        try FileManager.default.linkItem(atPath: data.path + "/images/cats/a.json", toPath: outside)
        let before = try String(contentsOfFile: outside, encoding: .utf8)
        XCTAssertEqual(try dsnap(["restore", creation], in: data.path).status, 0)
        XCTAssertEqual(try String(contentsOfFile: outside, encoding: .utf8), before,
                       "restore wrote through a hard link instead of replacing the file")
        XCTAssertNotEqual(try data.read("images/cats/a.json"), before)
    }

    func testUncommittedChangesAreRefusedOrAutosaved() throws {
        let (data, creation, _) = try twoSnapshots()
        try data.write("edited", to: "images/cats/a.json")
        try data.write("new", to: "images/new.png")

        let refused = try dsnap(["restore", creation], in: data.path)
        XCTAssertEqual(refused.status, 4)
        XCTAssertEqual(refused.stdout, "")
        XCTAssertTrue(refused.stderr.hasPrefix("dsnap: error: the dataset has 2 uncommitted changes"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("hint:   images/cats/a.json"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("hint:   images/new.png"), refused.stderr)
        XCTAssertEqual(try data.read("images/cats/a.json"), "edited", "a refused restore changed a file")

        let discarded = try dsnap(["restore", "--discard", creation, "--json"], in: data.path)
        XCTAssertEqual(discarded.status, 0, discarded.stderr)
        let autosave = try XCTUnwrap(try json(discarded)["autosave"] as? [String: Any])
        XCTAssertEqual(autosave["reason"] as? String, "autosave")
        let autosaveID = try XCTUnwrap(autosave["snapshot_id"] as? String)
        XCTAssertFalse(try dsnap(["log"], in: data.path).stdout.contains(String(autosaveID.prefix(12))),
                       "autosaves are hidden from log")
        XCTAssertTrue(try dsnap(["log", "--all"], in: data.path).stdout.contains(String(autosaveID.prefix(12))))

        // The discarded edits come back from the autosave.
        XCTAssertEqual(try dsnap(["restore", autosaveID], in: data.path).status, 0)
        XCTAssertEqual(try data.read("images/cats/a.json"), "edited")
        XCTAssertEqual(try data.read("images/new.png"), "new")
    }

    func testRestoreCurrentDiscardsChangesAfterSavingThem() throws {
        let (data, _, second) = try twoSnapshots()
        try data.write("oops", to: "extra/notes.txt")
        let result = try dsnap(["restore", "current"], in: data.path)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("saved uncommitted changes as autosave snapshot"), result.stderr)
        XCTAssertEqual(try data.read("extra/notes.txt"), "new")
        XCTAssertEqual(try snapshotID(try dsnap(["show", "current", "--json"], in: data.path)), second)
    }

    /// A dataset of `count` files at snapshot `first`, every one of them changed in the current
    /// snapshot, so that restoring `first` rewrites them all.
    private func everyFileChanged(count: Int, payload: String) throws -> (data: TemporaryDataset, first: String) {
        let data = try TemporaryDataset(emptyNamed: "big")
        for number in 0..<count {
            try data.write("A\(number)" + payload, to: "d\(number % 30)/f\(number).jpg")
        }
        let first = try snapshotID(try dsnap(["init", "--json"], in: data.path))
        for number in 0..<count {
            try data.write("B\(number)" + payload, to: "d\(number % 30)/f\(number).jpg")
        }
        XCTAssertEqual(try dsnap(["commit", "-q", "-m", "all-changed"], in: data.path, now: "2026-03-01T10:00:01Z").status, 0)
        return (data, first)
    }

    /// Starts restoring `first` and kills the restore while it is under way: the process is
    /// stopped (SIGSTOP) first, and killed only once it is known to be stopped mid-restore (its
    /// marker still there). False when the restore had already finished.
    private func killRestoreMidway(of first: String, in data: TemporaryDataset) throws -> Bool {
        let restore = try RunningDsnap(["restore", first], in: data.path,
                                       environment: DsnapProcess.environment(now: "2026-03-01T10:00:02Z"))
        let marker = data.path + "/.dsnap/RESTORE_TARGET"
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: marker) && restore.process.isRunning && Date() < deadline {
            usleep(200)
        }
        // Some files written first, so the recovery has a half-restored tree to finish.
        usleep(20_000)
        kill(restore.process.processIdentifier, SIGSTOP)
        let midway = restore.process.isRunning && FileManager.default.fileExists(atPath: marker)
        kill(restore.process.processIdentifier, SIGKILL)
        _ = restore.wait()
        return midway
    }

    func testRestoreKilledHalfWayIsReportedAndFinished() throws {
        let payload = String(repeating: "x", count: 16 * 1024)
        // A few thousand files take a restore long enough to kill on most machines; where the
        // restore outran the kill, the same test runs again on a dataset three times the size.
        var landed: (data: TemporaryDataset, first: String, count: Int)?
        for count in [2000, 6000, 18000] where landed == nil {
            let (data, first) = try everyFileChanged(count: count, payload: payload)
            if try killRestoreMidway(of: first, in: data) { landed = (data, first, count) }
        }
        guard let (data, first, count) = landed else {
            return XCTFail("every restore, up to 18,000 files, finished before it could be killed")
        }

        let status = try dsnap(["status", "--json"], in: data.path)
        XCTAssertEqual(status.status, 0, status.stderr)
        let state = try json(status)
        XCTAssertEqual(state["state"] as? String, "Error", status.stdout)
        XCTAssertTrue(status.stdout.contains(first), "status must name the interrupted restore")
        let tasks = try dsnap(["tasks", "--json"], in: data.path).stdout
        XCTAssertTrue(tasks.contains("\"interrupted\""), tasks)
        XCTAssertEqual(try dsnap(["commit", "-m", "x"], in: data.path).status, 4, "commit must wait for the restore")

        let finished = try dsnap(["restore", "--continue"], in: data.path, now: "2026-03-01T10:00:03Z")
        XCTAssertEqual(finished.status, 0, finished.stderr)
        XCTAssertEqual(try json(try dsnap(["status", "--json"], in: data.path))["state"] as? String, "Ready")
        for number in 0..<count {
            let text = try data.read("d\(number % 30)/f\(number).jpg")
            XCTAssertEqual(text, "A\(number)" + payload, "file \(number) differs from the snapshot")
            if text != "A\(number)" + payload { break }
        }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: data.path).filter { $0.contains(".dsnap-tmp-") }
        XCTAssertEqual(leftovers, [])
        let fsck = try DsnapProcess.runTool("git", ["--git-dir=.dsnap", "fsck", "--full"], in: data.path)
        XCTAssertEqual(fsck.status, 0, fsck.stderr)
        XCTAssertEqual(try dsnap(["log", "--json"], in: data.path).stdout.components(separatedBy: "\"snapshot_id\"").count - 1, 2,
                       "no snapshot lost")
    }

    func testCloneIsAnIndependentDataset() throws {
        let (data, creation, _) = try twoSnapshots()
        let destination = (data.path as NSString).deletingLastPathComponent + "/copy"
        let cloned = try dsnap(["clone", creation, destination, "--json"], in: data.path)
        XCTAssertEqual(cloned.status, 0, cloned.stderr)
        let result = try json(cloned)
        XCTAssertEqual(result["dataset_name"] as? String, "basic (cloned)")
        let snapshot = try XCTUnwrap(result["snapshot"] as? [String: Any])
        XCTAssertEqual(snapshot["reason"] as? String, "clone")
        XCTAssertEqual(snapshot["is_current"] as? Bool, true)
        XCTAssertEqual(snapshot["n_images"] as? Int, 5)
        XCTAssertEqual((snapshot["cloned_from"] as? [String: Any])?["snapshot_id"] as? String, creation)

        // Same content as the source snapshot, its own repository, no alternates, clean.
        XCTAssertEqual(try String(contentsOfFile: destination + "/labels.csv", encoding: .utf8).prefix(11), "category_id")
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination + "/extra"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination + "/.dsnap/objects/info/alternates"))
        let log = try XCTUnwrap(try parseJSON(try dsnap(["log", "--json"], in: destination).stdout) as? [[String: Any]])
        XCTAssertEqual(log.count, 1)
        let fsck = try DsnapProcess.runTool("git", ["--git-dir=.dsnap", "fsck", "--full"], in: destination)
        XCTAssertEqual(fsck.status, 0, fsck.stderr)
        XCTAssertEqual(fsck.stdout, "")
        XCTAssertEqual(try DsnapProcess.runTool("git", ["--git-dir=.dsnap", "--work-tree=.", "status", "--porcelain"],
                                                in: destination).stdout, "")

        // Editing the clone never touches the source, and the other way round.
        try "changed".write(toFile: destination + "/labels.csv", atomically: false, encoding: .utf8)
        XCTAssertEqual(try dsnap(["commit", "-q", "-m", "clone-edit"], in: destination).status, 0)
        XCTAssertEqual(try dsnap(["restore", creation], in: data.path).status, 0)
        XCTAssertEqual(try data.read("labels.csv").prefix(11), "category_id")
        XCTAssertEqual(try String(contentsOfFile: destination + "/labels.csv", encoding: .utf8), "changed")

        // An existing, non-empty destination is a conflict; the default destination is SOURCE-clone.
        let again = try dsnap(["clone", creation, destination], in: data.path)
        XCTAssertEqual(again.status, 4)
        XCTAssertTrue(again.stderr.contains("already exists"), again.stderr)
        XCTAssertEqual(try dsnap(["clone", "-q", "current"], in: data.path).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: data.path + "-clone/.dsnap/HEAD"))
        let parent = (data.path as NSString).deletingLastPathComponent
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent).filter { $0.contains("dsnap-clone") }, [])
    }

    func testTasksListOperationsNewestFirst() throws {
        let (data, creation, _) = try twoSnapshots()
        XCTAssertEqual(try dsnap(["restore", creation], in: data.path, now: "2026-03-01T10:00:05Z").status, 0)
        let tasks = try XCTUnwrap(try parseJSON(try dsnap(["tasks", "--json"], in: data.path).stdout) as? [[String: Any]])
        XCTAssertEqual(tasks.first?["task_type"] as? String, "SNAPSHOT_RESTORE")
        XCTAssertEqual(tasks.first?["status"] as? String, "COMPLETED")
        XCTAssertEqual(tasks.first?["snapshot_id"] as? String, creation)
        XCTAssertTrue(tasks.contains { $0["task_type"] as? String == "SNAPSHOT_CREATE" })
        XCTAssertEqual(try dsnap(["tasks", "-n", "1", "--json"], in: data.path).stdout.components(separatedBy: "task_id").count, 2)
    }

    /// Restore and clone return before their files are flushed; a background dsnap flushes them
    /// and removes the marker. `--sync` waits instead. After a restart (a marker of another
    /// boot), status says Error, commit is refused and `restore current` repairs.
    func testTheFlushAfterRestoreAndCloneHappensInTheBackgroundOrWithSync() throws {
        let (data, creation, second) = try twoSnapshots()
        let unsynced = data.path + "/.dsnap/unsynced"
        func markers(_ folder: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] }

        let synced = try dsnap(["restore", "--sync", creation], in: data.path)
        XCTAssertEqual(synced.status, 0, synced.stderr)
        XCTAssertEqual(markers(unsynced), [], "--sync left its marker")

        // The run returns while its background flush may still be going: the marker goes soon.
        XCTAssertEqual(try dsnap(["restore", second], in: data.path).status, 0)
        let deadline = Date().addingTimeInterval(30)
        while !markers(unsynced).isEmpty && Date() < deadline { usleep(50_000) }
        XCTAssertEqual(markers(unsynced), [], "the background flush did not remove its marker")

        let cloned = try dsnap(["clone", "--sync", creation, "copy"], in: data.path)
        XCTAssertEqual(cloned.status, 0, cloned.stderr)
        XCTAssertEqual(markers(data.path + "/copy/.dsnap/unsynced"), [])

        // A power cut before the flush: a marker from another boot, a file the disk lost.
        try FileManager.default.createDirectory(atPath: unsynced, withIntermediateDirectories: true)
        try "boot 00000000-0000-0000-0000-000000000000\nrestore \(second)\n"
            .write(toFile: unsynced + "/1-1", atomically: false, encoding: .utf8)
        try data.write("", to: "extra/notes.txt")
        let status = try dsnap(["status", "--json"], in: data.path)
        XCTAssertTrue(status.stdout.contains("\"Error\""), status.stdout)
        XCTAssertTrue(status.stdout.contains("extra/notes.txt"), status.stdout)
        let commit = try dsnap(["commit", "-m", "lost"], in: data.path)
        XCTAssertEqual(commit.status, 4, commit.stderr)
        XCTAssertTrue(commit.stderr.contains("hint: run 'dsnap restore current'"), commit.stderr)
        let repaired = try dsnap(["restore", "--sync", "current"], in: data.path)
        XCTAssertEqual(repaired.status, 0, repaired.stderr)
        XCTAssertEqual(try data.read("extra/notes.txt"), "new")
        XCTAssertEqual(markers(unsynced), [])
        XCTAssertTrue(try dsnap(["status", "--json"], in: data.path).stdout.contains("\"clean\": true"))
    }
}

import Foundation
import XCTest

/// Each command's main outputs, text and `--json`, success and the main errors, held in
/// Tests/golden/COMMAND.txt (see `GoldenTranscript` for what is fixed and what is masked).
/// A mismatch fails with a diff; `make golden` (DSNAP_GOLDEN_UPDATE=1) rewrites the files, to be
/// reviewed in the commit's diff like code.
final class GoldenTests: XCTestCase {
    /// fixtures/basic as a dataset with two snapshots: the creation snapshot, renamed `baseline`,
    /// then `first edit` (one sidecar changed, one image added).
    private func twoSnapshots(_ title: String) throws -> GoldenTranscript {
        let golden = try GoldenTranscript(title: title)
        try golden.copyFixture()
        try golden.setUp(["init"])
        try golden.setUp(["update", "current", "--name", "baseline"])
        try golden.edit("basic/images/cats/a.json", replacing: #""quality": "low""#, with: #""quality": "high""#)
        try golden.write("new image\n", to: "basic/images/cats/c.jpg")
        try golden.setUp(["commit", "-m", "first edit"])
        return golden
    }

    /// Work tree changes of every status: a modified image and sidecar, an added sidecar, a removed
    /// video and a removed other file, a renamed image.
    private func changeWorkTree(_ golden: GoldenTranscript) throws {
        try golden.edit("basic/images/cats/a.json", replacing: #""labels": ["cat", "indoor"]"#,
                        with: #""labels": ["cat", "outdoor", "tabby"]"#)
        try golden.write("changed image\n", to: "basic/images/dogs/b.png")
        try golden.write("{\"new\": true}\n", to: "basic/images/dogs/new.json")
        try golden.remove("basic/videos/clip.mp4")
        try golden.remove("basic/labels.csv")
        try golden.move("basic/images/dogs/IMG_0001.JPG", to: "basic/images/dogs/IMG_0002.JPG")
    }

    func testInit() throws {
        let golden = try GoldenTranscript(title: "dsnap init")
        try golden.copyFixture()
        try golden.copyFixture(as: "second")
        try golden.run(["init"])
        try golden.run(["init", "--json", "--name", "Second Set"], in: "second")
        try golden.run(["init"])
        try golden.run(["init", "--name", ""], in: "")
        try Golden.check(golden, name: "init")
    }

    func testCommit() throws {
        let golden = try GoldenTranscript(title: "dsnap commit")
        try golden.copyFixture()
        try golden.run(["commit"])
        try golden.setUp(["init"])
        try golden.edit("basic/images/cats/a.json", replacing: #""quality": "low""#, with: #""quality": "high""#)
        try golden.run(["commit", "-m", "first edit", "-d", "relabelled a cat"])
        try golden.write("new image\n", to: "basic/images/cats/c.jpg")
        try golden.run(["commit", "--json", "--training-model-id", "m-1", "--training-model-name", "Tagger"])
        try golden.run(["commit", "-m", "checkpoint"])
        try golden.run(["commit", "--json", "-m", "checkpoint again"])
        try golden.run(["commit", "--author", "nobody"])
        try Golden.check(golden, name: "commit")
    }

    func testLog() throws {
        let golden = try twoSnapshots("dsnap log")
        try golden.run(["log"])
        try golden.run(["log", "--json", "-n", "1"])
        try golden.run(["log", "--deleted", "--json"])
        try golden.run(["log", "-n", "x"])
        try Golden.check(golden, name: "log")
    }

    func testShow() throws {
        let golden = try twoSnapshots("dsnap show")
        try golden.run(["show", "current"])
        try golden.run(["show", "current", "--json"])
        try golden.run(["show", "baseline", "--files"])
        try golden.run(["show", "first edit", "--files", "--json"])
        try golden.run(["show", "nosuch"])
        try golden.setUp(["update", "current", "--name", "twin"])
        try golden.setUp(["update", "baseline", "--name", "twin"])
        try golden.run(["show", "twin"])
        try Golden.check(golden, name: "show")
    }

    func testUpdate() throws {
        let golden = try twoSnapshots("dsnap update")
        try golden.run(["update", "current", "--name", "relabelled", "-d", "cats relabelled"])
        try golden.run(["update", "relabelled", "-d", "", "--json"])
        try golden.run(["update", "current"])
        try golden.run(["update", "nosuch", "--name", "x"])
        try Golden.check(golden, name: "update")
    }

    func testDeleteAndUndelete() throws {
        let golden = try twoSnapshots("dsnap delete and dsnap undelete")
        try golden.run(["delete", "current"])
        try golden.run(["delete", "baseline"])
        try golden.run(["undelete", "baseline", "--json"])
        try golden.run(["delete", "baseline", "--json"])
        try golden.run(["show", "baseline"])
        try golden.run(["undelete", "baseline"])
        try golden.run(["undelete", "current"])
        try Golden.check(golden, name: "delete")
    }

    func testStatus() throws {
        let golden = try twoSnapshots("dsnap status")
        try golden.run(["status"])
        try golden.run(["status", "--json"])
        try changeWorkTree(golden)
        try golden.run(["status"])
        try golden.run(["status"], in: "basic/images/cats")
        try golden.run(["status", "--json"], in: "basic/images/cats")
        try golden.run(["status"], in: "")
        try Golden.check(golden, name: "status")
    }

    func testDiff() throws {
        let golden = try twoSnapshots("dsnap diff")
        try golden.run(["diff", "baseline", "first edit"])
        try golden.run(["diff", "baseline", "first edit", "--json"])
        try changeWorkTree(golden)
        try golden.run(["diff"])
        try golden.run(["diff"], in: "basic/images/cats")
        try golden.run(["diff", "--stat"])
        try golden.run(["diff", "--name-status"], in: "basic/images/cats")
        try golden.run(["diff", "--json"], in: "basic/images/cats")
        try golden.run(["diff", "--json-patch", "--", "images/cats"])
        try golden.run(["diff", "--by", "/labels"])
        try golden.run(["diff", "--by", "labels"])
        try golden.run(["diff", "nosuch"])
        try Golden.check(golden, name: "diff")
    }

    func testRestore() throws {
        let golden = try twoSnapshots("dsnap restore")
        try golden.run(["restore", "baseline"])
        try golden.run(["restore", "first edit", "--json"])
        try changeWorkTree(golden)
        try golden.run(["restore", "baseline"])
        try golden.run(["restore", "--discard", "baseline"])
        try golden.write("scratch\n", to: "basic/scratch.txt")
        try golden.run(["restore", "current", "--json"])
        try golden.run(["restore", "--continue"])
        try Golden.check(golden, name: "restore")
    }

    func testClone() throws {
        let golden = try twoSnapshots("dsnap clone")
        try golden.run(["clone", "baseline"])
        try golden.run(["clone", "first edit", "../copy", "--name", "Copy", "--json"])
        try golden.run(["clone", "current", "../copy"])
        try golden.run(["log"], in: "copy")
        try Golden.check(golden, name: "clone")
    }

    func testMerge() throws {
        let golden = try twoSnapshots("dsnap merge")
        try golden.setUp(["clone", "baseline", "../copy", "--name", "Copy"])
        try golden.edit("copy/images/cats/a.json", replacing: #""quality": "low""#, with: #""quality": "blurry""#)
        try golden.edit("copy/images/dogs/b.png.json", replacing: #""reviewed": true"#, with: #""reviewed": false"#)
        try golden.setUp(["commit", "-m", "copy labels"], in: "copy")
        try golden.run(["merge", "--dry-run", "../copy:current"])
        try golden.run(["merge", "../copy:current"])
        try golden.run(["status"])
        try golden.run(["status", "--json"])
        try golden.run(["commit", "-m", "too soon"])
        try golden.run(["merge", "--resolve", "theirs", "--", "images/cats/a.json#/tags/quality"])
        try golden.run(["merge", "--continue", "--json"])
        try golden.run(["log"])
        try golden.run(["merge", "../copy:current"])
        try golden.run(["merge", "--abort"])
        try Golden.check(golden, name: "merge")
    }

    func testTasks() throws {
        let golden = try twoSnapshots("dsnap tasks")
        golden.masksProcessIDs = true
        try golden.setUp(["restore", "baseline"])
        try golden.run(["tasks"])
        try golden.run(["tasks", "--json", "-n", "2"])
        try Golden.check(golden, name: "tasks")
    }

    func testVerify() throws {
        let golden = try twoSnapshots("dsnap verify")
        try golden.run(["verify"])
        try golden.run(["verify", "--json"])
        // The object of labels.csv (loose in so small a dataset) goes missing.
        let blob = try E2E.git(["rev-parse", "HEAD:labels.csv"], dataset: golden.sandbox + "/basic")
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try golden.remove("basic/.dsnap/objects/\(blob.prefix(2))/\(blob.dropFirst(2))")
        try golden.run(["verify"])
        try golden.run(["verify", "--json"])
        try golden.run(["verify", "nosuch"])
        try Golden.check(golden, name: "verify")
    }

    func testGC() throws {
        let golden = try twoSnapshots("dsnap gc")
        try golden.setUp(["delete", "baseline"])
        try golden.run(["gc", "--dry-run", "--prune-deleted=now"])
        try golden.run(["gc", "--prune-deleted=now", "--json"])
        try golden.run(["gc"])
        try golden.run(["gc", "--prune-deleted=soon"])
        try Golden.check(golden, name: "gc")
    }
}

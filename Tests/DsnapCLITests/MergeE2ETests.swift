import Foundation
import XCTest

/// `dsnap merge` end to end: clones labelled apart and merged back, a COCO file merged by `id`,
/// conflicts settled each way, `--abort` byte for byte, and a merge killed half-way.
final class MergeE2ETests: XCTestCase {
    private func dsnap(_ arguments: [String], in directory: String, now: String = "2026-03-01T10:00:00Z") throws -> DsnapRun {
        try E2E.run(arguments, in: directory, now: now)
    }

    /// A dataset (fixtures/basic) and a clone of its first snapshot beside it.
    private func datasetAndClone() throws -> (data: TemporaryDataset, clone: String) {
        let (data, _) = try makeDataset()
        let clone = (data.path as NSString).deletingLastPathComponent + "/clone"
        expect(try dsnap(["clone", "current", clone], in: data.path), exit: 0)
        return (data, clone)
    }

    private func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    private func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    private func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(try parseJSON(try read(path)) as? [String: Any])
    }

    /// Every file under `root` but `.dsnap`, with its bytes.
    private func contents(_ root: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)!
        while let path = enumerator.nextObject() as? String {
            if path == ".dsnap" { enumerator.skipDescendants(); continue }
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isFolder), !isFolder.boolValue {
                result[path] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + path))
            }
        }
        return result
    }

    private func fsckClean(_ root: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fsck = try E2E.git(["fsck", "--full", "--strict"], dataset: root)
        XCTAssertEqual(fsck.status, 0, fsck.stderr, file: file, line: line)
        XCTAssertFalse(fsck.stdout.contains("missing") || fsck.stderr.contains("missing"), fsck.stdout + fsck.stderr,
                       file: file, line: line)
    }

    func testTwoClonesLabelledDifferentlyAreMergedBack() throws {
        let (data, _) = try makeDataset()
        let parent = (data.path as NSString).deletingLastPathComponent
        expect(try dsnap(["clone", "current", parent + "/alice"], in: data.path), exit: 0)
        expect(try dsnap(["clone", "current", parent + "/bob"], in: data.path), exit: 0)
        // Alice labels the cat and fixes the dog's score; Bob tags the dog and adds a new image.
        let cat = "/images/cats/a.json"
        let dog = "/images/dogs/b.png.json"
        try write(try read(parent + "/alice" + cat).replacing(#""labels": ["cat", "indoor"]"#, with: #""labels": ["cat", "indoor", "sleeping"]"#),
                  to: parent + "/alice" + cat)
        try write(try read(parent + "/alice" + dog).replacing(#""score": 0.1"#, with: #""score": 0.9"#), to: parent + "/alice" + dog)
        try commit(["-m", "alice labels"], in: parent + "/alice", now: "2026-03-01T11:00:00Z")
        try write(try read(parent + "/bob" + dog).replacing(#""reviewed": true"#, with: #""reviewed": false"#), to: parent + "/bob" + dog)
        try write("png", to: parent + "/bob/images/dogs/c.png")
        try commit(["-m", "bob labels"], in: parent + "/bob", now: "2026-03-01T12:00:00Z")

        let first = try jsonObject(try dsnap(["merge", "--json", "../alice:current"], in: data.path, now: "2026-03-01T13:00:00Z"))
        XCTAssertEqual(first["up_to_date"] as? Bool, false)
        let merged = try XCTUnwrap(first["snapshot"] as? [String: Any], "\(first)")
        XCTAssertEqual(merged["reason"] as? String, "merge")
        XCTAssertEqual((first["conflicts"] as? [Any])?.count, 0)
        let second = try dsnap(["merge", "../bob:current"], in: data.path, now: "2026-03-01T14:00:00Z")
        expect(second, exit: 0)
        XCTAssertTrue(second.stdout.contains("1 sidecar merged field by field"), second.stdout)

        // Both annotators' work, every field of it.
        let catNow = try json(data.path + cat)
        XCTAssertEqual(catNow["labels"] as? [String], ["cat", "indoor", "sleeping"])
        let dogNow = try json(data.path + dog)
        XCTAssertEqual(dogNow["score"] as? Double, 0.9)
        XCTAssertEqual(dogNow["reviewed"] as? Bool, false)
        XCTAssertEqual(try read(data.path + "/images/dogs/c.png"), "png")
        // Ours' layout: only the changed lines differ from the original file.
        let dogText = try read(data.path + dog)
        XCTAssertTrue(dogText.contains("\n  \"reviewed\": false,\n"), dogText)

        // Log shows both parents; plain git sees merge commits; nothing is missing.
        let log = try self.log([], in: data.path)
        XCTAssertEqual(log.first?["reason"] as? String, "merge")
        XCTAssertNotNil(log.first?["merged_parent_snapshot_id"] as? String)
        XCTAssertEqual(log.first?["parent_snapshot_id"] as? String, try idOf(merged))
        let text = try dsnap(["log"], in: data.path)
        XCTAssertTrue(text.stdout.contains("(merge of "), text.stdout)
        let merges = try E2E.git(["rev-list", "--merges", "--count", "HEAD"], dataset: data.path)
        XCTAssertEqual(merges.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "2")
        XCTAssertTrue(try dsnap(["show", "current"], in: data.path).stdout.contains("Parents:"))
        // `log -- PATH` compares a merge snapshot with its first parent: the merge that brought
        // the file, and Bob's snapshot (a snapshot of this dataset now) that added it.
        let history = try self.log(["--", "images/dogs/c.png"], in: data.path)
        XCTAssertEqual(history.map { $0["reason"] as? String }, ["merge", "manual"])
        XCTAssertEqual(history.last?["snapshot_name"] as? String, "bob labels")
        // `diff M^ M` is what the merge brought (the first parent by default); `M^2` is theirs.
        let brought = try dsnap(["diff", "--name-status", "current^", "current"], in: data.path)
        expect(brought, exit: 0)
        XCTAssertEqual(brought.stdout, "M\timages/dogs/b.png.json\nA\timages/dogs/c.png\n")
        let fromTheirs = try dsnap(["diff", "--name-status", "current^2", "current"], in: data.path)
        XCTAssertTrue(fromTheirs.stdout.contains("images/cats/a.json") && !fromTheirs.stdout.contains("c.png"),
                      fromTheirs.stdout)
        expectError(try dsnap(["diff", "current^2^2"], in: data.path), exit: 3)
        try fsckClean(data.path)
        XCTAssertEqual(try dsnap(["status", "--json"], in: data.path).stdout.contains("\"clean\": true"), true)

        // Merging again is up to date; the clone merges the origin back without conflicts.
        XCTAssertTrue(try dsnap(["merge", "../alice:current"], in: data.path).stdout.contains("already up to date"))
        let back = try dsnap(["merge", data.path + ":current"], in: parent + "/alice", now: "2026-03-01T15:00:00Z")
        expect(back, exit: 0)
        XCTAssertEqual(try json(parent + "/alice" + dog)["reviewed"] as? Bool, false)
        try fsckClean(parent + "/alice")
    }

    /// A sidecar and a new file whose names are not UTF-8 merge under their own bytes.
    func testNamesOfAnyBytesMergeUnderTheirOwnBytes() throws {
        let (data, clone) = try datasetAndClone()
        let sh = { (script: String, root: String) throws in
            XCTAssertEqual(try E2E.tool("sh", ["-c", script], in: root).status, 0, script)
        }
        // printf makes the names: caf\351.json (Latin-1) and new\377.jpg.
        try sh(#"printf '{"a": 1, "b": 1}' > "$(printf 'caf\351.json')""#, data.path)
        try commit(["-m", "latin-1"], in: data.path, now: "2026-03-01T10:30:00Z")
        expect(try dsnap(["merge", data.path + ":current"], in: clone, now: "2026-03-01T10:40:00Z"), exit: 0)
        try sh(#"printf '{"a": 2, "b": 1}' > "$(printf 'caf\351.json')"; printf x > "$(printf 'new\377.jpg')""#, clone)
        try commit(["-m", "theirs"], in: clone, now: "2026-03-01T11:00:00Z")
        try sh(#"printf '{"a": 1, "b": 3}' > "$(printf 'caf\351.json')""#, data.path)
        try commit(["-m", "ours"], in: data.path, now: "2026-03-01T11:30:00Z")
        expect(try dsnap(["merge", "../clone:current"], in: data.path, now: "2026-03-01T12:00:00Z"), exit: 0)
        let tree = try E2E.git(["ls-tree", "HEAD"], dataset: data.path)
        XCTAssertTrue(tree.stdout.contains(#""caf\351.json""#) && tree.stdout.contains(#""new\377.jpg""#), tree.stdout)
        let merged = try E2E.tool("sh", ["-c", #"cat "$(printf 'caf\351.json')"; cat "$(printf 'new\377.jpg')""#],
                                  in: data.path)
        XCTAssertEqual(merged.stdout, #"{"a": 2, "b": 3}x"#)
        try fsckClean(data.path)
    }

    func testCOCOFileWhereBothSidesAddAnnotationsMergesByID() throws {
        let (data, clone) = try datasetAndClone()
        let path = "/images/cats/a.json"
        let original = try read(data.path + path)
        try write(original.replacing(#"    {"id": 3, "category_id": 3, "bbox": [30, 20, 20, 18], "area": 360, "iscrowd": 1}"#, with:
            #"    {"id": 3, "category_id": 3, "bbox": [30, 20, 20, 18], "area": 360, "iscrowd": 1},"# + "\n"
            + #"    {"id": 4, "category_id": 5, "bbox": [1, 1, 2, 2], "area": 4, "iscrowd": 0}"#), to: data.path + path)
        try commit(["-m", "ours adds 4"], in: data.path, now: "2026-03-01T11:00:00Z")
        // Theirs reorders, edits annotation 1 and adds 9.
        var theirs = try json(clone + path)
        var annotations = try XCTUnwrap(theirs["annotations"] as? [[String: Any]])
        annotations[0]["category_id"] = 4
        annotations.reverse()
        annotations.append(["id": 9, "category_id": 1, "bbox": [5, 5, 5, 5], "area": 25, "iscrowd": 0])
        theirs["annotations"] = annotations
        let data2 = try JSONSerialization.data(withJSONObject: theirs, options: [.sortedKeys])
        try write(String(decoding: data2, as: UTF8.self), to: clone + path)
        try commit(["-m", "theirs adds 9"], in: clone, now: "2026-03-01T12:00:00Z")

        let result = try jsonObject(try dsnap(["merge", "--json", "--array-key", "id", "../clone:current"], in: data.path,
                                              now: "2026-03-01T13:00:00Z"))
        XCTAssertEqual((result["conflicts"] as? [Any])?.count, 0, "\(result)")
        let merged = try json(data.path + path)
        let ids = try XCTUnwrap(merged["annotations"] as? [[String: Any]]).map { $0["id"] as? Int }
        XCTAssertEqual(ids, [1, 2, 3, 4, 9])
        XCTAssertEqual((merged["annotations"] as? [[String: Any]])?.first?["category_id"] as? Int, 4)
        XCTAssertTrue(try read(data.path + path).contains(#"    {"id": 2, "category_id": 7, "bbox": [0, 0, 16, 16], "area": 256, "iscrowd": 0},"#),
                      "untouched annotations keep their line")
    }

    /// One field changed on both sides, and a picture: listed by status, settled each way.
    func testConflictsAreListedAndResolvedEachWay() throws {
        let (data, clone) = try datasetAndClone()
        let path = "/images/dogs/b.png.json"
        try write(try read(data.path + path).replacing(#""score": 0.1"#, with: #""score": 0.5"#), to: data.path + path)
        try write("ours picture", to: data.path + "/images/cats/a.jpg")
        try commit(["-m", "ours"], in: data.path, now: "2026-03-01T11:00:00Z")
        try write(try read(clone + path).replacing(#""score": 0.1"#, with: #""score": 0.7"#)
            .replacing(#""iso": 400"#, with: #""iso": 800"#), to: clone + path)
        try write("their picture", to: clone + "/images/cats/a.jpg")
        try commit(["-m", "theirs"], in: clone, now: "2026-03-01T12:00:00Z")

        let dry = try dsnap(["merge", "--dry-run", "../clone:current"], in: data.path)
        expect(dry, exit: 0)
        XCTAssertTrue(dry.stdout.contains("would merge") && dry.stdout.contains("CONFLICT"), dry.stdout)
        XCTAssertTrue(try dsnap(["status", "--json"], in: data.path).stdout.contains("\"merge\": null"))

        let stopped = try dsnap(["merge", "../clone:current"], in: data.path, now: "2026-03-01T13:00:00Z")
        expect(stopped, exit: 4)
        XCTAssertTrue(stopped.stdout.contains("CONFLICT images/dogs/b.png.json#/score: base 0.1, ours 0.5, theirs 0.7"), stopped.stdout)
        XCTAssertTrue(stopped.stderr.contains("dsnap: error: merge stopped with 2 conflicts in 2 files"), stopped.stderr)
        // Files keep ours' values (no markers), merged elsewhere.
        let dog = try json(data.path + path)
        XCTAssertEqual(dog["score"] as? Double, 0.5)
        XCTAssertEqual(((dog["camera"] as? [String: Any])?["settings"] as? [String: Any])?["iso"] as? Int, 800)
        XCTAssertEqual(try read(data.path + "/images/cats/a.jpg"), "ours picture")

        let status = try jsonObject(try dsnap(["status", "--json"], in: data.path))
        let merge = try XCTUnwrap(status["merge"] as? [String: Any])
        XCTAssertEqual(merge["open"] as? Int, 2)
        let conflicts = try XCTUnwrap(merge["conflicts"] as? [[String: Any]])
        let field = try XCTUnwrap(conflicts.first { $0["pointer"] as? String == "/score" })
        XCTAssertEqual(field["base"] as? Double, 0.1)
        XCTAssertEqual(field["ours"] as? Double, 0.5)
        XCTAssertEqual(field["theirs"] as? Double, 0.7)
        XCTAssertTrue(try dsnap(["status"], in: data.path).stdout.contains("CONFLICT images/cats/a.jpg"))

        // While it is unfinished, commit and restore say so.
        expectError(try dsnap(["commit", "-m", "x"], in: data.path), exit: 4, hint: true, mentioning: ["merge"])
        expectError(try dsnap(["restore", "current"], in: data.path), exit: 4, hint: true, mentioning: ["merge"])
        expectError(try dsnap(["merge", "--continue"], in: data.path), exit: 4, hint: true, mentioning: ["2 conflicts"])
        expectError(try dsnap(["merge", "--resolve", "theirs", "--", "images/dogs/b.png.json#/nothing"], in: data.path),
                    exit: 3, hint: true)

        // Theirs for the field (from inside a folder), then ours again; theirs for the picture.
        let dogs = data.path + "/images/dogs"
        expect(try dsnap(["merge", "--resolve", "theirs", "--", "b.png.json#/score"], in: dogs), exit: 0)
        XCTAssertEqual(try json(data.path + path)["score"] as? Double, 0.7)
        expect(try dsnap(["merge", "--resolve", "ours", "--", "b.png.json"], in: dogs), exit: 0)
        XCTAssertEqual(try json(data.path + path)["score"] as? Double, 0.5)
        expect(try dsnap(["merge", "--resolve", "theirs", "--", "images/cats/a.jpg"], in: data.path), exit: 0)
        XCTAssertEqual(try read(data.path + "/images/cats/a.jpg"), "their picture")

        let done = try snapshotObject(try dsnap(["merge", "--continue", "--json"], in: data.path, now: "2026-03-01T14:00:00Z"))
        XCTAssertEqual(done["reason"] as? String, "merge")
        XCTAssertTrue((done["description"] as? String)?.contains("Merge of 'theirs'") == true, "\(done)")
        XCTAssertEqual(try jsonObject(try dsnap(["status", "--json"], in: data.path))["clean"] as? Bool, true)
        try fsckClean(data.path)
    }

    /// `--prefer theirs` settles everything up front; a field edited by hand counts as resolved.
    func testPreferAndHandEdits() throws {
        let (data, clone) = try datasetAndClone()
        let path = "/images/dogs/b.png.json"
        try write(try read(data.path + path).replacing(#""score": 0.1"#, with: #""score": 0.5"#), to: data.path + path)
        try commit(["-m", "ours"], in: data.path, now: "2026-03-01T11:00:00Z")
        try write(try read(clone + path).replacing(#""score": 0.1"#, with: #""score": 0.7"#), to: clone + path)
        try commit(["-m", "theirs"], in: clone, now: "2026-03-01T12:00:00Z")

        expect(try dsnap(["merge", "../clone:current"], in: data.path), exit: 4)
        try write(try read(data.path + path).replacing(#""score": 0.5"#, with: #""score": 0.6"#), to: data.path + path)
        expectError(try dsnap(["merge", "--resolve", "theirs"], in: data.path), exit: 4, mentioning: ["edited"])
        XCTAssertTrue(try dsnap(["status"], in: data.path).stdout.contains("0 conflicts open (of 1)"))
        expect(try dsnap(["merge", "--continue"], in: data.path, now: "2026-03-01T13:00:00Z"), exit: 0)
        XCTAssertEqual(try json(data.path + path)["score"] as? Double, 0.6)

        // The same merge again from the other side, theirs preferred: no stop.
        let alice = (data.path as NSString).deletingLastPathComponent + "/clone"
        try write(try read(alice + path).replacing(#""score": 0.7"#, with: #""score": 0.8"#), to: alice + path)
        try commit(["-m", "theirs again"], in: alice, now: "2026-03-01T14:00:00Z")
        try write(try read(data.path + path).replacing(#""score": 0.6"#, with: #""score": 0.65"#), to: data.path + path)
        try commit(["-m", "ours again"], in: data.path, now: "2026-03-01T15:00:00Z")
        expect(try dsnap(["merge", "--prefer", "theirs", "../clone:current"], in: data.path, now: "2026-03-01T16:00:00Z"), exit: 0)
        XCTAssertEqual(try json(data.path + path)["score"] as? Double, 0.8)
    }

    func testAbortReturnsTheWorkTreeByteForByte() throws {
        let (data, clone) = try datasetAndClone()
        let path = "/images/dogs/b.png.json"
        try write(try read(data.path + path).replacing(#""score": 0.1"#, with: #""score": 0.5"#), to: data.path + path)
        try commit(["-m", "ours"], in: data.path, now: "2026-03-01T11:00:00Z")
        try write(try read(clone + path).replacing(#""score": 0.1"#, with: #""score": 0.7"#), to: clone + path)
        try write("new", to: clone + "/images/new.png")
        try FileManager.default.removeItem(atPath: clone + "/labels.csv")
        try commit(["-m", "theirs"], in: clone, now: "2026-03-01T12:00:00Z")
        // Uncommitted changes, merged over with --discard, come back with the abort.
        try write("draft", to: data.path + "/notes.txt")
        try write(try read(data.path + "/images/cats/a.json") + " ", to: data.path + "/images/cats/a.json")
        let before = try contents(data.path)

        expectError(try dsnap(["merge", "../clone:current"], in: data.path), exit: 4, hint: true, mentioning: ["uncommitted"])
        let stopped = try dsnap(["merge", "--discard", "../clone:current"], in: data.path, now: "2026-03-01T13:00:00Z")
        expect(stopped, exit: 4)
        XCTAssertTrue(stopped.stderr.contains("autosave"), stopped.stderr)
        XCTAssertNotEqual(try contents(data.path), before)
        // An edit made during the merge is saved before the abort undoes it.
        try write("edited during the merge", to: data.path + "/images/new.png")
        let aborted = try dsnap(["merge", "--abort"], in: data.path, now: "2026-03-01T14:00:00Z")
        expect(aborted, exit: 0)
        XCTAssertTrue(aborted.stderr.contains("autosave"), aborted.stderr)
        XCTAssertEqual(try contents(data.path), before)
        XCTAssertEqual(try jsonObject(try dsnap(["status", "--json"], in: data.path))["merge"] is NSNull, true)
        expectError(try dsnap(["merge", "--abort"], in: data.path), exit: 3, hint: true)
        expect(try dsnap(["commit", "-m", "after"], in: data.path), exit: 0)
        try fsckClean(data.path)
    }

    /// Two machines sharing a remote: a snapshot fetched from it merges by its history (their
    /// nearest common ancestor), and the merge snapshot travels back through the remote.
    func testAFetchedSnapshotMergesFromTheCommonAncestor() throws {
        let (data, _) = try makeDataset()
        let parent = (data.path as NSString).deletingLastPathComponent
        expect(try dsnap(["remote", "add", "origin", "../server.git", "--create"], in: data.path), exit: 0)
        expect(try dsnap(["push", "-q"], in: data.path), exit: 0)
        expect(try dsnap(["clone", "-q", "file://" + parent + "/server.git", "other"], in: parent), exit: 0)
        let other = parent + "/other"
        let path = "/images/dogs/b.png.json"
        try write(try read(other + path).replacing(#""reviewed": true"#, with: #""reviewed": false"#), to: other + path)
        let theirs = try idOf(try commit(["-m", "other machine"], in: other, now: "2026-03-01T11:00:00Z"))
        expect(try dsnap(["push", "-q"], in: other, now: "2026-03-01T11:01:00Z"), exit: 0)
        try write(try read(data.path + path).replacing(#""score": 0.1"#, with: #""score": 0.3"#), to: data.path + path)
        try commit(["-m", "this machine"], in: data.path, now: "2026-03-01T11:02:00Z")
        expect(try dsnap(["fetch", "-q"], in: data.path, now: "2026-03-01T11:03:00Z"), exit: 0)

        let merged = try jsonObject(try dsnap(["merge", "--json", String(theirs.prefix(12))], in: data.path,
                                              now: "2026-03-01T11:04:00Z"))
        XCTAssertEqual(merged["theirs_dataset"] is NSNull, true)
        XCTAssertEqual(merged["merged_fields"] as? [String], ["images/dogs/b.png.json"])
        let dog = try json(data.path + path)
        XCTAssertEqual(dog["score"] as? Double, 0.3)
        XCTAssertEqual(dog["reviewed"] as? Bool, false)
        expect(try dsnap(["push", "-q"], in: data.path, now: "2026-03-01T11:05:00Z"), exit: 0)
        expect(try dsnap(["pull", "-q"], in: other, now: "2026-03-01T11:06:00Z"), exit: 0)
        XCTAssertEqual(try json(other + path)["score"] as? Double, 0.3)
        XCTAssertEqual(try self.log([], in: other).first?["reason"] as? String, "merge")
        try fsckClean(data.path)
    }

    func testMistakesAreExplained() throws {
        let (data, _) = try datasetAndClone()
        expectError(try dsnap(["merge"], in: data.path), exit: 2, hint: true)
        expectError(try dsnap(["merge", "--prefer", "mine", "current"], in: data.path), exit: 2, hint: true)
        expectError(try dsnap(["merge", "--continue", "current"], in: data.path), exit: 2)
        expectError(try dsnap(["merge", "--abort", "--continue"], in: data.path), exit: 2)
        expectError(try dsnap(["merge", "current", "--", "a"], in: data.path), exit: 2)
        expectError(try dsnap(["merge", "--continue"], in: data.path), exit: 3, hint: true)
        expectError(try dsnap(["merge", "nosuch"], in: data.path), exit: 3, hint: true)
        expectError(try dsnap(["merge", "../clone:nosuch"], in: data.path), exit: 3, hint: true)
        // A journal that cannot be read keeps commits refused, as damage, until --abort removes it.
        try write("{not json", to: data.path + "/.dsnap/MERGE_STATE")
        try write("draft", to: data.path + "/draft.txt")
        expectError(try dsnap(["commit", "-m", "x"], in: data.path), exit: 6, hint: true, mentioning: ["merge --abort"])
        let abandoned = try dsnap(["merge", "--abort"], in: data.path)
        expect(abandoned, exit: 0)
        XCTAssertTrue(abandoned.stderr.contains("autosave"), abandoned.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: data.path + "/.dsnap/MERGE_STATE"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: data.path + "/draft.txt"))
        // Unrelated datasets share no snapshot.
        let other = try TemporaryDataset(emptyNamed: "other")
        try other.write("x", to: "x.json")
        expect(try dsnap(["init"], in: other.path), exit: 0)
        expectError(try dsnap(["merge", other.path + ":current"], in: data.path), exit: 4, hint: true,
                    mentioning: ["in common"])
    }

    /// A dataset of `count` large sidecars whose clone rewrote every one (each starting with
    /// `marker`), merged back and killed (SIGKILL) once the merge journal exists. `beforeMerge`
    /// runs just before the merge starts. Returns the dataset, and whether the kill came while the
    /// merge ran (a small merge may finish first).
    private func mergeKilledAfterItsJournal(count: Int, marker: String, beforeMerge: (TemporaryDataset) throws -> Void = { _ in })
        throws -> (data: TemporaryDataset, midway: Bool) {
        let payload = String(repeating: "x", count: 16 * 1024)
        let data = try TemporaryDataset(emptyNamed: "big")
        for number in 0..<count { try data.write("{\"n\": \(number), \"p\": \"\(payload)\"}", to: "d\(number % 30)/f\(number).json") }
        expect(try dsnap(["init", "-q"], in: data.path), exit: 0)
        let clone = (data.path as NSString).deletingLastPathComponent + "/clone"
        expect(try dsnap(["clone", "-q", "current", clone], in: data.path), exit: 0)
        for number in 0..<count {
            try write("{\"n\": \(number), \"p\": \"\(marker)\(payload)\"}", to: clone + "/d\(number % 30)/f\(number).json")
        }
        expect(try dsnap(["commit", "-q", "-m", "theirs"], in: clone, now: "2026-03-01T10:00:01Z"), exit: 0)
        try beforeMerge(data)
        let merge = try RunningDsnap(["merge", "../clone:current"], in: data.path,
                                     environment: DsnapProcess.environment(now: "2026-03-01T10:00:02Z"))
        let journal = data.path + "/.dsnap/MERGE_STATE"
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: journal) && merge.process.isRunning && Date() < deadline { usleep(200) }
        usleep(20_000)
        kill(merge.process.processIdentifier, SIGSTOP)
        let midway = merge.process.isRunning && FileManager.default.fileExists(atPath: journal)
        kill(merge.process.processIdentifier, SIGKILL)
        _ = merge.wait()
        return (data, midway)
    }

    /// A merge killed while writing files: status explains it, commit waits, and `--continue`
    /// finishes it (or `--abort` goes back), as an interrupted restore.
    func testMergeKilledHalfWayIsReportedAndFinished() throws {
        var landed: (data: TemporaryDataset, before: [String: Data])?
        for count in [2000, 6000, 18000] where landed == nil {
            var before: [String: Data] = [:]
            let (data, midway) = try mergeKilledAfterItsJournal(count: count, marker: "B") { data in
                try data.write("{}", to: "ours.json")
                expect(try dsnap(["commit", "-q", "-m", "ours"], in: data.path, now: "2026-03-01T10:00:01Z"), exit: 0)
                before = try contents(data.path)
            }
            if midway && (try? read(data.path + "/.dsnap/MERGE_STATE"))?.contains("\"applying\"") == true {
                landed = (data, before)
            }
        }
        guard let (data, before) = landed else {
            return XCTFail("every merge, up to 18,000 files, finished before it could be killed")
        }
        let status = try jsonObject(try dsnap(["status", "--json"], in: data.path))
        XCTAssertEqual(status["state"] as? String, "Error", "\(status)")
        XCTAssertTrue("\(status)".contains("merge --continue"), "\(status)")
        expectError(try dsnap(["commit", "-m", "x"], in: data.path), exit: 4, hint: true, mentioning: ["merge"])

        // Undone first, byte for byte; then merged again and finished after a second kill-free run.
        expect(try dsnap(["merge", "--abort"], in: data.path), exit: 0)
        XCTAssertEqual(try contents(data.path), before)
        expect(try dsnap(["merge", "../clone:current"], in: data.path, now: "2026-03-01T10:00:03Z"), exit: 0)
        XCTAssertTrue(try read(data.path + "/d0/f0.json").contains("\"B"))
        XCTAssertEqual(try read(data.path + "/ours.json"), "{}")
        try fsckClean(data.path)
    }

    /// Killed, then finished with --continue.
    func testMergeKilledHalfWayContinues() throws {
        for count in [2000, 6000, 18000] {
            let (data, midway) = try mergeKilledAfterItsJournal(count: count, marker: "C")
            guard midway else { continue }
            let finished = try dsnap(["merge", "--continue"], in: data.path, now: "2026-03-01T10:00:03Z")
            expect(finished, exit: 0)
            for number in stride(from: 0, to: count, by: 97) {
                XCTAssertTrue(try read(data.path + "/d\(number % 30)/f\(number).json").contains("\"C"))
            }
            XCTAssertEqual(try jsonObject(try dsnap(["status", "--json"], in: data.path))["clean"] as? Bool, true)
            XCTAssertEqual(try log([], in: data.path).first?["reason"] as? String, "merge")
            try fsckClean(data.path)
            return
        }
        XCTFail("every merge, up to 18,000 files, finished before it could be killed")
    }
}

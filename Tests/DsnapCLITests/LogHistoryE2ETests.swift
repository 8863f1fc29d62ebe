import Foundation
import XCTest

/// The audit trail through the real binary: `log`'s filters, alone and combined, in text and
/// JSON; `log -- PATH...` from a subfolder; and `log --field` following one label through five
/// snapshots and a rename of its file.
final class LogHistoryE2ETests: XCTestCase {
    /// Runs dsnap with a clock and an author of its own.
    private func run(_ arguments: [String], in directory: String, now: String = "2026-03-10T12:00:00Z",
                     author: String = "test@example.com") throws -> DsnapRun {
        try RunningDsnap(arguments, in: directory,
                         environment: DsnapProcess.environment(now: now, extra: ["GIT_AUTHOR_EMAIL": author])).wait()
    }

    private func commit(_ arguments: [String], in root: String, now: String, author: String = "test@example.com")
        throws -> String {
        try idOf(try snapshotObject(run(["commit", "--json"] + arguments, in: root, now: now, author: author)))
    }

    private func names(_ arguments: [String], in root: String, now: String = "2026-03-10T12:00:00Z") throws -> [String] {
        let result = try jsonArray(run(["log", "--json"] + arguments, in: root, now: now))
        // The text form lists the same snapshots, one line each, in the same order.
        let text = expect(try run(["log"] + arguments, in: root, now: now), exit: 0)
        XCTAssertEqual(text.stdout.split(separator: "\n").map { String($0.prefix(12)) },
                       result.compactMap { ($0["snapshot_id"] as? String)?.prefix(12) }.map(String.init), text.transcript)
        return result.compactMap { $0["snapshot_name"] as? String }
    }

    private func edit(_ dataset: TemporaryDataset, _ path: String, _ body: (inout [String: Any]) -> Void) throws {
        var object = try XCTUnwrap(try parseJSON(dataset.read(path)) as? [String: Any])
        body(&object)
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try dataset.write(String(decoding: data, as: UTF8.self) + "\n", to: path)
    }

    /// creation (03-01, test), tagged (03-02, Ana, model run-17), fixed (03-04, bob, "fix" in the
    /// description), cleanup (03-06, Ana), and an autosave (03-07) of changes a restore discarded.
    private func makeHistory() throws -> TemporaryDataset {
        let (dataset, _) = try makeDataset(now: "2026-03-01T10:00:00Z")
        try dataset.write("{\"step\": 1}\n", to: "notes/one.json")
        _ = try commit(["-m", "tagged", "--training-model-id", "run-17", "--training-model-name", "tagger-v2"],
                       in: dataset.path, now: "2026-03-02T09:00:00Z", author: "Ana@Example.com")
        try dataset.write("{\"step\": 2}\n", to: "notes/one.json")
        _ = try commit(["-m", "fixed", "-d", "Fix the labels of run 17"], in: dataset.path,
                       now: "2026-03-04T09:00:00Z", author: "bob@example.org")
        try dataset.write("{\"step\": 3}\n", to: "notes/two.json")
        _ = try commit(["-m", "cleanup"], in: dataset.path, now: "2026-03-06T09:00:00Z", author: "ana@example.com")
        try dataset.write("{\"step\": 4}\n", to: "notes/two.json")
        expect(try run(["restore", "--discard", "current"], in: dataset.path, now: "2026-03-07T09:00:00Z"), exit: 0)
        return dataset
    }

    // MARK: Filters

    func testEachFilterAloneAndCombined() throws {
        let dataset = try makeHistory()
        let root = dataset.path
        let all = try names([], in: root)
        XCTAssertEqual(all, ["cleanup", "fixed", "tagged", "basic_snapshot_" + all[3].suffix(8)])
        XCTAssertEqual(try names(["--reason", "manual"], in: root), ["cleanup", "fixed", "tagged"])
        XCTAssertEqual(try names(["--reason", "creation"], in: root), [all[3]])
        XCTAssertEqual(try names(["--reason", "clone"], in: root), [])
        // Asking for autosaves by reason lists them without --all.
        let autosaves = try names(["--reason", "autosave"], in: root)
        XCTAssertEqual(autosaves.count, 1)
        XCTAssertEqual(try names(["--reason", "creation,autosave"], in: root), autosaves + [all[3]])
        XCTAssertEqual(try names(["--all", "--reason", "manual"], in: root), ["cleanup", "fixed", "tagged"])

        XCTAssertEqual(try names(["--since", "2026-03-04"], in: root), ["cleanup", "fixed"])
        XCTAssertEqual(try names(["--since", "2026-03-04T09:00:01"], in: root), ["cleanup"])
        XCTAssertEqual(try names(["--until", "2026-03-04"], in: root), ["fixed", "tagged", all[3]],
                       "a date alone takes its whole day in")
        XCTAssertEqual(try names(["--until", "2026-03-04T08:59"], in: root), ["tagged", all[3]])
        XCTAssertEqual(try names(["--since", "2026-03-02", "--until", "2026-03-05"], in: root), ["fixed", "tagged"])
        XCTAssertEqual(try names(["--since", "2026-03-02T11:00+02:00", "--until", "2026-03-02T11:00+02:00"], in: root),
                       ["tagged"], "an offset converts to UTC")

        XCTAssertEqual(try names(["--author", "ANA@example"], in: root), ["cleanup", "tagged"], "any case, any part")
        XCTAssertEqual(try names(["--author", "example.org"], in: root), ["fixed"])
        XCTAssertEqual(try names(["--grep", "FIX"], in: root), ["fixed"], "the name or the description")
        XCTAssertEqual(try names(["--grep", "run 17"], in: root), ["fixed"])
        XCTAssertEqual(try names(["--grep", "snapshot_"], in: root), [all[3]])
        XCTAssertEqual(try names(["--model", "run-17"], in: root), ["tagged"])
        XCTAssertEqual(try names(["--model", "run"], in: root), [], "the model id matches whole")

        XCTAssertEqual(try names(["--author", "ana", "--since", "2026-03-03"], in: root), ["cleanup"])
        XCTAssertEqual(try names(["--reason", "manual", "--author", "ana", "--grep", "tag", "--model", "run-17"],
                                 in: root), ["tagged"])
        XCTAssertEqual(try names(["--reason", "manual", "-n", "2"], in: root), ["cleanup", "fixed"],
                       "-n counts what the filters left")
        XCTAssertEqual(try names(["--author", "ana", "-n", "1", "--until", "2026-03-05"], in: root), ["tagged"])

        // Deleted snapshots, filtered the same way.
        expect(try run(["delete", "fixed"], in: root), exit: 0)
        XCTAssertEqual(try names(["--deleted", "--author", "bob"], in: root), ["fixed"])
        XCTAssertEqual(try names(["--deleted", "--author", "ana"], in: root), [])
        XCTAssertEqual(try names(["--grep", "fix"], in: root), [])
    }

    func testRelativeDatesCountFromDSNAP_NOW() throws {
        let dataset = try makeHistory()
        let root = dataset.path
        let now = "2026-03-08T09:00:00Z"
        XCTAssertEqual(try names(["--since", "2.days.ago"], in: root, now: now), ["cleanup"])
        XCTAssertEqual(try names(["--since", "4 days ago"], in: root, now: now), ["cleanup", "fixed"])
        XCTAssertEqual(try names(["--since", "6.days.ago", "--until", "3.days.ago"], in: root, now: now),
                       ["fixed", "tagged"])
        XCTAssertEqual(try names(["--since", "yesterday"], in: root, now: "2026-03-07T08:00:00Z"), ["cleanup"])
        XCTAssertEqual(try names(["--until", "now"], in: root, now: "2026-03-02T09:00:00Z").count, 2)
        XCTAssertEqual(try names(["--since", "today"], in: root, now: "2026-03-06T23:00:00Z"), ["cleanup"])
    }

    func testBadValuesAreUsageErrors() throws {
        let dataset = try makeHistory()
        let root = dataset.path
        expectError(try run(["log", "--since", "last tuesday"], in: root), exit: 2, hint: true,
                    mentioning: ["'--since'", "'last tuesday'", "2.weeks.ago"])
        expectError(try run(["log", "--until", "2026-02-30"], in: root), exit: 2, hint: true, mentioning: ["'--until'"])
        expectError(try run(["log", "--reason", "manual,typo"], in: root), exit: 2, hint: true,
                    mentioning: ["'typo'", "creation, manual, clone, merge or autosave"])
        expectError(try run(["log", "--field", "label", "--", "a.json"], in: root), exit: 2, hint: true,
                    mentioning: ["JSON Pointer", "'/'"])
        expectError(try run(["log", "--field", "/a~2b", "--", "a.json"], in: root), exit: 2, hint: true,
                    mentioning: ["'~'"])
        expectError(try run(["log", "--field", "/label"], in: root), exit: 2, hint: true, mentioning: ["FILE"])
        expectError(try run(["log", "--field", "/label", "--", "a.json", "b.json"], in: root), exit: 2, hint: true)
        expectError(try run(["log", "--field", "/label", "--", "."], in: root), exit: 2, hint: true)
        expectError(try run(["log", "--array-key", "id"], in: root), exit: 2, hint: true, mentioning: ["'--field'"])
        expectError(try run(["log", "--field", "/x", "--array-key=", "--", "a.json"], in: root), exit: 2, hint: true)
        expectError(try run(["log", "--", "/elsewhere"], in: root), exit: 2, hint: true, mentioning: ["outside"])
        expectError(try run(["log", "--field", "/label", "--", "no/such.json"], in: root), exit: 3, hint: true,
                    mentioning: ["'no/such.json'"])
    }

    // MARK: log -- PATH...

    func testLogOfPathsFromASubfolder() throws {
        let (dataset, creation) = try makeDataset(now: "2026-03-01T10:00:00Z")
        let root = dataset.path
        try dataset.write("{\"label\": \"cat\"}\n", to: "images/cats/extra.json")
        let added = try commit(["-m", "added"], in: root, now: "2026-03-02T10:00:00Z")
        try FileManager.default.createDirectory(atPath: root + "/images/pets", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: root + "/images/cats/extra.json", toPath: root + "/images/pets/extra.json")
        let moved = try commit(["-m", "moved"], in: root, now: "2026-03-03T10:00:00Z")
        try dataset.write("outside\n", to: "notes.txt")
        _ = try commit(["-m", "elsewhere"], in: root, now: "2026-03-04T10:00:00Z")
        try FileManager.default.removeItem(atPath: root + "/images/cats/a.jpg")
        try dataset.write("{\"label\": \"dog\"}\n", to: "images/pets/extra.json")
        let mixed = try commit(["-m", "mixed"], in: root, now: "2026-03-05T10:00:00Z")

        let images = root + "/images"
        let entries = try jsonArray(run(["log", "--json", "--", "cats", "pets/"], in: images))
        XCTAssertEqual(entries.compactMap { $0["snapshot_id"] as? String },
                       [mixed, moved, added, try idOf(creation)], "the snapshot that changed neither is left out")
        let changes = entries.map { ($0["changes"] as? [[String: String]]) ?? [] }
        XCTAssertEqual(changes[0].map { $0["path"] ?? "" }, ["images/cats/a.jpg", "images/pets/extra.json"],
                       "JSON paths are from the dataset's root")
        XCTAssertEqual(changes[0].map { $0["status"] ?? "" }, ["removed", "modified"])
        XCTAssertEqual(changes[0].map { $0["class"] ?? "" }, ["image", "json"])
        XCTAssertEqual(changes[1], [["path": "images/pets/extra.json", "status": "renamed", "class": "json",
                                     "old_path": "images/cats/extra.json"]])
        XCTAssertEqual(changes[2], [["path": "images/cats/extra.json", "status": "added", "class": "json"]])
        XCTAssertEqual(changes[3].map { $0["path"] ?? "" }, ["images/cats/a.jpg", "images/cats/a.json"])
        let keys = RawJSON.objects(in: try run(["log", "--json", "-n", "1", "--", "pets"], in: images).stdout, depth: 2)
        XCTAssertEqual(keys.first?.suffix(3).map(\.key), ["parent_snapshot_id", "is_deleted", "changes"],
                       "a snapshot object, then its changes")

        let text = expect(try run(["log", "-n", "2", "--", "pets"], in: images), exit: 0)
        XCTAssertEqual(text.stderr, "")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, text.transcript)
        XCTAssertTrue(lines[0].hasPrefix(String(mixed.prefix(12))) && lines[0].hasSuffix("mixed  (current)"), lines[0])
        XCTAssertEqual(lines[1], "    modified  pets/extra.json", "text paths are from the working folder")
        XCTAssertTrue(lines[2].hasSuffix("moved"), lines[2])
        // Limited to pets/, the file came from outside: added, as `git log --name-status -- pets` says.
        XCTAssertEqual(lines[3], "    added     pets/extra.json")
        // Filters apply before -n, and a path that never existed lists nothing.
        XCTAssertEqual(try jsonArray(run(["log", "--json", "--grep", "add", "--", "pets", "cats"], in: images))
            .compactMap { $0["snapshot_id"] as? String }, [added])
        XCTAssertEqual(try run(["log", "--", "nothing/here"], in: images).stdout, "")
    }

    // MARK: log --field

    /// The case: a label through five snapshots, one of which renames its file.
    func testFieldHistoryOfALabelAcrossFiveSnapshotsAndARename() throws {
        let dataset = try TemporaryDataset(fixture: "basic")
        let root = dataset.path
        try edit(dataset, "images/cats/a.json") { $0["label"] = "cat" }
        let creation = try idOf(try snapshotObject(run(["init", "--json"], in: root, now: "2026-03-01T10:00:00Z")))
        try edit(dataset, "images/cats/a.json") { $0["label"] = "dog" }
        let relabel = try commit(["-m", "tagger run", "--training-model-id", "run-17", "--training-model-name",
                                  "tagger-v2"], in: root, now: "2026-03-02T10:00:00Z", author: "bot@lab.example")
        try FileManager.default.createDirectory(atPath: root + "/images/pets", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: root + "/images/cats/a.json", toPath: root + "/images/pets/a.json")
        _ = try commit(["-m", "reorganise"], in: root, now: "2026-03-03T10:00:00Z", author: "ana@lab.example")
        try edit(dataset, "images/pets/a.json") { $0["label"] = "cat"; $0["tags"] = ["quality": "high"] }
        let fix = try commit(["-m", "fix label"], in: root, now: "2026-03-04T10:00:00Z", author: "ana@lab.example")
        try dataset.write("{\"other\": true}\n", to: "images/pets/b.json")
        _ = try commit(["-m", "unrelated"], in: root, now: "2026-03-05T10:00:00Z", author: "ana@lab.example")

        let history = try jsonArray(run(["log", "--json", "--field", "/label", "--", "a.json"],
                                        in: root + "/images/pets"))
        XCTAssertEqual(history.compactMap { $0["snapshot_id"] as? String }, [fix, relabel, creation])
        let fields = history.compactMap { $0["field"] as? [String: Any] }
        XCTAssertEqual(fields.map { $0["path"] as? String }, ["images/pets/a.json", "images/cats/a.json",
                                                              "images/cats/a.json"], "the path in each snapshot")
        XCTAssertEqual(fields.map { $0["old"] as? String }, ["dog", "cat", nil])
        XCTAssertEqual(fields.map { $0["new"] as? String }, ["cat", "dog", "cat"])
        XCTAssertEqual(fields.map { $0["old_absent"] as? Bool }, [false, false, true])
        XCTAssertEqual(fields.map { $0["new_absent"] as? Bool }, [false, false, false])
        XCTAssertEqual(history[1]["created_by"] as? String, "bot@lab.example")
        XCTAssertEqual(history[1]["training_model_id"] as? String, "run-17")
        XCTAssertEqual(history[1]["reason"] as? String, "manual")
        XCTAssertEqual(history[2]["reason"] as? String, "creation")

        // The same, as people read it, from the dataset's root.
        let text = expect(try run(["log", "--field", "/label", "--", "images/pets/a.json"], in: root), exit: 0)
        XCTAssertEqual(text.stderr, "")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 9, text.transcript)
        XCTAssertTrue(lines[0].hasPrefix(String(fix.prefix(12))) && lines[0].hasSuffix("fix label"), lines[0])
        XCTAssertEqual(lines[1], "    by ana@lab.example")
        XCTAssertEqual(lines[2], "    images/pets/a.json /label: \"dog\" -> \"cat\"")
        XCTAssertTrue(lines[3].hasSuffix("tagger run"), lines[3])
        XCTAssertEqual(lines[4], "    by bot@lab.example, model tagger-v2 (run-17)")
        XCTAssertEqual(lines[5], "    images/cats/a.json /label: \"cat\" -> \"dog\"")
        XCTAssertEqual(lines[8], "    images/cats/a.json /label: absent -> \"cat\"")

        // Filters and -n narrow the entries; the values stay those of each snapshot and its parent.
        let byModel = try jsonArray(run(["log", "--json", "--model", "run-17", "--field", "/label", "--",
                                         "images/pets/a.json"], in: root))
        XCTAssertEqual(byModel.compactMap { $0["snapshot_id"] as? String }, [relabel])
        XCTAssertEqual(try jsonArray(run(["log", "--json", "-n", "1", "--field", "/label", "--", "images/pets/a.json"],
                                         in: root)).count, 1)
        // A field that changes in the rename's neighbour only, and the whole-file pointer.
        let tags = try jsonArray(run(["log", "--json", "--field", "/tags/quality", "--", "images/pets/a.json"], in: root))
        XCTAssertEqual(tags.compactMap { $0["snapshot_id"] as? String }, [fix, creation])
        // Exact numbers, as the sidecar holds them.
        let serial = expect(try run(["log", "--json", "--field", "/sensor_serial", "--", "images/pets/a.json"], in: root),
                            exit: 0)
        XCTAssertTrue(serial.stdout.contains("\"new\": 12345678901234567890"), serial.stdout)
        // The file's old path names it too, in the snapshots where it had that path.
        let old = try jsonArray(run(["log", "--json", "--field", "/label", "--", "images/cats/a.json"], in: root))
        XCTAssertEqual(old.compactMap { $0["snapshot_id"] as? String }, [try commitAfter(relabel, in: root), relabel,
                                                                          creation])
        XCTAssertEqual((old.first?["field"] as? [String: Any])?["new_absent"] as? Bool, true,
                       "the rename took the file away from that path")
    }

    /// The id of the snapshot whose parent is `id`.
    private func commitAfter(_ id: String, in root: String) throws -> String {
        let all = try jsonArray(run(["log", "--json"], in: root))
        return try XCTUnwrap(all.first { $0["parent_snapshot_id"] as? String == id }?["snapshot_id"] as? String)
    }

    func testFieldHistoryWithArrayKeyFollowsAnElementThatMoves() throws {
        let (dataset, _) = try makeDataset(now: "2026-03-01T10:00:00Z")
        let root = dataset.path
        // Annotation 2 moves to the front: by position, /annotations/0 changed; by id, nothing did.
        try edit(dataset, "images/cats/a.json") { object in
            var annotations = object["annotations"] as! [[String: Any]]
            annotations.insert(annotations.remove(at: 1), at: 0)
            object["annotations"] = annotations
        }
        let moved = try commit(["-m", "reorder"], in: root, now: "2026-03-02T10:00:00Z")
        try edit(dataset, "images/cats/a.json") { object in
            var annotations = object["annotations"] as! [[String: Any]]
            annotations[0]["category_id"] = 9
            object["annotations"] = annotations
        }
        let recat = try commit(["-m", "recategorise"], in: root, now: "2026-03-03T10:00:00Z")

        let keyed = try jsonArray(run(["log", "--json", "--field", "/annotations/2/category_id", "--array-key", "id",
                                       "--", "images/cats/a.json"], in: root))
        XCTAssertEqual(keyed.compactMap { $0["snapshot_id"] as? String }.first, recat)
        XCTAssertEqual(keyed.count, 2, "the recategorisation and the creation")
        let field = try XCTUnwrap(keyed.first?["field"] as? [String: Any])
        XCTAssertEqual(field["old"] as? Int, 7)
        XCTAssertEqual(field["new"] as? Int, 9)

        let positional = try jsonArray(run(["log", "--json", "--field", "/annotations/0/category_id", "--",
                                            "images/cats/a.json"], in: root))
        XCTAssertEqual(positional.compactMap { $0["snapshot_id"] as? String }.prefix(2), [recat, moved])
        // A key no element has is absent.
        let missing = try jsonArray(run(["log", "--json", "--field", "/annotations/99", "--array-key", "id", "--",
                                         "images/cats/a.json"], in: root))
        XCTAssertEqual(missing.count, 0)
    }

    func testFieldHistoryWarnsAboutAVersionThatIsNotJSON() throws {
        let (dataset, _) = try makeDataset(now: "2026-03-01T10:00:00Z")
        let root = dataset.path
        try dataset.write("{\"label\": \"cat\"", to: "images/cats/a.json")
        _ = try commit(["-m", "broken"], in: root, now: "2026-03-02T10:00:00Z")
        let run = expect(try self.run(["log", "--json", "--field", "/id", "--", "images/cats/a.json"], in: root), exit: 0)
        XCTAssertTrue(run.stderr.contains("is not valid JSON"), run.transcript)
        let entries = try XCTUnwrap(try parseJSON(run.stdout) as? [[String: Any]])
        XCTAssertEqual(entries.count, 2)
        XCTAssertEqual((entries[0]["field"] as? [String: Any])?["new_absent"] as? Bool, true)
    }
}

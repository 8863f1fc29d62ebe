import Foundation
import XCTest

/// RFC 6902 (add / remove / replace) over Foundation's JSON values, so `--json-patch` is checked by
/// a parser and an applier that share nothing with dsnap's.
enum FoundationJSONPatch {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func tokens(_ pointer: String) throws -> [String] {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else { throw Failure(description: "'\(pointer)' is not a JSON Pointer") }
        return try pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { raw in
            var token = ""
            var characters = raw.makeIterator()
            while let character = characters.next() {
                guard character == "~" else { token.append(character); continue }
                switch characters.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default: throw Failure(description: "bad escape in '\(pointer)'")
                }
            }
            return token
        }
    }

    static func apply(_ patch: [[String: Any]], to document: Any) throws -> Any {
        var current = document
        for (index, operation) in patch.enumerated() {
            guard let op = operation["op"] as? String, let path = operation["path"] as? String else {
                throw Failure(description: "operation #\(index) has no op or path: \(operation)")
            }
            let value = operation["value"]
            switch op {
            case "add", "replace":
                guard value != nil else { throw Failure(description: "operation #\(index) (\(op)) has no value") }
            case "remove":
                guard value == nil else { throw Failure(description: "operation #\(index) (remove) has a value") }
            default:
                throw Failure(description: "operation #\(index): unexpected op '\(op)'")
            }
            do {
                current = try apply(op, try tokens(path)[...], value, to: current)
            } catch let failure as Failure {
                throw Failure(description: "operation #\(index) \(op) \(path): \(failure.description)")
            }
        }
        return current
    }

    private static func index(_ token: String, count: Int, allowEnd: Bool) throws -> Int {
        guard let index = Int(token), String(index) == token, index >= 0,
              index < count || (allowEnd && index == count) else {
            throw Failure(description: "bad array index '\(token)' (count \(count))")
        }
        return index
    }

    private static func apply(_ op: String, _ tokens: ArraySlice<String>, _ value: Any?, to document: Any) throws -> Any {
        guard let token = tokens.first else {
            guard op != "remove" else { throw Failure(description: "cannot remove the root") }
            return value!
        }
        let last = tokens.count == 1
        if var object = document as? [String: Any] {
            if last {
                switch op {
                case "add": object[token] = value!
                case "remove", "replace":
                    guard object[token] != nil else { throw Failure(description: "no member '\(token)'") }
                    object[token] = op == "remove" ? nil : value!
                default: break
                }
            } else {
                guard let child = object[token] else { throw Failure(description: "no member '\(token)'") }
                object[token] = try apply(op, tokens.dropFirst(), value, to: child)
            }
            return object
        }
        if var array = document as? [Any] {
            if last {
                switch op {
                case "add": array.insert(value!, at: try index(token, count: array.count, allowEnd: true))
                case "remove": array.remove(at: try index(token, count: array.count, allowEnd: false))
                case "replace": array[try index(token, count: array.count, allowEnd: false)] = value!
                default: break
                }
            } else {
                let position = try index(token, count: array.count, allowEnd: false)
                array[position] = try apply(op, tokens.dropFirst(), value, to: array[position])
            }
            return array
        }
        throw Failure(description: "'\(token)' goes into a scalar")
    }

    /// Deep equality of Foundation JSON values: members by key, numbers by NSNumber value.
    static func equal(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (is NSNull, is NSNull):
            return true
        case let (x as [String: Any], y as [String: Any]):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        case let (x as [Any], y as [Any]):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (x as String, y as String):
            return x.utf8.elementsEqual(y.utf8)
        case let (x as NSNumber, y as NSNumber):
            return x == y
        default:
            return false
        }
    }
}

/// `dsnap diff`, end to end: the built binary on a copy of fixtures/basic.
final class DiffE2ETests: XCTestCase {
    // MARK: Helpers

    private func dsnap(_ arguments: [String], in directory: String, now: String = "2026-03-01T10:00:00Z")
        throws -> DsnapRun {
        try E2E.run(arguments, in: directory, now: now)
    }

    /// Runs dsnap, asserts exit 0 and no crash, and returns stdout's lines (without the last newline).
    private func lines(_ arguments: [String], in directory: String, file: StaticString = #filePath,
                       line: UInt = #line) throws -> [String] {
        let run = expect(try dsnap(arguments, in: directory), exit: 0, file: file, line: line)
        guard !run.stdout.isEmpty else { return [] }
        XCTAssertTrue(run.stdout.hasSuffix("\n"), "stdout does not end with a newline\n\(run.transcript)", file: file, line: line)
        return run.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    /// Runs dsnap, asserts exit 0 and no crash, and parses stdout as a JSON object (stderr may hold warnings).
    private func json(_ arguments: [String], in directory: String, file: StaticString = #filePath,
                      line: UInt = #line) throws -> ([String: Any], DsnapRun) {
        let run = expect(try dsnap(arguments, in: directory), exit: 0, file: file, line: line)
        let object = try XCTUnwrap(try parseJSON(run.stdout) as? [String: Any], run.transcript, file: file, line: line)
        return (object, run)
    }

    private func replace(_ old: String, with new: String, in relativePath: String, of data: TemporaryDataset,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let text = try data.read(relativePath)
        XCTAssertTrue(text.contains(old), "fixture \(relativePath) lacks '\(old)'", file: file, line: line)
        try data.write(text.replacingOccurrences(of: old, with: new), to: relativePath)
    }

    /// Copies of b.png's bytes with one more byte: a new image, not a copy or a rename.
    private func addImage(_ relativePath: String, in data: TemporaryDataset) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: data.path + "/images/dogs/b.png"))
        bytes.append(0x0A)
        try bytes.write(to: URL(fileURLWithPath: data.path + "/" + relativePath))
    }

    /// The old side of a file: `git cat-file blob SNAP:PATH` in the dataset's repository.
    private func blob(_ snapshot: String, _ path: String, in data: TemporaryDataset, file: StaticString = #filePath,
                      line: UInt = #line) throws -> String {
        let result = try E2E.git(["cat-file", "blob", "\(snapshot):\(path)"], dataset: data.path)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return result.stdout
    }

    /// Applies every patch of a `--json-patch` document to the A version of its file (from git) and
    /// compares with the B version (`newContent(path)`); returns the patched paths.
    @discardableResult
    private func checkPatches(_ patches: [String: Any], from snapshot: String, in data: TemporaryDataset,
                              newContent: (String) throws -> String, file: StaticString = #filePath,
                              line: UInt = #line) throws -> [String] {
        for (path, patch) in patches {
            let operations = try XCTUnwrap(patch as? [[String: Any]], "patch of \(path) is not an array of objects",
                                           file: file, line: line)
            let old = try parseJSON(try blob(snapshot, path, in: data, file: file, line: line))
            let new = try parseJSON(try newContent(path))
            do {
                let patched = try FoundationJSONPatch.apply(operations, to: old)
                XCTAssertTrue(FoundationJSONPatch.equal(patched, new),
                              "the patch of \(path) does not give the new version\npatch: \(operations)\n"
                                  + "patched: \(patched)\nnew: \(new)", file: file, line: line)
            } catch {
                XCTFail("the patch of \(path) does not apply: \(error)\npatch: \(operations)", file: file, line: line)
            }
        }
        return patches.keys.sorted()
    }

    /// (op, path, old?, new?) of each change of a `--json` file entry, values as compact JSON text.
    private func changes(of entry: [String: Any]?) -> [[String]] {
        func text(_ value: Any?) -> String {
            guard let value else { return "-" }
            guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
            else { return "?" }
            return String(decoding: data, as: UTF8.self)
        }
        return (entry?["changes"] as? [[String: Any]] ?? []).map {
            [$0["op"] as? String ?? "?", $0["path"] as? String ?? "?", text($0["old"]), text($0["new"])]
        }
    }

    private func entry(_ path: String, in diff: [String: Any]) -> [String: Any]? {
        (diff["files"] as? [[String: Any]])?.first { $0["path"] as? String == path }
    }

    /// The change lines under a file's header in the text format.
    private func block(after header: String, in output: [String], file: StaticString = #filePath,
                       line: UInt = #line) -> [String] {
        guard let start = output.firstIndex(of: header) else {
            XCTFail("no line '\(header)' in:\n\(output.joined(separator: "\n"))", file: file, line: line)
            return []
        }
        return Array(output[(start + 1)...].prefix { $0.hasPrefix("     ") })
    }

    // MARK: The main scenario

    private static let summary = "5 files changed: 1 added (1 image), 1 removed (1 other), 2 modified (2 json), "
        + "1 renamed (1 image); 4 JSON fields changed"
    private static let nameStatus = ["M\timages/café/crème.json", "M\timages/cats/a.json", "A\timages/cats/new.png",
                                     "R\timages/日本/猫.png\timages/日本/neko.png", "D\tlabels.csv"]
    private static let aJSONChangeLines = [#"     - /width  64"#, #"     + /labels/1  "fluffy""#,
                                           #"     ~ /tags/quality  "low" -> "high""#,
                                           #"     ~ /annotations/1/category_id  7 -> 9"#]
    /// Invalid JSON in crème.json: the second comma of line 3, column 24.
    private static let invalidCreme = "{\n  \"id\": 19,\n  \"labels\": [\"dessert\",, ]\n}\n"

    /// fixtures/basic after `dsnap init`, then: a.json edited (tags.quality, a label inserted in the
    /// middle, a key removed, an annotation's category changed), an image added, labels.csv deleted,
    /// 猫.png renamed, crème.json made invalid. Returns the dataset and the creation snapshot's id.
    private func editedDataset(file: StaticString = #filePath, line: UInt = #line) throws -> (TemporaryDataset, String) {
        let (data, creation) = try makeDataset(file: file, line: line)
        let id = try idOf(creation, file: file, line: line)
        try replace(#""quality": "low""#, with: #""quality": "high""#, in: "images/cats/a.json", of: data)
        try replace(#"["cat", "indoor"]"#, with: #"["cat", "fluffy", "indoor"]"#, in: "images/cats/a.json", of: data)
        try replace("  \"width\": 64,\n", with: "", in: "images/cats/a.json", of: data)
        try replace(#"{"id": 2, "category_id": 7"#, with: #"{"id": 2, "category_id": 9"#, in: "images/cats/a.json", of: data)
        try addImage("images/cats/new.png", in: data)
        try FileManager.default.removeItem(atPath: data.path + "/labels.csv")
        try FileManager.default.moveItem(atPath: data.path + "/images/日本/猫.png", toPath: data.path + "/images/日本/neko.png")
        try data.write(Self.invalidCreme, to: "images/café/crème.json")
        return (data, id)
    }

    private func assertInvalidCremeWarning(_ run: DsnapRun, side: String = "new", file: StaticString = #filePath,
                                           line: UInt = #line) {
        let warnings = run.stderr.split(separator: "\n").filter { $0.hasPrefix("dsnap: warning: ") }
        XCTAssertEqual(warnings.count, 1, "one warning expected\n\(run.transcript)", file: file, line: line)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, warnings.count, "stderr has more than warnings\n\(run.transcript)",
                       file: file, line: line)
        for word in ["images/café/crème.json", "line 3", "column 24", side] {
            XCTAssertTrue(warnings.first?.contains(word) ?? false, "the warning lacks '\(word)'\n\(run.transcript)",
                          file: file, line: line)
        }
    }

    func testTextShowsTheSummaryThenEachFileWithItsFieldChanges() throws {
        let (data, _) = try editedDataset()
        let run = expect(try dsnap(["diff"], in: data.path), exit: 0)
        assertInvalidCremeWarning(run)
        let output = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(output.first, Self.summary, run.transcript)
        for header in ["M  images/café/crème.json  (json)", "M  images/cats/a.json  (json)", "A  images/cats/new.png  (image)",
                       "R  images/日本/猫.png -> images/日本/neko.png  (image)", "D  labels.csv  (other)"] {
            XCTAssertTrue(output.contains(header), "no '\(header)'\n\(run.transcript)")
        }
        XCTAssertEqual(output.count, 1 + 5 + 4, run.transcript)
        XCTAssertEqual(Set(block(after: "M  images/cats/a.json  (json)", in: output)), Set(Self.aJSONChangeLines),
                       run.transcript)
        XCTAssertEqual(block(after: "M  images/café/crème.json  (json)", in: output), [],
                       "an invalid JSON file has no field changes")
        // The files are listed in the same order as --name-status.
        let headers = output.dropFirst().filter { !$0.hasPrefix(" ") }
        let names = try lines(["diff", "--name-status"], in: data.path)
        XCTAssertEqual(headers.map { String($0.prefix(1)) }, names.map { String($0.prefix(1)) })
    }

    func testStatPrintsOnlyTheSummary() throws {
        let (data, _) = try editedDataset()
        let run = expect(try dsnap(["diff", "--stat"], in: data.path), exit: 0)
        XCTAssertEqual(run.stdout, Self.summary + "\n")
        assertInvalidCremeWarning(run)
        let clean = try makeDataset().0
        XCTAssertEqual(try lines(["diff", "--stat"], in: clean.path), ["no changes"])
        XCTAssertEqual(try lines(["diff"], in: clean.path), ["no changes"])
        XCTAssertEqual(try lines(["diff", "--name-status"], in: clean.path), [])
    }

    func testNameStatusIsOneTabSeparatedLinePerFile() throws {
        let (data, _) = try editedDataset()
        let output = try lines(["diff", "--name-status"], in: data.path)
        XCTAssertEqual(output.sorted(), Self.nameStatus.sorted())
        XCTAssertEqual(output.count, Set(output).count)
    }

    func testTypeChangeIsReportedAsT() throws {
        let (data, _) = try makeDataset()
        try FileManager.default.removeItem(atPath: data.path + "/images/dogs/IMG_0001.JPG")
        try FileManager.default.createSymbolicLink(atPath: data.path + "/images/dogs/IMG_0001.JPG",
                                                   withDestinationPath: "../cats/a.jpg")
        XCTAssertEqual(try lines(["diff", "--name-status"], in: data.path), ["T\timages/dogs/IMG_0001.JPG"])
        let text = try lines(["diff"], in: data.path)
        XCTAssertEqual(text, ["1 file changed: 1 type changed (1 image); 0 JSON fields changed",
                              "T  images/dogs/IMG_0001.JPG  (image)"])
        let (diff, _) = try json(["diff", "--json"], in: data.path)
        XCTAssertEqual(entry("images/dogs/IMG_0001.JPG", in: diff)?["status"] as? String, "type_changed")
        XCTAssertEqual(((diff["summary"] as? [String: Any])?["type_changed"] as? [String: Any])?["image"] as? Int, 1)
    }

    func testJSONDocument() throws {
        let (data, creation) = try editedDataset()
        let (diff, run) = try json(["diff", "--json"], in: data.path)
        assertInvalidCremeWarning(run)
        XCTAssertEqual(Set(diff.keys), ["from", "to", "summary", "files", "warnings"])
        let from = try XCTUnwrap(diff["from"] as? [String: Any])
        XCTAssertEqual(from["kind"] as? String, "snapshot")
        XCTAssertEqual(from["snapshot_id"] as? String, creation)
        XCTAssertEqual(from["dataset_name"] as? String, "basic")
        XCTAssertEqual(from["path"] as? String, data.path)
        let to = try XCTUnwrap(diff["to"] as? [String: Any])
        XCTAssertEqual(to["kind"] as? String, "work_tree")
        XCTAssertEqual(to["path"] as? String, data.path)

        let summary = try XCTUnwrap(diff["summary"] as? [String: Any])
        XCTAssertEqual(summary["files_changed"] as? Int, 5)
        XCTAssertEqual(summary["fields_changed"] as? Int, 4)
        let expected: [String: [String: Int]] = [
            "added": ["image": 1, "video": 0, "json": 0, "other": 0],
            "removed": ["image": 0, "video": 0, "json": 0, "other": 1],
            "modified": ["image": 0, "video": 0, "json": 2, "other": 0],
            "renamed": ["image": 1, "video": 0, "json": 0, "other": 0],
            "type_changed": ["image": 0, "video": 0, "json": 0, "other": 0],
        ]
        for (status, byClass) in expected {
            XCTAssertEqual(summary[status] as? [String: Int], byClass, "summary.\(status)")
        }

        let files = try XCTUnwrap(diff["files"] as? [[String: Any]])
        XCTAssertEqual(files.count, 5)
        let a = try XCTUnwrap(entry("images/cats/a.json", in: diff))
        XCTAssertEqual(a["status"] as? String, "modified")
        XCTAssertEqual(a["class"] as? String, "json")
        XCTAssertNil(a["old_path"])
        XCTAssertEqual(Set(changes(of: a)), [["remove", "/width", "64", "-"], ["add", "/labels/1", "-", #""fluffy""#],
                                             ["replace", "/tags/quality", #""low""#, #""high""#],
                                             ["replace", "/annotations/1/category_id", "7", "9"]])
        let renamed = try XCTUnwrap(entry("images/日本/neko.png", in: diff))
        XCTAssertEqual(renamed["status"] as? String, "renamed")
        XCTAssertEqual(renamed["class"] as? String, "image")
        XCTAssertEqual(renamed["old_path"] as? String, "images/日本/猫.png")
        XCTAssertEqual(entry("images/cats/new.png", in: diff)?["status"] as? String, "added")
        XCTAssertEqual(entry("images/cats/new.png", in: diff)?["class"] as? String, "image")
        XCTAssertEqual(entry("labels.csv", in: diff)?["status"] as? String, "removed")
        XCTAssertEqual(entry("labels.csv", in: diff)?["class"] as? String, "other")
        let creme = try XCTUnwrap(entry("images/café/crème.json", in: diff))
        XCTAssertEqual(creme["status"] as? String, "modified")
        XCTAssertEqual(changes(of: creme), [])
        for file in files where file["status"] as? String != "renamed" {
            XCTAssertNil(file["old_path"], "old_path only for renames: \(file)")
        }
        let warnings = try XCTUnwrap(diff["warnings"] as? [String])
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings.first?.contains("images/café/crème.json") ?? false)
        XCTAssertTrue(warnings.first?.contains("line 3") ?? false)
        XCTAssertTrue(warnings.first?.contains("column 24") ?? false)

        // Change objects: op and path always, old / new only where they apply, in that order.
        let changeObjects = RawJSON.objects(in: run.stdout, depth: 5).map { $0.map(\.key) }
        XCTAssertEqual(Set(changeObjects.map { $0.joined(separator: ",") }), ["op,path,old", "op,path,new", "op,path,old,new"])
    }

    func testJSONPatchAppliedToTheOldVersionGivesTheNewOne() throws {
        let (data, creation) = try editedDataset()
        let (patches, run) = try json(["diff", "--json-patch"], in: data.path)
        assertInvalidCremeWarning(run)
        // Only JSON files changed on both sides and valid on both.
        XCTAssertEqual(try checkPatches(patches, from: creation, in: data) { try data.read($0) }, ["images/cats/a.json"])
        let operations = try XCTUnwrap(patches["images/cats/a.json"] as? [[String: Any]])
        XCTAssertEqual(operations.count, 4)
        XCTAssertTrue(operations.allSatisfy { Set($0.keys) == ($0["op"] as? String == "remove" ? ["op", "path"] : ["op", "path", "value"]) },
                      "\(operations)")
    }

    func testJSONPatchEscapesPointersAndKeepsNumbersExact() throws {
        let (data, created) = try makeDataset()
        let creation = try idOf(created)
        let a = """
            {
              "id": 17,
              "file_name": "a.jpg",
              "width": 64.0,
              "labels": ["indoor", "cat", "日本の猫"],
              "tags": {"quality": "low", "source": "camera-3", "x/y~z": {"a/b": [1, 2], "~1": "tilde"}},
              "sensor_serial": 12345678901234567891,
              "annotations": [
                {"id": 3, "category_id": 3, "bbox": [30, 20, 20, 18], "area": 360, "iscrowd": 1},
                {"id": 1, "category_id": 3, "bbox": [12, 8, 40, 30], "area": 1200, "iscrowd": 0},
                {"id": 4, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 12, "iscrowd": 0}
              ],
              "captured_at": "2026-03-01T10:00:00Z",
              "/": {"~": 0.1}
            }
            """
        try data.write(a, to: "images/cats/a.json")
        try replace(#""caption": "Crème brûlée au café — 日本の猫も好き 🐱""#, with: #""caption": "Crème 🐶""#,
                    in: "images/café/crème.json", of: data)
        try replace(#"["dessert", "intérieur"]"#, with: #"["dessert", "été", "intérieur"]"#, in: "images/café/crème.json", of: data)
        try replace(#""score": 0.1"#, with: #""score": 0.10000000000000001"#, in: "images/dogs/b.png.json", of: data)
        try replace(#""aperture": 2.8"#, with: #""aperture": 2.80"#, in: "images/dogs/b.png.json", of: data)
        try replace(#"{"frame": 5, "score": 0.2, "bbox": [8, 8, 32, 24]},"#, with: "", in: "videos/clip.json", of: data)

        for arguments in [["diff", "--json-patch"], ["diff", "--json-patch", "--array-key", "id"]] {
            let (patches, run) = try json(arguments, in: data.path)
            XCTAssertEqual(run.stderr, "", run.transcript)
            XCTAssertEqual(try checkPatches(patches, from: creation, in: data) { try data.read($0) },
                           ["images/café/crème.json", "images/cats/a.json", "images/dogs/b.png.json", "videos/clip.json"],
                           run.transcript)
            // Keys with '/' and '~' are escaped as ~1 and ~0; big integers and decimals stay as written.
            XCTAssertTrue(run.stdout.contains(#""path": "/tags/x~1y~0z""#), run.stdout)
            XCTAssertTrue(run.stdout.contains(#""path": "/~1""#), run.stdout)
            XCTAssertTrue(run.stdout.contains(#""value": 12345678901234567891"#), run.stdout)
            XCTAssertTrue(run.stdout.contains(#""value": 0.10000000000000001"#), run.stdout)
            XCTAssertFalse(run.stdout.contains("/aperture"), "2.8 -> 2.80 is no change\n\(run.stdout)")
            XCTAssertFalse(run.stdout.contains("/width"), "64 -> 64.0 is no change\n\(run.stdout)")
            // One label inserted in the middle of crème.json: one add.
            XCTAssertEqual((patches["images/café/crème.json"] as? [[String: Any]])?.filter { ($0["path"] as? String)?.hasPrefix("/labels") ?? false }.count,
                           1, run.stdout)
            XCTAssertEqual((patches["videos/clip.json"] as? [[String: Any]])?.count, 1, run.stdout)
        }
    }

    func testNumbersAreComparedByValueAndPrintedAsWritten() throws {
        let (data, _) = try makeDataset()
        try replace(#""score": 0.1"#, with: #""score": 0.10"#, in: "images/dogs/b.png.json", of: data)
        try replace(#""aperture": 2.8"#, with: #""aperture": 2.80e0"#, in: "images/dogs/b.png.json", of: data)
        try replace(#""iso": 400"#, with: #""iso": 4e2"#, in: "images/dogs/b.png.json", of: data)
        try replace(#""exposure_s": 0.004"#, with: #""exposure_s": 0.005"#, in: "images/dogs/b.png.json", of: data)
        try replace(#""id": 18"#, with: #""id": 18.5"#, in: "images/dogs/b.png.json", of: data)
        try replace(#""alt_m": null"#, with: #""alt_m": 12.0"#, in: "images/dogs/b.png.json", of: data)
        try replace(#""sensor_serial": 12345678901234567890"#, with: #""sensor_serial": 12345678901234567890.0"#,
                    in: "images/cats/a.json", of: data)
        try replace(#""height": 48"#, with: #""height": 48.5"#, in: "images/cats/a.json", of: data)

        let text = try lines(["diff"], in: data.path)
        XCTAssertEqual(text.first, "2 files changed: 2 modified (2 json); 4 JSON fields changed")
        XCTAssertEqual(Set(block(after: "M  images/dogs/b.png.json  (json)", in: text)),
                       ["     ~ /id  18 -> 18.5", "     ~ /camera/settings/exposure_s  0.004 -> 0.005",
                        "     ~ /camera/gps/alt_m  null -> 12.0"])
        XCTAssertEqual(block(after: "M  images/cats/a.json  (json)", in: text), ["     ~ /height  48 -> 48.5"])

        let run = expect(try dsnap(["diff", "--json"], in: data.path), exit: 0)
        for raw in [#""old": 0.004"#, #""new": 0.005"#, #""new": 18.5"#, #""new": 12.0"#, #""old": null"#] {
            XCTAssertTrue(run.stdout.contains(raw), "no \(raw) in\n\(run.stdout)")
        }
        // A change of the big integer itself is exact.
        try replace(#""sensor_serial": 12345678901234567890.0"#, with: #""sensor_serial": 12345678901234567891"#,
                    in: "images/cats/a.json", of: data)
        let big = expect(try dsnap(["diff", "--json", "--", "images/cats"], in: data.path), exit: 0)
        XCTAssertTrue(big.stdout.contains(#""old": 12345678901234567890,"#), big.stdout)
        XCTAssertTrue(big.stdout.contains(#""new": 12345678901234567891"#), big.stdout)
        XCTAssertTrue(try lines(["diff", "--", "images/cats"], in: data.path)
            .contains("     ~ /sensor_serial  12345678901234567890 -> 12345678901234567891"))
    }

    func testTextPrintsJSONValuesEscapedOnce() throws {
        // Values in the text output are compact JSON, already escaped (and terminal-safe but for
        // C1 controls); escaping that text again for the terminal doubles every backslash, so
        // C:\dir shows as "C:\\\\dir" and say "hi" as "say \\"hi\\"" (not JSON any more).
        let (data, _) = try makeDataset()
        try data.write(#"{"p": "C:\\dir", "q": "say \"hi\"", "n": "a\nb"}"#, to: "images/q.json")
        _ = try commit(["-m", "base"], in: data.path, now: "2026-03-01T10:00:01Z")
        try data.write(#"{"p": "D:\\dir", "q": "say \"yo\"", "n": "a\nc"}"#, to: "images/q.json")
        let text = try lines(["diff", "--", "images/q.json"], in: data.path)
        XCTAssertEqual(Set(block(after: "M  images/q.json  (json)", in: text)),
                       [#"     ~ /p  "C:\\dir" -> "D:\\dir""#, #"     ~ /q  "say \"hi\"" -> "say \"yo\"""#,
                        #"     ~ /n  "a\nb" -> "a\nc""#], text.joined(separator: "\n"))
        // The JSON output carries them faithfully.
        let (diff, _) = try json(["diff", "--json", "--", "images/q.json"], in: data.path)
        XCTAssertTrue(changes(of: entry("images/q.json", in: diff)).contains(["replace", "/p", #""C:\\dir""#, #""D:\\dir""#]))
    }

    // MARK: --by

    func testByTalliesValuesAcrossFiles() throws {
        let (data, _) = try makeDataset()
        try replace(#"["cat", "indoor"]"#, with: #"["cat", "fluffy", "indoor"]"#, in: "images/cats/a.json", of: data)
        try replace(#"["dog", "outdoor"]"#, with: #"["dog", "fluffy"]"#, in: "images/dogs/b.png.json", of: data)
        try data.write(#"{"labels": ["cat", "fluffy"]}"#, to: "images/new.json")
        try FileManager.default.removeItem(atPath: data.path + "/videos/clip.json")

        let text = try lines(["diff", "--by", "/labels"], in: data.path)
        XCTAssertEqual(text.first, "4 files changed: 1 added (1 json), 1 removed (1 json), 2 modified (2 json); "
                       + "2 JSON fields changed")
        let tally = text.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        XCTAssertEqual(tally, [[#""fluffy""#, "+3", "-0"], [#""cat""#, "+1", "-0"], [#""outdoor""#, "+0", "-1"],
                               [#""test-pattern""#, "+0", "-1"]], text.joined(separator: "\n"))
        // Values line up in one column.
        XCTAssertEqual(Set(text.dropFirst().map { $0.range(of: "  +")?.lowerBound.utf16Offset(in: $0) }).count, 1,
                       text.joined(separator: "\n"))
        XCTAssertEqual(try lines(["diff", "--by", "/labels", "--stat"], in: data.path), text)

        let (diff, run) = try json(["diff", "--by", "/labels", "--json"], in: data.path)
        XCTAssertEqual(run.stderr, "")
        let by = try XCTUnwrap(diff["by"] as? [[String: Any]])
        XCTAssertEqual(by.map { [$0["value"] as? String ?? "?", "\($0["added"] ?? "?")", "\($0["removed"] ?? "?")"] },
                       [["fluffy", "3", "0"], ["cat", "1", "0"], ["outdoor", "0", "1"], ["test-pattern", "0", "1"]])
        XCTAssertEqual(RawJSON.objects(in: run.stdout, depth: 3).filter { $0.first?.key == "value" }.map { $0.map(\.key) },
                       Array(repeating: ["value", "added", "removed"], count: 4))
        XCTAssertNil(try json(["diff", "--json"], in: data.path).0["by"], "no 'by' without --by")

        // A pointer to a scalar tallies that value.
        let quality = try lines(["diff", "--by", "/tags/quality", "--", "images/dogs"], in: data.path)
        XCTAssertEqual(quality.first, "1 file changed: 1 modified (1 json); 1 JSON field changed")
        XCTAssertEqual(quality.count, 1, "b.png.json's quality did not change: \(quality)")
        try replace(#""quality": "low""#, with: #""quality": "high""#, in: "images/cats/a.json", of: data)
        let changed = try lines(["diff", "--by", "/tags/quality", "--", "images/cats"], in: data.path)
        XCTAssertEqual(changed.dropFirst().map { $0.split(separator: " ").map(String.init) },
                       [[#""high""#, "+1", "-0"], [#""low""#, "+0", "-1"]])
    }

    func testJSONNestedDeeperThanTheLimitIsNamedInAWarning() throws {
        // Valid JSON, but 513 levels deep: not compared field by field, and the warning says why
        // (not "not valid JSON"), names the file and side, and the file is still listed.
        let (data, _) = try makeDataset()
        let deep = { (leaf: String) in String(repeating: "[", count: 513) + leaf + String(repeating: "]", count: 513) }
        try data.write(deep("1"), to: "meta/deep.json")
        XCTAssertEqual(try dsnap(["commit", "-q", "-m", "deep"], in: data.path).status, 0)
        try data.write(deep("2"), to: "meta/deep.json")

        let (diff, run) = try json(["diff", "--json"], in: data.path)
        let warning = "'meta/deep.json' (old side) is nested deeper than 512 levels (line 1, column 513): "
            + "its fields are not compared"
        XCTAssertTrue(run.stderr.contains("dsnap: warning: " + warning), run.transcript)
        XCTAssertTrue(run.stderr.contains("'meta/deep.json' (new side) is nested deeper than 512 levels"), run.transcript)
        XCTAssertEqual((diff["warnings"] as? [String])?.first, warning)
        XCTAssertEqual(entry("meta/deep.json", in: diff)?["status"] as? String, "modified")
        let (patches, _) = try json(["diff", "--json-patch"], in: data.path)
        XCTAssertNil(patches["meta/deep.json"], "a file whose fields were not compared has no patch")

        // At the limit, the file is compared field by field as usual.
        let atLimit = { (leaf: String) in String(repeating: "[", count: 512) + leaf + String(repeating: "]", count: 512) }
        try data.write(atLimit("1"), to: "meta/deep.json")
        XCTAssertEqual(try dsnap(["commit", "-q", "-m", "at-limit"], in: data.path).status, 0)
        try data.write(atLimit("2"), to: "meta/deep.json")
        // (Not parsed here: the patch holds values 511 levels deep, more than Foundation's parser takes.)
        let compared = expect(try dsnap(["diff", "--json-patch"], in: data.path), exit: 0)
        XCTAssertEqual(compared.stderr, "")
        XCTAssertTrue(compared.stdout.hasPrefix("{\n  \"meta/deep.json\": [\n    {"), compared.transcript)
    }

    func testByTakesNothingFromASideThatIsNotValidJSON() throws {
        // As dsnap-diff(1) says: a side that is not valid JSON gives no values, so the labels of
        // crème.json (valid in A, invalid in the work tree) count as removed.
        let (data, _) = try editedDataset()
        let (diff, run) = try json(["diff", "--by", "/labels", "--json"], in: data.path)
        assertInvalidCremeWarning(run)
        let by = try XCTUnwrap(diff["by"] as? [[String: Any]])
        XCTAssertEqual(by.map { [$0["value"] as? String ?? "?", "\($0["added"] ?? "?")", "\($0["removed"] ?? "?")"] },
                       [["dessert", "0", "1"], ["fluffy", "1", "0"], ["intérieur", "0", "1"]])
    }

    func testByCountsANumberRewrittenWithTheSameValueAsNoChange() throws {
        // 17 -> 17.0 is no change for the field diff, and none for the tally either.
        let (data, _) = try makeDataset()
        try replace(#""id": 17,"#, with: #""id": 17.0,"#, in: "images/cats/a.json", of: data)
        let text = try lines(["diff", "--by", "/id"], in: data.path)
        XCTAssertEqual(text, ["1 file changed: 1 modified (1 json); 0 JSON fields changed"])
        try replace(#""id": 17.0,"#, with: #""id": 1.7e1, "extra": [{"b": 1, "a": 2}],"#, in: "images/cats/a.json", of: data)
        let commit = try self.commit(["-m", "extra"], in: data.path, now: "2026-03-01T10:00:01Z")
        try replace(#""extra": [{"b": 1, "a": 2}]"#, with: #""extra": [{"a": 2.0, "b": 1}]"#, in: "images/cats/a.json", of: data)
        XCTAssertEqual(try lines(["diff", try idOf(commit), "--by", "/extra"], in: data.path),
                       ["1 file changed: 1 modified (1 json); 0 JSON fields changed"])
    }

    // MARK: --array-key

    func testArrayKeyMatchesAnnotationsById() throws {
        let (data, created) = try makeDataset()
        let creation = try idOf(created)
        let old = try data.read("images/cats/a.json")
        let lines = old.components(separatedBy: "\n")
        let first = try XCTUnwrap(lines.firstIndex { $0.contains(#"{"id": 1,"#) })
        var edited = lines
        // Annotation 3 moved to the front, annotation 2's category changed.
        edited[first] = lines[first + 2].replacingOccurrences(of: "}", with: "},")
        edited[first + 1] = lines[first]
        edited[first + 2] = lines[first + 1].replacingOccurrences(of: #""category_id": 7"#, with: #""category_id": 9"#)
            .replacingOccurrences(of: "},", with: "}")
        try data.write(edited.joined(separator: "\n"), to: "images/cats/a.json")

        let (keyed, _) = try json(["diff", "--json", "--array-key", "id"], in: data.path)
        let keyedChanges = changes(of: entry("images/cats/a.json", in: keyed))
        XCTAssertEqual(Set(keyedChanges.map { [$0[0], $0[1]] }),
                       [["remove", "/annotations/2"], ["add", "/annotations/0"],
                        ["replace", "/annotations/2/category_id"]], "\(keyedChanges)")
        XCTAssertTrue(keyedChanges.contains(["replace", "/annotations/2/category_id", "7", "9"]), "\(keyedChanges)")
        let text = try self.lines(["diff", "--array-key", "id"], in: data.path)
        XCTAssertTrue(text.contains("     ~ /annotations/2/category_id  7 -> 9"), text.joined(separator: "\n"))

        // Without the key, the elements are aligned by position and content instead.
        let (plain, _) = try json(["diff", "--json"], in: data.path)
        let plainChanges = changes(of: entry("images/cats/a.json", in: plain))
        XCTAssertFalse(plainChanges.contains { $0[1] == "/annotations/2/category_id" }, "\(plainChanges)")
        XCTAssertNotEqual(Set(plainChanges), Set(keyedChanges))

        for arguments in [["diff", "--json-patch", "--array-key", "id"], ["diff", "--json-patch"]] {
            let (patches, _) = try json(arguments, in: data.path)
            XCTAssertEqual(try checkPatches(patches, from: creation, in: data) { try data.read($0) }, ["images/cats/a.json"])
        }
        // A key no element has: aligned as without a key.
        let (missing, _) = try json(["diff", "--json", "--array-key", "nope"], in: data.path)
        XCTAssertEqual(changes(of: entry("images/cats/a.json", in: missing)), plainChanges)
    }

    // MARK: Limiting paths

    func testPathsLimitTheDiffToFoldersAndFiles() throws {
        let (data, _) = try editedDataset()
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "images/cats"], in: data.path).sorted(),
                       ["A\timages/cats/new.png", "M\timages/cats/a.json"])
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "images/cats/a.json"], in: data.path),
                       ["M\timages/cats/a.json"])
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "images/cats/"], in: data.path).sorted(),
                       ["A\timages/cats/new.png", "M\timages/cats/a.json"])
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "images/dogs/../cats/a.json"], in: data.path),
                       ["M\timages/cats/a.json"])
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "labels.csv", "images/日本"], in: data.path).sorted(),
                       ["D\tlabels.csv", "R\timages/日本/猫.png\timages/日本/neko.png"])
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "videos"], in: data.path), [])
        XCTAssertEqual(try lines(["diff", "--stat", "--", "images/cats"], in: data.path),
                       ["2 files changed: 1 added (1 image), 1 modified (1 json); 4 JSON fields changed"])
        // The text of a limited diff still shows the field changes; no warning for a file left out.
        let limited = expect(try dsnap(["diff", "--", "images/cats/a.json"], in: data.path), exit: 0)
        XCTAssertEqual(limited.stderr, "", limited.transcript)
        XCTAssertEqual(Set(block(after: "M  images/cats/a.json  (json)", in: limited.stdout.split(separator: "\n").map(String.init))),
                       Set(Self.aJSONChangeLines))
        // Relative to where dsnap runs.
        let images = data.path + "/images"
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "cats"], in: images).sorted(),
                       ["A\timages/cats/new.png", "M\timages/cats/a.json"])
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "../labels.csv"], in: images), ["D\tlabels.csv"])
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "."], in: data.path).sorted(), Self.nameStatus.sorted())
        // A path outside the dataset is a usage error.
        let outside = (data.path as NSString).deletingLastPathComponent
        expectError(try dsnap(["diff", "--", outside], in: data.path), exit: 2, mentioning: [outside])
    }

    // MARK: Operands

    func testOperandsSelectTheSides() throws {
        let (data, creation) = try editedDataset()
        let second = try idOf(try commit(["-m", "second"], in: data.path, now: "2026-03-01T10:00:01Z"))
        // No operand: current -> work tree, clean after the commit.
        XCTAssertEqual(try lines(["diff"], in: data.path), ["no changes"])
        // Two operands, by id, id prefix and name.
        for (a, b) in [(creation, second), (String(creation.prefix(10)), "second"), (creation, "current")] {
            let run = expect(try dsnap(["diff", a, b, "--name-status"], in: data.path), exit: 0)
            XCTAssertEqual(run.stdout.split(separator: "\n").map(String.init).sorted(), Self.nameStatus.sorted(), run.transcript)
            assertInvalidCremeWarning(run)
        }
        let reversed = try lines(["diff", second, creation, "--name-status"], in: data.path)
        XCTAssertEqual(reversed.sorted(), ["A\tlabels.csv", "D\timages/cats/new.png", "M\timages/café/crème.json",
                                           "M\timages/cats/a.json", "R\timages/日本/neko.png\timages/日本/猫.png"])
        let back = expect(try dsnap(["diff", second, creation], in: data.path), exit: 0)
        assertInvalidCremeWarning(back, side: "old")
        XCTAssertEqual(Set(block(after: "M  images/cats/a.json  (json)", in: back.stdout.split(separator: "\n").map(String.init))),
                       [#"     + /width  64"#, #"     - /labels/1  "fluffy""#, #"     ~ /tags/quality  "high" -> "low""#,
                        #"     ~ /annotations/1/category_id  9 -> 7"#])

        // Edit the work tree after the commit: one operand compares A with the work tree.
        try replace(#""score": 0.1"#, with: #""score": 0.2"#, in: "images/dogs/b.png.json", of: data)
        XCTAssertEqual(try lines(["diff", "--name-status"], in: data.path), ["M\timages/dogs/b.png.json"])
        XCTAssertEqual(try lines(["diff", "current", "--name-status"], in: data.path), ["M\timages/dogs/b.png.json"])
        XCTAssertEqual(try lines(["diff", creation, "--name-status"], in: data.path).sorted(),
                       (Self.nameStatus + ["M\timages/dogs/b.png.json"]).sorted())
        XCTAssertEqual(try lines(["diff", creation, second, "--name-status"], in: data.path).sorted(), Self.nameStatus.sorted())

        let (oneOperand, _) = try json(["diff", creation, "--json"], in: data.path)
        XCTAssertEqual((oneOperand["from"] as? [String: Any])?["snapshot_id"] as? String, creation)
        XCTAssertEqual((oneOperand["to"] as? [String: Any])?["kind"] as? String, "work_tree")
        let (twoOperands, _) = try json(["diff", creation, second, "--json"], in: data.path)
        let to = try XCTUnwrap(twoOperands["to"] as? [String: Any])
        XCTAssertEqual(to["kind"] as? String, "snapshot")
        XCTAssertEqual(to["snapshot_id"] as? String, second)
        XCTAssertEqual(to["snapshot_name"] as? String, "second")
        XCTAssertEqual(to["path"] as? String, data.path)

        // --json-patch between two snapshots: the new side is the second snapshot's blob.
        let (patches, _) = try json(["diff", creation, second, "--json-patch"], in: data.path)
        XCTAssertEqual(try checkPatches(patches, from: creation, in: data) { try self.blob(second, $0, in: data) },
                       ["images/cats/a.json"])
    }

    func testTheNewSideCanBeASnapshotOfAClone() throws {
        let (data, creation) = try editedDataset()
        _ = try commit(["-m", "second"], in: data.path, now: "2026-03-01T10:00:01Z")
        let clone = (data.path as NSString).deletingLastPathComponent + "/the-clone"
        expect(try dsnap(["clone", creation, clone, "-q"], in: data.path), exit: 0)

        // The clone's current snapshot has the creation snapshot's files.
        XCTAssertEqual(try lines(["diff", creation, "\(clone):current"], in: data.path), ["no changes"])
        let run = expect(try dsnap(["diff", "current", "\(clone):current", "--name-status"], in: data.path), exit: 0)
        XCTAssertEqual(run.stdout.split(separator: "\n").map(String.init).sorted(),
                       ["A\tlabels.csv", "D\timages/cats/new.png", "M\timages/café/crème.json", "M\timages/cats/a.json",
                        "R\timages/日本/neko.png\timages/日本/猫.png"], run.transcript)

        // An edit committed in the clone shows as a field change.
        let cloneFile = clone + "/images/cats/a.json"
        let text = try String(contentsOfFile: cloneFile, encoding: .utf8)
        try text.replacingOccurrences(of: #""source": "camera-3""#, with: #""source": "camera-9""#)
            .write(toFile: cloneFile, atomically: false, encoding: .utf8)
        expect(try dsnap(["commit", "-q", "-m", "in clone"], in: clone, now: "2026-03-01T10:00:02Z"), exit: 0)
        let relative = "../the-clone:current"
        for reference in ["\(clone):current", relative, "\(clone):in clone"] {
            let output = try lines(["diff", creation, reference], in: data.path)
            XCTAssertEqual(output, ["1 file changed: 1 modified (1 json); 1 JSON field changed",
                                    "M  images/cats/a.json  (json)",
                                    #"     ~ /tags/source  "camera-3" -> "camera-9""#], reference)
        }
        let (diff, _) = try json(["diff", creation, "\(clone):current", "--json"], in: data.path)
        let to = try XCTUnwrap(diff["to"] as? [String: Any])
        XCTAssertEqual(to["kind"] as? String, "snapshot")
        XCTAssertEqual(to["path"] as? String, clone)
        XCTAssertEqual(to["dataset_name"] as? String, "basic (cloned)")
        XCTAssertEqual(to["snapshot_name"] as? String, "in clone")
        XCTAssertEqual((diff["from"] as? [String: Any])?["path"] as? String, data.path)
        let (patches, _) = try json(["diff", creation, "\(clone):current", "--json-patch"], in: data.path)
        XCTAssertEqual(try checkPatches(patches, from: creation, in: data) {
            try String(contentsOfFile: clone + "/" + $0, encoding: .utf8)
        }, ["images/cats/a.json"])

        // Unknown snapshot of the clone, and a PATH that is no dataset.
        expectError(try dsnap(["diff", creation, "\(clone):nosuch"], in: data.path), exit: 3, mentioning: ["nosuch"])
        expectError(try dsnap(["diff", creation, "/nonexistent-dsnap:current"], in: data.path), exit: 3)
        // The source repository did not gain the clone's objects on disk.
        let fsck = try E2E.git(["fsck", "--full"], dataset: data.path)
        XCTAssertEqual(fsck.status, 0, fsck.stderr)
    }

    // MARK: Invalid JSON

    func testInvalidJSONIsAWarningAndTheRestIsStillDiffed() throws {
        let (data, _) = try editedDataset()
        for format in [[], ["--stat"], ["--name-status"], ["--json"], ["--json-patch"], ["--array-key", "id"]] {
            let run = expect(try dsnap(["diff"] + format, in: data.path), exit: 0)
            assertInvalidCremeWarning(run)
            XCTAssertFalse(run.stdout.isEmpty, run.transcript)
        }
        // Invalid on the old side: committed broken, then fixed.
        _ = try commit(["-m", "broken"], in: data.path, now: "2026-03-01T10:00:01Z")
        try data.write(#"{"id": 19, "labels": ["dessert"]}"#, to: "images/café/crème.json")
        try replace(#""quality": "high""#, with: #""quality": "top""#, in: "images/cats/a.json", of: data)
        let run = expect(try dsnap(["diff"], in: data.path), exit: 0)
        assertInvalidCremeWarning(run, side: "old")
        let output = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(output, ["2 files changed: 2 modified (2 json); 1 JSON field changed",
                                "M  images/café/crème.json  (json)", "M  images/cats/a.json  (json)",
                                #"     ~ /tags/quality  "high" -> "top""#], run.transcript)
        // Errors at other places: an empty file, and a truncated one on line 1.
        try data.write("", to: "images/café/crème.json")
        let empty = expect(try dsnap(["diff", "--name-status"], in: data.path), exit: 0)
        XCTAssertTrue(empty.stderr.hasPrefix("dsnap: warning: "), empty.transcript)
        XCTAssertTrue(empty.stderr.contains("images/café/crème.json") && empty.stderr.contains("line 1")
                      && empty.stderr.contains("column 1"), empty.transcript)
        try data.write(#"{"id": 19, "labels": ["dess"#, to: "images/café/crème.json")
        let truncated = expect(try dsnap(["diff", "--name-status"], in: data.path), exit: 0)
        XCTAssertTrue(truncated.stderr.contains("line 1") && truncated.stderr.contains("column 28"), truncated.transcript)
    }

    func testNumberWithAnExtremeExponentIsDiffedWithoutCrashing() throws {
        // A valid JSON number whose exponent is Int.min: dsnap traps (arithmetic overflow in
        // JSONNumber.canonical) instead of reporting a replace.
        let (data, _) = try makeDataset()
        try replace(#""height": 48"#, with: #""height": 1.5e-9223372036854775808"#, in: "images/cats/a.json", of: data)
        // Short messages: the crash's backtrace is long.
        func check(_ run: DsnapRun, file: StaticString = #filePath, line: UInt = #line) {
            let failure = run.stderr.split(separator: "\n").first { $0.contains("runtime failure") || $0.contains("Fatal error") }
            XCTAssertFalse(run.killedBySignal, "died of signal \(run.status): \(failure ?? "")", file: file, line: line)
            XCTAssertEqual(run.status, 0, file: file, line: line)
            XCTAssertFalse(E2E.crashMarkers.contains { run.stderr.contains($0) }, "crash on stderr", file: file, line: line)
            XCTAssertEqual(run.stdout, "M\timages/cats/a.json\n", file: file, line: line)
        }
        check(try dsnap(["diff", "--name-status"], in: data.path))
        try replace(#""height": 1.5e-9223372036854775808"#, with: #""height": 10e9223372036854775807"#,
                    in: "images/cats/a.json", of: data)
        check(try dsnap(["diff", "--name-status"], in: data.path))
    }

    // MARK: Statuses, classes and sides: the finer points of dsnap-diff(1)

    func testStatusesClassesAndPathLimitsInDetail() throws {
        let (data, created) = try makeDataset()
        let creation = try idOf(created)
        try data.write("*.tmp\n", to: ".dsnapignore")
        try data.write("scratch", to: "scratch.tmp")                                    // ignored: not compared
        XCTAssertEqual(chmod(data.path + "/labels.csv", 0o755), 0)                         // executable bit: modified
        try data.write("{}", to: "notes.JSON")                                            // class by extension, any case
        try FileManager.default.moveItem(atPath: data.path + "/images/dogs/b.png.json", toPath: data.path + "/images/b.json")
        try replace(#""dog""#, with: #""hound""#, in: "images/b.json", of: data)             // moved and edited: D + A
        try FileManager.default.moveItem(atPath: data.path + "/images/日本/猫.png", toPath: data.path + "/images/neko.png")
        try data.write("[1]\n", to: "videos/clip.json")                                  // whole document replaced

        let text = try lines(["diff"], in: data.path)
        XCTAssertEqual(text.first, "7 files changed: 3 added (2 json, 1 other), 1 removed (1 json), "
                       + "2 modified (1 json, 1 other), 1 renamed (1 image); 1 JSON field changed")
        for header in ["A  .dsnapignore  (other)", "A  images/b.json  (json)", "D  images/dogs/b.png.json  (json)",
                       "R  images/日本/猫.png -> images/neko.png  (image)", "M  labels.csv  (other)", "A  notes.JSON  (json)",
                       "M  videos/clip.json  (json)"] {
            XCTAssertTrue(text.contains(header), "no '\(header)' in\n\(text.joined(separator: "\n"))")
        }
        XCTAssertFalse(text.contains { $0.contains("scratch.tmp") }, "an ignored file was compared")
        let whole = block(after: "M  videos/clip.json  (json)", in: text)
        XCTAssertEqual(whole.count, 1)
        XCTAssertTrue(whole.first?.hasPrefix(#"     ~ (whole document)  {"id":42,"#) ?? false, "\(whole)")
        XCTAssertTrue(whole.first?.hasSuffix(" -> [1]") ?? false, "\(whole)")
        let (diff, _) = try json(["diff", "--json", "--", "videos"], in: data.path)
        XCTAssertEqual(changes(of: entry("videos/clip.json", in: diff)).map { [$0[0], $0[1], $0[3]] }, [["replace", "", "[1]"]])
        let (patches, _) = try json(["diff", "--json-patch"], in: data.path)
        XCTAssertEqual(try checkPatches(patches, from: creation, in: data) { try data.read($0) }, ["videos/clip.json"])

        // A rename is seen only when both names are within the limits.
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "images/日本"], in: data.path), ["D\timages/日本/猫.png"])
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "images/neko.png"], in: data.path), ["A\timages/neko.png"])
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "images/日本", "images/neko.png"], in: data.path),
                       ["R\timages/日本/猫.png\timages/neko.png"])
        // A path that matches nothing: no changes.
        XCTAssertEqual(try lines(["diff", "--", "nowhere"], in: data.path), ["no changes"])
        // -q changes nothing.
        XCTAssertEqual(try lines(["diff", "-q"], in: data.path), text)
        XCTAssertEqual(try lines(["diff", "-q", "--stat"], in: data.path), [text[0]])

        // A UTF-8 byte order mark is no change of value; a tab in a name cannot forge a column.
        let bom = Data([0xEF, 0xBB, 0xBF]) + (try Data(contentsOf: URL(fileURLWithPath: data.path + "/images/cats/a.json")))
        try bom.write(to: URL(fileURLWithPath: data.path + "/images/cats/a.json"))
        let bomRun = expect(try dsnap(["diff", "--", "images/cats"], in: data.path), exit: 0)
        XCTAssertEqual(bomRun.stdout, "1 file changed: 1 modified (1 json); 0 JSON fields changed\nM  images/cats/a.json  (json)\n",
                       bomRun.transcript)
        XCTAssertEqual(bomRun.stderr, "", bomRun.transcript)
        try data.write("x", to: "tab\there.txt")
        XCTAssertEqual(try lines(["diff", "--name-status", "--", "tab\there.txt"], in: data.path),
                       ["A\t\"tab\\there.txt\""], "quoted as git quotes it")
        let (tabbed, _) = try json(["diff", "--json", "--", "tab\there.txt"], in: data.path)
        XCTAssertNotNil(entry("tab\there.txt", in: tabbed), "JSON carries the name as it is")
    }

    func testSnapshotsThatAreAmbiguousDeletedOrMissing() throws {
        let (data, created) = try makeDataset()
        let creation = try idOf(created)
        try data.write("one", to: "one.txt")
        let first = try idOf(try commit(["-m", "twin"], in: data.path, now: "2026-03-01T10:00:01Z"))
        try data.write("two", to: "two.txt")
        _ = try commit(["-m", "twin"], in: data.path, now: "2026-03-01T10:00:02Z")
        expectError(try dsnap(["diff", "twin"], in: data.path), exit: 2, mentioning: ["twin"])
        expectError(try dsnap(["diff", creation, "twin"], in: data.path), exit: 2, mentioning: ["twin"])
        XCTAssertEqual(try lines(["diff", creation, first, "--name-status"], in: data.path), ["A\tone.txt"])
        expect(try dsnap(["delete", first], in: data.path), exit: 0)
        expectError(try dsnap(["diff", first], in: data.path), exit: 3)
        expectError(try dsnap(["diff", creation, first], in: data.path), exit: 3)
        let elsewhere = try TemporaryDataset(emptyNamed: "not-a-dataset")
        expectError(try dsnap(["diff"], in: elsewhere.path), exit: 3)
    }

    // MARK: Usage errors

    func testUsageErrors() throws {
        let (data, _) = try editedDataset()
        expectError(try dsnap(["diff", "--json", "--stat"], in: data.path), exit: 2, hint: true, mentioning: ["--json", "--stat"])
        expectError(try dsnap(["diff", "--name-status", "--json-patch"], in: data.path), exit: 2)
        expectError(try dsnap(["diff", "--by", "labels"], in: data.path), exit: 2, mentioning: ["labels"])
        expectError(try dsnap(["diff", "--by", "/labels", "--name-status"], in: data.path), exit: 2)
        expectError(try dsnap(["diff", "--by", "/labels", "--json-patch"], in: data.path), exit: 2)
        expectError(try dsnap(["diff", "--by"], in: data.path), exit: 2)
        expectError(try dsnap(["diff", "--array-key", ""], in: data.path), exit: 2)
        expectError(try dsnap(["diff", "--bogus"], in: data.path), exit: 2)
        expectError(try dsnap(["diff", "current", "current", "current"], in: data.path), exit: 2)
        expectError(try dsnap(["diff", "nosuch"], in: data.path), exit: 3, mentioning: ["nosuch"])
        expectError(try dsnap(["diff", "current", "nosuch"], in: data.path), exit: 3, mentioning: ["nosuch"])
        expectError(try dsnap(["diff", "nosuch", "--json"], in: data.path), exit: 3)
        let help = expect(try dsnap(["diff", "-h"], in: data.path), exit: 0)
        XCTAssertTrue(help.stdout.hasPrefix("usage: dsnap diff"), help.transcript)
    }
}

import Foundation
import XCTest

/// The JSON shape of a snapshot: the API's 13 fields first, in the API's order, with the API's
/// types; checked on the raw text (order, kinds) and through Foundation's parser (values).
final class JSONOutputE2ETests: XCTestCase {
    static let createdAtPattern = "^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$"

    /// Asserts every snapshot object opening at `depth` in `run.stdout` starts with the API's
    /// fields in order, with their kinds (`trainingModel` false: both training fields are null).
    /// Returns how many objects were checked.
    @discardableResult
    private func assertAPIShape(_ run: DsnapRun, depth: Int, trainingModel: [Bool]? = nil,
                                file: StaticString = #filePath, line: UInt = #line) -> Int {
        expect(run, exit: 0, file: file, line: line)
        let objects = RawJSON.objects(in: run.stdout, depth: depth).filter { $0.first?.key == "snapshot_id" }
        XCTAssertFalse(objects.isEmpty, "no snapshot object\n\(run.transcript)", file: file, line: line)
        for (index, object) in objects.enumerated() {
            let keys = object.prefix(apiSnapshotFields.count).map(\.key)
            XCTAssertEqual(keys, apiSnapshotFields.map(\.key),
                           "object \(index): API fields out of order\n\(run.transcript)", file: file, line: line)
            let hasModel = trainingModel.map { index < $0.count ? $0[index] : false } ?? false
            for (field, (key, kind)) in zip(object, apiSnapshotFields) where field.key == key {
                var expected = kind
                if key.hasPrefix("training_model_") && !hasModel { expected = .null }
                XCTAssertEqual(field.kind, expected, "object \(index): '\(key)' has the wrong type\n\(run.transcript)",
                               file: file, line: line)
            }
            // Extra fields may follow, but never repeat an API field.
            let extra = object.dropFirst(apiSnapshotFields.count).map(\.key)
            XCTAssertTrue(Set(extra).isDisjoint(with: apiSnapshotFields.map(\.key)), "\(extra)", file: file, line: line)
            XCTAssertEqual(Set(object.map(\.key)).count, object.count, "duplicate keys: \(object.map(\.key))",
                           file: file, line: line)
        }
        // Values, through an independent parser.
        let parsed: [[String: Any]]
        switch try? parseJSON(run.stdout) {
        case let array as [[String: Any]]:
            parsed = array
            XCTAssertEqual(parsed.count, objects.count, "raw and parsed counts differ", file: file, line: line)
        case let object as [String: Any]:
            parsed = [object["snapshot"] as? [String: Any] ?? object]
        default:
            XCTFail("stdout is not JSON\n\(run.transcript)", file: file, line: line)
            return objects.count
        }
        for object in parsed {
            let id = object["snapshot_id"] as? String ?? ""
            XCTAssertNotNil(id.range(of: "^[0-9a-f]{40}$", options: .regularExpression), id, file: file, line: line)
            let createdAt = object["created_at"] as? String ?? ""
            XCTAssertNotNil(createdAt.range(of: Self.createdAtPattern, options: .regularExpression),
                            "created_at '\(createdAt)'", file: file, line: line)
            XCTAssertNotNil(object["n_images"] as? Int, file: file, line: line)
            XCTAssertNotNil(object["n_videos"] as? Int, file: file, line: line)
            for key in ["snapshot_name", "source_dataset_name", "created_by", "description", "reason"] {
                XCTAssertNotNil(object[key] as? String, "\(key) is not a string", file: file, line: line)
            }
        }
        return objects.count
    }

    /// Every command that reports one snapshot prints an object whose member `snapshot` holds it.
    func testEveryCommandPutsItsSnapshotUnderTheSnapshotMember() throws {
        let dataset = try TemporaryDataset(fixture: "basic")
        let initRun = try E2E.run(["init", "--json"], in: dataset.path)
        assertAPIShape(initRun, depth: 2)
        let creationID = try idOf(try snapshotObject(initRun))

        let commitRun = try E2E.run(["commit", "--json", "-m", "plain"], in: dataset.path, now: "2026-03-01T10:00:01Z")
        assertAPIShape(commitRun, depth: 2)
        // Nothing changed since init: a named checkpoint of the same content.
        XCTAssertEqual(try jsonObject(commitRun)["content_unchanged"] as? Bool, true)
        let modelRun = try E2E.run(["commit", "--json", "--training-model-id", "m-1", "--training-model-name", "Net"],
                                   in: dataset.path, now: "2026-03-01T10:00:02Z")
        assertAPIShape(modelRun, depth: 2, trainingModel: [true])

        assertAPIShape(try E2E.run(["show", "current", "--json"], in: dataset.path), depth: 2, trainingModel: [true])
        assertAPIShape(try E2E.run(["show", creationID, "--json", "--files"], in: dataset.path), depth: 2)
        assertAPIShape(try E2E.run(["update", creationID, "-d", "described", "--json"], in: dataset.path), depth: 2)
        assertAPIShape(try E2E.run(["delete", creationID, "--json"], in: dataset.path), depth: 2)
        assertAPIShape(try E2E.run(["undelete", creationID, "--json"], in: dataset.path), depth: 2)
        assertAPIShape(try E2E.run(["status", "--json"], in: dataset.path), depth: 2, trainingModel: [true])
        assertAPIShape(try E2E.run(["restore", creationID, "--json"], in: dataset.path), depth: 2)
        let clone = try TemporaryDataset(emptyNamed: "clone-parent")
        assertAPIShape(try E2E.run(["clone", creationID, clone.path + "/copy", "--json"], in: dataset.path), depth: 2)
    }

    func testEveryLogElementHasTheAPIShape() throws {
        let (dataset, _) = try makeDataset()
        try commit(["-m", "a"], in: dataset.path, now: "2026-03-01T10:00:01Z")
        try commit(["-m", "b", "--training-model-id", "m-2", "--training-model-name", "Other"], in: dataset.path,
                   now: "2026-03-01T10:00:02Z")
        try commit(["-m", "c"], in: dataset.path, now: "2026-03-01T10:00:03Z")
        // Newest first: c, b (with a model), a, creation.
        let checked = assertAPIShape(try E2E.run(["log", "--json"], in: dataset.path), depth: 2,
                                     trainingModel: [false, true, false, false])
        XCTAssertEqual(checked, 4)
        try snapshotObject(try E2E.run(["delete", "a", "--json"], in: dataset.path))
        XCTAssertEqual(assertAPIShape(try E2E.run(["log", "--deleted", "--json"], in: dataset.path), depth: 2), 1)
        XCTAssertEqual(assertAPIShape(try E2E.run(["log", "-n", "1", "--json"], in: dataset.path), depth: 2), 1)
    }

    func testEmptyLogIsAnEmptyArray() throws {
        let (dataset, _) = try makeDataset()
        let run = expect(try E2E.run(["log", "--deleted", "--json"], in: dataset.path), exit: 0)
        XCTAssertEqual(run.stderr, "")
        XCTAssertEqual((try parseJSON(run.stdout) as? [Any])?.count, 0, run.transcript)
        let none = expect(try E2E.run(["log", "-n", "0", "--json"], in: dataset.path), exit: 0)
        XCTAssertEqual((try parseJSON(none.stdout) as? [Any])?.count, 0, none.transcript)
    }

    func testTrainingModelGivenToCommitAppears() throws {
        let (dataset, creation) = try makeDataset()
        XCTAssertTrue(creation["training_model_id"] is NSNull, "absent training model is null")
        XCTAssertTrue(creation["training_model_name"] is NSNull)

        let committed = try commit(["-m", "for training", "--training-model-id", "m-42",
                                    "--training-model-name", "ResNet 50 ✓"], in: dataset.path,
                                   now: "2026-03-01T10:00:01Z")
        XCTAssertEqual(committed["training_model_id"] as? String, "m-42")
        XCTAssertEqual(committed["training_model_name"] as? String, "ResNet 50 ✓")
        let id = try XCTUnwrap(committed["snapshot_id"] as? String)
        let shown = try show(id, in: dataset.path)
        XCTAssertEqual(shown["training_model_id"] as? String, "m-42")
        XCTAssertEqual(shown["training_model_name"] as? String, "ResNet 50 ✓")
        let logged = try log(["-n", "1"], in: dataset.path).first
        XCTAssertEqual(logged?["training_model_id"] as? String, "m-42")
        XCTAssertEqual(logged?["training_model_name"] as? String, "ResNet 50 ✓")

        // Renaming the snapshot keeps its model.
        let renamed = try snapshotObject(try E2E.run(["update", id, "-m", "renamed", "--json"], in: dataset.path))
        XCTAssertEqual(renamed["training_model_id"] as? String, "m-42")

        let human = expect(try E2E.run(["show", id], in: dataset.path), exit: 0)
        XCTAssertTrue(human.stdout.contains("ResNet 50 ✓") && human.stdout.contains("m-42"), human.transcript)

        // A later snapshot without a model has nulls again.
        let later = try commit(in: dataset.path, now: "2026-03-01T10:00:02Z")
        XCTAssertTrue(later["training_model_id"] is NSNull)
        XCTAssertTrue(later["training_model_name"] is NSNull)
    }

    func testCreatedAtIsUTCWithMicroseconds() throws {
        let (dataset, creation) = try makeDataset(now: "2026-03-01T10:00:00Z")
        XCTAssertEqual(creation["created_at"] as? String, "2026-03-01T10:00:00.000000Z")
        let precise = try commit(in: dataset.path, now: "2026-03-02T11:12:13.654321Z")
        XCTAssertEqual(precise["created_at"] as? String, "2026-03-02T11:12:13.654321Z")
        // A clock that went backwards still gives a child a created_at after its parent's.
        let skewed = try commit(in: dataset.path, now: "2026-01-01T00:00:00Z")
        let skewedAt = try XCTUnwrap(skewed["created_at"] as? String)
        XCTAssertNotNil(skewedAt.range(of: Self.createdAtPattern, options: .regularExpression), skewedAt)
        XCTAssertGreaterThan(skewedAt, "2026-03-02T11:12:13.654321Z")
        XCTAssertEqual(try log(in: dataset.path).first?["snapshot_id"] as? String, skewed["snapshot_id"] as? String,
                       "the newest snapshot is listed first")
    }

    func testJSONOutputIsOnlyJSONOnStdout() throws {
        let (dataset, creation) = try makeDataset()
        let id = try XCTUnwrap(creation["snapshot_id"] as? String)
        try commit(in: dataset.path, now: "2026-03-01T10:00:01Z")
        // delete prints a hint on stderr in human mode; in JSON mode stdout must still be pure JSON.
        for arguments in [["delete", id, "--json"], ["undelete", id, "--json"], ["log", "--json"],
                          ["status", "--json"], ["show", "--json", "current"]] {
            let run = expect(try E2E.run(arguments, in: dataset.path), exit: 0)
            XCTAssertNoThrow(try parseJSON(run.stdout), run.transcript)
            XCTAssertFalse(run.stdout.contains("\u{1B}"), "colour codes in JSON\n\(run.transcript)")
        }
    }
}

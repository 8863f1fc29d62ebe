@testable import DsnapCore
import Foundation
import XCTest

final class CatalogTests: XCTestCase {
    private func makeDataset(_ scratch: ScratchDataset, context: OperationContext) throws -> Dataset {
        let (dataset, result) = try CreateDataset.run(at: scratch.path, name: "Core DS", author: nil,
                                                      writer: IndexSnapshotWriter(), context: context)
        XCTAssertEqual(result.snapshot.record.reason, .creation)
        return dataset
    }

    func testCreationSnapshotCountsMediaAndLeavesNoGitFile() throws {
        let scratch = try ScratchDataset()
        let dataset = try makeDataset(scratch, context: testContext())
        let current = try SnapshotCatalog(dataset: dataset).resolve("current")
        XCTAssertEqual(current.record.nImages, 5)
        XCTAssertEqual(current.record.nVideos, 1)
        XCTAssertEqual(current.record.name, "Core DS_snapshot_" + current.id.hex.prefix(8))
        XCTAssertEqual(current.record.createdBy, "core@example.com")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path + "/.git"))
        XCTAssertThrowsError(try CreateDataset.run(at: scratch.path, name: nil, author: nil,
                                                   writer: IndexSnapshotWriter(), context: testContext())) {
            XCTAssertEqual($0 as? DatasetError, .alreadyADataset(path: scratch.path))
        }
    }

    func testCommitMakesTheNewSnapshotCurrentAndDetectsNoChange() throws {
        let scratch = try ScratchDataset()
        let context = testContext()
        let dataset = try makeDataset(scratch, context: context)
        try scratch.write(#"{"labels": ["dog"]}"#, to: "images/new.json")
        let first = try TakeSnapshot.run(SnapshotRequest(name: "first", description: "d1"), in: dataset,
                                         writer: IndexSnapshotWriter(), context: context)
        XCTAssertFalse(first.unchanged)
        let second = try TakeSnapshot.run(SnapshotRequest(name: "second"), in: dataset,
                                          writer: IndexSnapshotWriter(), context: context)
        XCTAssertTrue(second.unchanged)
        XCTAssertEqual(second.snapshot.parent, first.snapshot.id)
        let listed = try SnapshotCatalog(dataset: dataset).snapshots(.live)
        XCTAssertEqual(listed.map(\.record.name).prefix(2), ["second", "first"])
        XCTAssertEqual(listed.filter(\.isCurrent).map(\.id), [second.snapshot.id])
    }

    func testResolveByIdPrefixNameAndAmbiguity() throws {
        let scratch = try ScratchDataset()
        let context = testContext()
        let dataset = try makeDataset(scratch, context: context)
        let catalog = SnapshotCatalog(dataset: dataset)
        let a = try TakeSnapshot.run(SnapshotRequest(name: "twin"), in: dataset, writer: IndexSnapshotWriter(),
                                     context: context).snapshot
        let b = try TakeSnapshot.run(SnapshotRequest(name: "twin"), in: dataset, writer: IndexSnapshotWriter(),
                                     context: context).snapshot
        XCTAssertEqual(try catalog.resolve(a.id.hex).id, a.id)
        XCTAssertEqual(try catalog.resolve(String(a.id.hex.prefix(10)).uppercased()).id, a.id)
        XCTAssertEqual(try catalog.resolve("current").id, b.id)
        XCTAssertThrowsError(try catalog.resolve("twin")) { error in
            guard case let .ambiguous(_, candidates) = error as? SnapshotError else { return XCTFail("\(error)") }
            XCTAssertEqual(candidates.count, 2)
        }
        XCTAssertThrowsError(try catalog.resolve(String(a.id.hex.prefix(3)))) {
            XCTAssertEqual($0 as? SnapshotError, .notFound(reference: String(a.id.hex.prefix(3))))
        }
    }

    func testUpdateKeepsTheIdAndDeleteHidesUntilUndelete() throws {
        let scratch = try ScratchDataset()
        let context = testContext()
        let dataset = try makeDataset(scratch, context: context)
        let catalog = SnapshotCatalog(dataset: dataset)
        let creation = try catalog.resolve("current")
        _ = try TakeSnapshot.run(SnapshotRequest(name: "later"), in: dataset, writer: IndexSnapshotWriter(),
                                 context: context)
        let renamed = try EditSnapshot.update(creation.id.hex, name: "baseline", description: "orig",
                                              in: dataset, context: context)
        XCTAssertEqual(renamed.id, creation.id)
        XCTAssertEqual(try catalog.resolve("baseline").record.description, "orig")

        XCTAssertThrowsError(try EditSnapshot.delete("current", in: dataset, context: context)) {
            guard case .cannotDeleteCurrent = $0 as? SnapshotError else { return XCTFail("\($0)") }
        }
        _ = try EditSnapshot.delete("baseline", in: dataset, context: context)
        XCTAssertThrowsError(try catalog.resolve("baseline")) {
            guard case .deleted = $0 as? SnapshotError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(try catalog.snapshots(.deleted).map(\.id), [creation.id])
        XCTAssertEqual(try catalog.snapshots(.live).count, 1)
        _ = try EditSnapshot.undelete("baseline", in: dataset, context: context)
        XCTAssertEqual(try catalog.snapshots(.live).count, 2)
    }

    func testStatusClassifiesChanges() throws {
        let scratch = try ScratchDataset()
        let dataset = try makeDataset(scratch, context: testContext())
        XCTAssertEqual(try ReadStatus.run(in: dataset).changes, [])
        try scratch.write(#"{"x": 1}"#, to: "images/cats/a.json")
        try scratch.write("new", to: "images/cats/new.PNG")
        try scratch.remove("labels.csv")
        let changes = try ReadStatus.run(in: dataset).changes.sorted { $0.path < $1.path }
        XCTAssertEqual(changes, [
            WorkTreeChange(path: "images/cats/a.json", kind: .modified, fileClass: .json),
            WorkTreeChange(path: "images/cats/new.PNG", kind: .added, fileClass: .image),
            WorkTreeChange(path: "labels.csv", kind: .removed, fileClass: .other),
        ])
    }

    func testDsnapignoreAndAGitignoreThatReincludesDotDsnap() throws {
        let scratch = try ScratchDataset()
        try scratch.write("*.tmp\n", to: ".dsnapignore")
        try scratch.write("!.dsnap\n!.dsnap/**\n", to: ".gitignore")
        try scratch.write("scratch", to: "work.tmp")
        let dataset = try makeDataset(scratch, context: testContext())
        let current = try SnapshotCatalog(dataset: dataset).resolve("current")
        let paths = try SnapshotCatalog(dataset: dataset).files(of: current).map(\.path)
        XCTAssertFalse(paths.contains("work.tmp"))
        XCTAssertFalse(paths.contains { $0.hasPrefix(".dsnap") && $0 != ".dsnapignore" })
        XCTAssertTrue(paths.contains(".dsnapignore"))
    }

    func testExclusiveLockRefusesASecondHolderAndNamesTheFirst() throws {
        let scratch = try ScratchDataset()
        let context = testContext()
        let dataset = try makeDataset(scratch, context: context)
        let held = try DatasetLock.acquire(.exclusive, on: dataset, command: "commit", context: context)
        XCTAssertEqual(DatasetLock.runningOperation(in: dataset)?.command, "commit")
        // flock locks belong to the open file description, so a second open in this process conflicts too.
        XCTAssertThrowsError(try DatasetLock.acquire(.exclusive, on: dataset, command: "commit", context: context)) {
            guard case let .busy(holder)? = $0 as? LockError else { return XCTFail("\($0)") }
            XCTAssertEqual(holder?.pid, getpid())
        }
        withExtendedLifetime(held) {}
    }

    func testUnsupportedFormatVersionIsRefused() throws {
        let scratch = try ScratchDataset()
        _ = try makeDataset(scratch, context: testContext())
        let config = scratch.path + "/.dsnap/config"
        let text = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "formatversion = 1", with: "formatversion = 99")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Dataset.open(root: scratch.path)) {
            XCTAssertEqual($0 as? DatasetError, .unsupportedFormat(found: "99", supported: Dataset.formatVersion))
        }
    }
}

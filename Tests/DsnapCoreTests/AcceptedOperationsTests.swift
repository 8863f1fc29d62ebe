@testable import DsnapCore
import Foundation
import XCTest

/// What `dsnap serve` builds on: restores and clones accepted on one thread and executed on
/// another, several at once in one process, and a dataset id that two first uses agree on.
final class AcceptedOperationsTests: XCTestCase {
    func testAnAcceptedRestoreHoldsTheLockUntilItRunsAndItsTaskNamesTheAutosave() throws {
        let scratch = try ScratchDataset()
        let context = testContext()
        let (dataset, created) = try CreateDataset.run(at: scratch.path, name: "Accept", author: nil,
                                                       writer: FastSnapshotWriter(), context: context)
        try scratch.write(#"{"labels": ["cat"]}"#, to: "new.json")
        let accepted = try RestoreSnapshot.accept(.snapshot(created.snapshot.id.hex), discard: true, in: dataset,
                                                  writer: FastSnapshotWriter(), checkout: AtomicCheckout(),
                                                  context: context)
        // Accepted: the lock is held and the task is RUNNING before any file moves.
        XCTAssertThrowsError(try TakeSnapshot.perform(SnapshotRequest(), in: dataset, writer: FastSnapshotWriter(),
                                                      context: context))
        XCTAssertEqual(TaskJournal.tasks(in: dataset).first?.status, .running)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path + "/new.json"))

        let result = try DispatchQueue.global().sync { try accepted.execute() }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path + "/new.json"))
        let task = try XCTUnwrap(TaskJournal.tasks(in: dataset).first)
        XCTAssertEqual(task.id, accepted.taskID)
        XCTAssertEqual(task.status, .completed)
        XCTAssertEqual(task.autosaveSnapshotID, result.autosave?.id.hex)
        XCTAssertNotNil(task.autosaveSnapshotID)
        // Executed: the lock is free again.
        XCTAssertNoThrow(try TakeSnapshot.perform(SnapshotRequest(), in: dataset, writer: FastSnapshotWriter(),
                                                  context: context))
    }

    func testClonesAcceptedTogetherInOneProcessGetFoldersOfTheirOwn() throws {
        let scratch = try ScratchDataset()
        let context = testContext()
        let (dataset, created) = try CreateDataset.run(at: scratch.path, name: "Source", author: nil,
                                                       writer: FastSnapshotWriter(), context: context)
        let first = try CloneDataset.accept(created.snapshot.id.hex, from: dataset, to: nil, name: nil,
                                            checkout: AtomicCheckout(), context: context)
        let second = try CloneDataset.accept(created.snapshot.id.hex, from: dataset, to: nil, name: nil,
                                             checkout: AtomicCheckout(), context: context)
        XCTAssertNotEqual(first.target, second.target)
        XCTAssertEqual(DirectoryNames.list(dataset.gitDir + "/clones").count, 2, "one note per clone")
        let group = DispatchGroup()
        let results = ResultBox()
        for clone in [first, second] {
            DispatchQueue.global().async(group: group) { results.add(Result { try clone.execute() }) }
        }
        group.wait()
        for result in results.all {
            let made: CloneResult = try result.get()
            XCTAssertEqual(try Dataset.open(root: made.path).name, "Source (cloned)")
            try? FileManager.default.removeItem(atPath: made.path)
        }
        XCTAssertEqual(results.all.count, 2)
        XCTAssertEqual(DirectoryNames.list(dataset.gitDir + "/clones"), [], "the notes are gone")
    }

    func testTwoFirstUsesOfAnOldDatasetAgreeOnItsID() throws {
        let scratch = try ScratchDataset()
        let (dataset, _) = try CreateDataset.run(at: scratch.path, name: "Old", author: nil,
                                                 writer: FastSnapshotWriter(), context: testContext())
        let made = try XCTUnwrap(try dataset.storedID())
        XCTAssertNotNil(UUID(uuidString: made), "init writes a UUID")
        // As a dataset made before ids were: none stored.
        let config = scratch.path + "/.dsnap/config"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        try text.split(separator: "\n").filter { !$0.contains("datasetid") }.joined(separator: "\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let ids = ResultBox()
        let root = scratch.path
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            ids.add(Result { try Dataset.open(root: root).datasetID() })
        }
        let values = Set(try ids.all.map { try $0.get() as String })
        XCTAssertEqual(values.count, 1)
        XCTAssertNotEqual(values.first, made)
        XCTAssertEqual(try Dataset.open(root: scratch.path).storedID(), values.first)
    }
}

/// Results gathered from several threads.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<Any, Error>] = []

    func add<T>(_ result: Result<T, Error>) {
        lock.lock()
        results.append(result.map { $0 as Any })
        lock.unlock()
    }

    var all: [Result<Any, Error>] {
        lock.lock()
        defer { lock.unlock() }
        return results
    }
}

private extension Result where Success == Any {
    func get<T>() throws -> T {
        switch self {
        case let .success(value): return value as! T
        case let .failure(error): throw error
        }
    }
}

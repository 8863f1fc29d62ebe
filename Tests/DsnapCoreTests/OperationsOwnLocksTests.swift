@testable import DsnapCore
import Foundation
import XCTest

/// Every mutating operation takes the dataset lock and records its task itself, so any caller
/// (the CLI, a server, a test) gets the same serialisation and journal without repeating it.
final class OperationsOwnLocksTests: XCTestCase {
    private func busyWhileHeld(_ mode: DatasetLock.Mode, in dataset: Dataset, _ operation: () throws -> Void,
                               line: UInt = #line) throws {
        let held = try DatasetLock.acquire(mode, on: dataset, command: "test", context: testContext())
        defer { withExtendedLifetime(held) {} }
        XCTAssertThrowsError(try operation(), line: line) { error in
            guard case LockError.busy = error else { return XCTFail("\(error)", line: line) }
            XCTAssertEqual((error as? DsnapError)?.kind, .conflict, line: line)
        }
    }

    func testEachMutatingOperationIsRefusedWhileAnotherHoldsTheLock() throws {
        let scratch = try ScratchDataset()
        let context = testContext()
        let (dataset, created) = try CreateDataset.run(at: scratch.path, name: "Locks", author: nil,
                                                       writer: FastSnapshotWriter(), context: context)
        try scratch.write(#"{"labels": ["cat"]}"#, to: "images/new.json")
        let second = try TakeSnapshot.perform(SnapshotRequest(name: "second"), in: dataset,
                                              writer: FastSnapshotWriter(), context: context)
        let tasksBefore = TaskJournal.tasks(in: dataset).count

        try busyWhileHeld(.exclusive, in: dataset) {
            _ = try TakeSnapshot.perform(SnapshotRequest(), in: dataset, writer: FastSnapshotWriter(), context: context)
        }
        try busyWhileHeld(.exclusive, in: dataset) {
            _ = try RestoreSnapshot.perform(.snapshot(created.snapshot.id.hex), discard: false, in: dataset,
                                            writer: FastSnapshotWriter(), checkout: AtomicCheckout(), context: context)
        }
        try busyWhileHeld(.shared, in: dataset) {
            _ = try CollectGarbage.run(CollectGarbage.Options(dryRun: true), in: dataset, context: context, progress: nil)
        }
        try busyWhileHeld(.exclusive, in: dataset) {
            _ = try EditSnapshot.update(created.snapshot.id.hex, name: "x", description: nil, in: dataset, context: context)
        }
        try busyWhileHeld(.exclusive, in: dataset) {
            _ = try EditSnapshot.delete(created.snapshot.id.hex, in: dataset, context: context)
        }
        // A refused operation is no task.
        XCTAssertEqual(TaskJournal.tasks(in: dataset).count, tasksBefore)

        // Free, each goes ahead and journals its own task.
        let restored = try RestoreSnapshot.perform(.snapshot(created.snapshot.id.hex), discard: false, in: dataset,
                                                   writer: FastSnapshotWriter(), checkout: AtomicCheckout(),
                                                   context: context)
        XCTAssertEqual(restored.target.id, created.snapshot.id)
        let journal = TaskJournal.tasks(in: dataset)
        XCTAssertEqual(journal.count, tasksBefore + 1)
        XCTAssertTrue(journal.contains { $0.type == .restore && $0.snapshotID == created.snapshot.id.hex
            && $0.status == .completed }, "\(journal)")
        XCTAssertTrue(journal.contains { $0.type == .create && $0.snapshotID == second.snapshot.id.hex })
        _ = try EditSnapshot.delete(second.snapshot.id.hex, in: dataset, context: context)
        _ = try EditSnapshot.undelete(second.snapshot.id.hex, in: dataset, context: context)
    }

    func testEveryErrorKindHasItsExitStatusAndNoCaseIsLeftToChance() {
        // The kinds are what a server's statuses will follow too: each concrete error says its own.
        XCTAssertEqual(SnapshotError.notFound(reference: "x").kind, .notFound)
        XCTAssertEqual(SnapshotError.ambiguous(reference: "ab", candidates: []).kind, .invalidRequest)
        XCTAssertEqual(StorageError.diskFull(path: "/").kind, .storage)
        XCTAssertEqual(StorageError.permissionDenied(path: "/").kind, .forbidden)
        XCTAssertEqual(RestoreError.uncommittedChanges(paths: [], total: 0).kind, .conflict)
        XCTAssertEqual(DatasetError.notADataset(path: "/").kind, .notFound)
        XCTAssertEqual(CheckoutError.unsafePath("../x").kind, .forbidden)
        XCTAssertEqual(InternalError(failure: GitFailure(function: "f", code: -1, errorClass: 0, message: "m")).kind, .bug)
    }
}

@testable import DsnapCore
import Foundation
import XCTest

/// Restore and clone leave the flush of the files they write to later, behind a marker that
/// names the machine's boot. These tests plant markers "from an earlier boot" (a boot id that
/// cannot be this one) to play the power cut.
final class UnsyncedWorkTreeTests: XCTestCase {
    private let earlierBoot = "00000000-0000-0000-0000-000000000000"

    /// A dataset with two snapshots ("first", "second") that differ in one image and one sidecar.
    private func makeDataset(_ scratch: ScratchDataset, context: OperationContext) throws -> Dataset {
        let dataset = try CreateDataset.run(at: scratch.path, name: "Unsynced", author: nil,
                                            writer: FastSnapshotWriter(), context: context).0
        try scratch.write("first image", to: "images/a.jpg")
        try scratch.write("{\"label\": 1}\n", to: "images/a.json")
        _ = try TakeSnapshot.run(SnapshotRequest(name: "first"), in: dataset, writer: FastSnapshotWriter(),
                                 context: context)
        try scratch.write("second image", to: "images/a.jpg")
        try scratch.write("{\"label\": 2}\n", to: "images/a.json")
        _ = try TakeSnapshot.run(SnapshotRequest(name: "second"), in: dataset, writer: FastSnapshotWriter(),
                                 context: context)
        return dataset
    }

    private func restore(_ reference: String, in dataset: Dataset, context: OperationContext,
                         discard: Bool = false) throws -> RestoreResult {
        let plan = try RestoreSnapshot.plan(.snapshot(reference), discard: discard, in: dataset,
                                            checkout: AtomicCheckout())
        return try RestoreSnapshot.execute(plan, in: dataset, writer: FastSnapshotWriter(), checkout: AtomicCheckout(),
                                           context: context)
    }

    private func plantMarker(boot: String, in dataset: Dataset, age: Int = 0) throws -> String {
        let folder = dataset.gitDir + "/unsynced"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/1-1"
        try "boot \(boot)\nrestore 1234\n".write(toFile: path, atomically: false, encoding: .utf8)
        let past = timespec(tv_sec: time(nil) - age, tv_nsec: 0)
        var times = [past, past]
        utimensat(AT_FDCWD, path, &times, 0)
        return path
    }

    func testARestoreThatWaitsLeavesNoMarkerAndSwapsFilesIntoPlace() throws {
        let scratch = try ScratchDataset()
        let context = testContext()
        let dataset = try makeDataset(scratch, context: context)
        // A hard link from outside the dataset keeps the bytes it had.
        let outside = scratch.path + "-outside-link"
        XCTAssertEqual(link(scratch.path + "/images/a.jpg", outside), 0)
        defer { unlink(outside) }
        let result = try restore("first", in: dataset, context: context)
        XCTAssertEqual(result.stats.filesWritten, 2)
        XCTAssertEqual(try String(contentsOfFile: scratch.path + "/images/a.jpg", encoding: .utf8), "first image")
        XCTAssertEqual(try String(contentsOfFile: outside, encoding: .utf8), "second image")
        XCTAssertEqual(UnsyncedWorkTree.markers(gitDir: dataset.gitDir), [])
        XCTAssertEqual(DirectoryNames.list(ReplacedFiles.folder(gitDir: dataset.gitDir)), [], "replaced files stayed")
        // No temporary file is left beside the swapped ones.
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/images")
        XCTAssertEqual(names.filter { $0.hasPrefix(Dataset.temporaryFilePrefix) }, [])
        XCTAssertEqual(try ReadStatus.changes(in: dataset), [])
    }

    func testABackgroundFlushLeavesTheMarkerToItsProcess() throws {
        let scratch = try ScratchDataset()
        var context = testContext()
        let dataset = try makeDataset(scratch, context: context)
        // A "flusher" that does nothing: the marker stays, named after the restore, of this boot.
        context.workTreeFlush = .background(executable: "/bin/true", arguments: [])
        let result = try restore("first", in: dataset, context: context)
        let markers = UnsyncedWorkTree.markers(gitDir: dataset.gitDir)
        XCTAssertEqual(markers.map(\.operation), ["restore \(result.target.id.short)"])
        XCTAssertEqual(markers.first?.bootID, UnsyncedWorkTree.currentBootID)
        // The same boot: the files are in memory if not on disk, so nothing is wrong.
        XCTAssertEqual(try ReadStatus.run(in: dataset).state, .ready)
        XCTAssertNoThrow(try TakeSnapshot.validate(SnapshotRequest(name: "x"), in: dataset))
        // The two files it replaced wait to be deleted (their content is in snapshot "second").
        XCTAssertEqual(DirectoryNames.list(ReplacedFiles.folder(gitDir: dataset.gitDir)).count, 2)
        // What the real background process does.
        try UnsyncedWorkTree.flushAndClear(token: markers[0].token, root: dataset.root, gitDir: dataset.gitDir)
        XCTAssertEqual(UnsyncedWorkTree.markers(gitDir: dataset.gitDir), [])
        XCTAssertEqual(DirectoryNames.list(ReplacedFiles.folder(gitDir: dataset.gitDir)), [])
    }

    func testAMarkerOfThisBootWhoseFlushDiedIsSettledByTheNextRestoreOrCommit() throws {
        let scratch = try ScratchDataset()
        let context = testContext()
        let dataset = try makeDataset(scratch, context: context)
        _ = try plantMarker(boot: UnsyncedWorkTree.currentBootID, in: dataset, age: 120)
        let young = dataset.gitDir + "/unsynced/2-2"
        try "boot \(UnsyncedWorkTree.currentBootID)\nclone 99\n".write(toFile: young, atomically: false, encoding: .utf8)
        _ = try restore("first", in: dataset, context: context)
        // The old one is settled; a young one may still have its flush running, and stays.
        XCTAssertEqual(UnsyncedWorkTree.markers(gitDir: dataset.gitDir).map(\.token), ["2-2"])
        // A commit settles old ones too.
        unlink(young)
        _ = try plantMarker(boot: UnsyncedWorkTree.currentBootID, in: dataset, age: 120)
        _ = try TakeSnapshot.run(SnapshotRequest(name: "after"), in: dataset, writer: FastSnapshotWriter(),
                                 context: context)
        XCTAssertEqual(UnsyncedWorkTree.markers(gitDir: dataset.gitDir), [])
    }

    func testAfterARestartTheDamagedFilesAreFoundByContentAndRestoreCurrentRewritesThem() throws {
        let scratch = try ScratchDataset()
        let context = testContext()
        let dataset = try makeDataset(scratch, context: context)
        _ = try restore("first", in: dataset, context: context)
        // The power cut: the disk kept a file of the right size and time but not its bytes,
        // which stat data cannot see.
        let image = scratch.path + "/images/a.jpg"
        var before = stat()
        XCTAssertEqual(lstat(image, &before), 0)
        try "xxxxx image".write(toFile: image, atomically: false, encoding: .utf8)
        var times = [before.st_atim, before.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, image, &times, 0), 0)
        let marker = try plantMarker(boot: earlierBoot, in: dataset)

        let status = try ReadStatus.run(in: dataset)
        guard case let .error(problem, fix) = status.state else { return XCTFail("state \(status.state)") }
        XCTAssertTrue(problem.contains("restarted"), problem)
        XCTAssertTrue(fix.contains("dsnap restore current"), fix)
        XCTAssertEqual(status.changes.map(\.path), ["images/a.jpg"])
        XCTAssertThrowsError(try TakeSnapshot.validate(SnapshotRequest(name: "x"), in: dataset)) { error in
            XCTAssertEqual(error as? RestoreError, .unsyncedBeforeRestart(operation: "restore 1234"))
        }

        let repaired = try restore("current", in: dataset, context: context)
        XCTAssertEqual(repaired.stats.filesWritten, 1)
        XCTAssertNotNil(repaired.autosave, "what the disk held is saved, like any discarded change")
        XCTAssertEqual(try String(contentsOfFile: image, encoding: .utf8), "first image")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
        XCTAssertEqual(try ReadStatus.run(in: dataset).state, .ready)
        XCTAssertEqual(try ReadStatus.changes(in: dataset), [])
    }

    func testACloneFlushesItsRepositoryAndLeavesTheWorkTreeToTheMarker() throws {
        let scratch = try ScratchDataset()
        var context = testContext()
        let dataset = try makeDataset(scratch, context: context)
        context.workTreeFlush = .background(executable: "/bin/true", arguments: [])
        let destination = scratch.path + "-clone"
        defer { try? FileManager.default.removeItem(atPath: destination) }
        let result = try CloneDataset.run("first", from: dataset, to: destination, name: nil,
                                          checkout: AtomicCheckout(), context: context)
        let clone = try Dataset.open(root: destination)
        XCTAssertEqual(UnsyncedWorkTree.markers(gitDir: clone.gitDir).map(\.operation),
                       ["clone \(try SnapshotCatalog(dataset: dataset).resolve("first").id.short)"])
        XCTAssertEqual(try String(contentsOfFile: destination + "/images/a.jpg", encoding: .utf8), "first image")
        XCTAssertEqual(result.snapshot.record.nImages, try SnapshotCatalog(dataset: dataset).resolve("first").record.nImages)
        XCTAssertEqual(try ReadStatus.run(in: clone).changes, [])
        // After a restart, the clone repairs itself from its own objects.
        try "damaged".write(toFile: destination + "/images/a.jpg", atomically: false, encoding: .utf8)
        let marker = try plantMarker(boot: earlierBoot, in: clone)
        guard case .error = try ReadStatus.run(in: clone).state else { return XCTFail("not an error") }
        _ = try restore("current", in: clone, context: testContext())
        XCTAssertEqual(try String(contentsOfFile: destination + "/images/a.jpg", encoding: .utf8), "first image")
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
    }
}

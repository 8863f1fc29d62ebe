@testable import DsnapCore
import Foundation
import XCTest

/// Snapshots of many new files write packs instead of loose objects; plain git must read them,
/// and restore and clone must work from them.
final class PackTests: XCTestCase {
    private func git(_ arguments: [String], gitDir: String) throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "--git-dir=" + gitDir] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// The fixture plus `count` small files (random "images" and JSON sidecars) in 10 folders,
    /// two of them with the same content (one object).
    private func manyFiles(_ count: Int, seed: UInt64 = 7) throws -> ScratchDataset {
        let scratch = try ScratchDataset()
        var state = seed
        func next() -> UInt8 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        for number in 0..<count / 2 {
            let folder = scratch.path + "/many/f\(number % 10)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data((0..<2048).map { _ in next() }).write(to: URL(fileURLWithPath: folder + "/img\(number).jpg"))
            try Data("{\"id\": \(number), \"labels\": [\"a\"]}".utf8)
                .write(to: URL(fileURLWithPath: folder + "/img\(number).json"))
        }
        try Data((0..<(LooseObjectWriter.packedObjectLimit + 1)).map { _ in next() })
            .write(to: URL(fileURLWithPath: scratch.path + "/many/big.mp4"))
        try scratch.write("same", to: "many/twin1.txt")
        try scratch.write("same", to: "many/twin2.txt")
        return scratch
    }

    /// Puts a file where the `objects/xx` folder of `file`'s object must go, so writing that
    /// object fails; returns the blocker's path.
    private func blockObjectFolder(of file: String, in dataset: Dataset) throws -> String {
        let id = String(decoding: try git(["hash-object", file], gitDir: dataset.gitDir).output, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let blocker = dataset.gitDir + "/objects/" + id.prefix(2)
        try? FileManager.default.removeItem(atPath: blocker)
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: blocker))
        return blocker
    }

    private func packs(_ gitDir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: gitDir + "/objects/pack")) ?? []).sorted()
    }

    private func assertGitReadsEverything(_ dataset: Dataset, file: StaticString = #filePath, line: UInt = #line) throws {
        let fsck = try git(["fsck", "--full", "--strict"], gitDir: dataset.gitDir)
        XCTAssertEqual(fsck.status, 0, String(decoding: fsck.output, as: UTF8.self), file: file, line: line)
        XCTAssertEqual(String(decoding: fsck.output, as: UTF8.self), "", file: file, line: line)
        for index in packs(dataset.gitDir) where index.hasSuffix(".idx") {
            let verify = try git(["verify-pack", dataset.gitDir + "/objects/pack/" + index], gitDir: dataset.gitDir)
            XCTAssertEqual(verify.status, 0, String(decoding: verify.output, as: UTF8.self), file: file, line: line)
        }
        XCTAssertFalse(packs(dataset.gitDir).contains { $0.hasPrefix("tmp_") }, "temporary pack left", file: file, line: line)
    }

    func testManyNewFilesArePackedAndPlainGitReadsThem() throws {
        let scratch = try manyFiles(1200)
        let (dataset, _) = try CreateDataset.run(at: scratch.path, name: "Packed", author: nil,
                                                 writer: FastSnapshotWriter(), context: testContext())
        XCTAssertFalse(packs(dataset.gitDir).filter { $0.hasSuffix(".pack") }.isEmpty)
        try assertGitReadsEverything(dataset)
        // An object over the packing limit stays loose (a clone hard-links it instead of copying).
        let big = String(decoding: try git(["rev-parse", "HEAD:many/big.mp4"], gitDir: dataset.gitDir).output,
                         as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(FileManager.default.fileExists(
            atPath: dataset.gitDir + "/objects/" + big.prefix(2) + "/" + big.dropFirst(2)), big)
        for path in ["many/f3/img13.jpg", "many/f3/img13.json", "images/cats/a.jpg", "many/twin2.txt"] {
            let content = try git(["cat-file", "blob", "HEAD:" + path], gitDir: dataset.gitDir)
            XCTAssertEqual(content.output, try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/" + path)), path)
        }
        // Every distinct blob but the big one is in a pack, once per pack: the twins are one
        // object, which each worker that meets it packs (git allows an object in several packs).
        let listing = String(decoding: try git(["ls-tree", "-r", "HEAD"], gitDir: dataset.gitDir).output, as: UTF8.self)
        let blobs = Set(listing.split(separator: "\n").map { $0.split(separator: " ")[2].prefix(40) })
        XCTAssertGreaterThan(blobs.count, 1200)
        let count = String(decoding: try git(["count-objects", "-v"], gitDir: dataset.gitDir).output, as: UTF8.self)
        XCTAssertTrue(count.contains("in-pack: \(blobs.count - 1)\n") || count.contains("in-pack: \(blobs.count)\n"),
                      "all but big.mp4, the twin in one pack or two: " + count)
        XCTAssertEqual(try ReadStatus.changes(in: dataset), [])
    }

    func testAPackKnowsWhichObjectsItHoldsAndItsIndexListsThemSorted() throws {
        let scratch = try ScratchDataset()
        let objects = scratch.path + "/objects"
        try FileManager.default.createDirectory(atPath: objects, withIntermediateDirectories: true)
        let writer = try PackWriter(objectsDirectory: objects)
        // Past the table's first growth (1,024 slots, half full at most).
        let contents = (0..<3_000).map { Data("object \($0)\n".utf8) }
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)
        defer { output.deallocate() }
        let compressor = try Compressor(level: 1, output: output)
        var ids: [GitOID] = []
        for content in contents {
            var hasher = ObjectHasher(size: content.count)
            content.withUnsafeBytes { hasher.update($0) }
            let id = hasher.finish()
            XCTAssertFalse(writer.contains(id))
            try writer.beginBlob(id: id, objectSize: content.count)
            try compressor.reset()
            try content.withUnsafeBytes { bytes in
                try compressor.feed(bytes, finish: true) { try writer.appendEntryBytes($0) }
            }
            writer.endEntry()
            XCTAssertTrue(writer.contains(id))
            ids.append(id)
        }
        XCTAssertTrue(ids.allSatisfy(writer.contains))
        let pack = try XCTUnwrap(try writer.finish())
        let verify = try git(["verify-pack", "-v", String(pack.dropLast(5)) + ".idx"], gitDir: objects + "/..")
        XCTAssertEqual(verify.status, 0, String(decoding: verify.output, as: UTF8.self))
        let index = try XCTUnwrap(PackIndex.all(in: objects).first)
        XCTAssertEqual(index.count, 3_000)
        XCTAssertTrue(ids.allSatisfy { index.contains($0) })
        XCTAssertEqual((0..<index.count).map { GitOID(rawBytes: index.id(at: $0)) }, ids.sorted())
    }

    func testRestoreAndCloneWorkFromPacks() throws {
        let scratch = try manyFiles(1200)
        let context = testContext()
        let (dataset, created) = try CreateDataset.run(at: scratch.path, name: "Packed", author: nil,
                                                       writer: FastSnapshotWriter(), context: context)
        // Change every sidecar: the second snapshot packs its new objects too.
        for number in 0..<600 {
            try scratch.write("{\"id\": \(number), \"labels\": [\"b\"]}", to: "many/f\(number % 10)/img\(number).json")
        }
        let second = try TakeSnapshot.run(SnapshotRequest(name: "second"), in: dataset, writer: FastSnapshotWriter(),
                                          context: context).snapshot
        try assertGitReadsEverything(dataset)

        let plan = try RestoreSnapshot.plan(.snapshot(created.snapshot.id.hex), discard: false, in: dataset,
                                            checkout: AtomicCheckout())
        _ = try RestoreSnapshot.execute(plan, in: dataset, writer: FastSnapshotWriter(), checkout: AtomicCheckout(),
                                        context: context)
        XCTAssertEqual(try String(contentsOfFile: scratch.path + "/many/f4/img4.json", encoding: .utf8),
                       "{\"id\": 4, \"labels\": [\"a\"]}")

        // A clone of the second snapshot needs part of the first pack (copied entry by entry)
        // and all of the second's (linked).
        let parent = (scratch.path as NSString).deletingLastPathComponent
        let result = try CloneDataset.run(second.id.hex, from: dataset, to: parent + "/clone", name: nil,
                                          checkout: AtomicCheckout(), context: context)
        let clone = try Dataset.open(root: result.path)
        try assertGitReadsEverything(clone)
        XCTAssertEqual(try String(contentsOfFile: result.path + "/many/f4/img4.json", encoding: .utf8),
                       "{\"id\": 4, \"labels\": [\"b\"]}")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: result.path + "/many/f7/img17.jpg")),
                       try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/many/f7/img17.jpg")))
        XCTAssertEqual(try ReadStatus.changes(in: clone), [])
        // Only the snapshot's objects travelled: the first snapshot's old sidecars did not.
        let old = try git(["cat-file", "-e", "\(created.snapshot.tree.hex):many/f4/img4.json"], gitDir: clone.gitDir)
        XCTAssertNotEqual(old.status, 0)
    }

    func testAfterAUsersGitGcDeltasAreRestoredAndClonedThroughLibgit2() throws {
        let scratch = try manyFiles(40)
        let context = testContext()
        // Long, alike sidecars: git stores all but one of them as deltas.
        func sidecar(_ number: Int, _ label: String) -> String {
            "{\"id\": \(number), \"labels\": [\"\(label)\"], \"description\": \""
                + String(repeating: "a description long enough for git to store a delta ", count: 4) + "\"}"
        }
        for number in 0..<20 { try scratch.write(sidecar(number, "a"), to: "many/f\(number % 10)/img\(number).json") }
        let (dataset, created) = try CreateDataset.run(at: scratch.path, name: "Packed", author: nil,
                                                       writer: FastSnapshotWriter(), context: context)
        for number in 0..<20 { try scratch.write(sidecar(number, "b"), to: "many/f\(number % 10)/img\(number).json") }
        _ = try TakeSnapshot.run(SnapshotRequest(name: "second"), in: dataset, writer: FastSnapshotWriter(),
                                 context: context)
        // Similar sidecars become deltas of one another in git's pack.
        XCTAssertEqual(try git(["gc", "--quiet", "--aggressive", "--prune=now"], gitDir: dataset.gitDir).status, 0)
        let packs = self.packs(dataset.gitDir).filter { $0.hasSuffix(".idx") }
        let verbose = try git(["verify-pack", "-v", dataset.gitDir + "/objects/pack/" + packs[0]], gitDir: dataset.gitDir)
        let deltas = String(decoding: verbose.output, as: UTF8.self).split(separator: "\n")
            .filter { $0.split(separator: " ", omittingEmptySubsequences: true).count == 7 }
        XCTAssertGreaterThan(deltas.count, 10)
        let plan = try RestoreSnapshot.plan(.snapshot(created.snapshot.id.hex), discard: false, in: dataset,
                                            checkout: AtomicCheckout())
        _ = try RestoreSnapshot.execute(plan, in: dataset, writer: FastSnapshotWriter(), checkout: AtomicCheckout(),
                                        context: context)
        XCTAssertEqual(try String(contentsOfFile: scratch.path + "/many/f3/img13.json", encoding: .utf8),
                       sidecar(13, "a"))
        let parent = (scratch.path as NSString).deletingLastPathComponent
        let result = try CloneDataset.run("current", from: dataset, to: parent + "/clone", name: nil,
                                          checkout: AtomicCheckout(), context: context)
        try assertGitReadsEverything(try Dataset.open(root: result.path))
        XCTAssertEqual(try String(contentsOfFile: result.path + "/many/f3/img13.json", encoding: .utf8),
                       sidecar(13, "a"))
    }

    func testALeftoverTemporaryPackIsRemovedByTheNextSnapshot() throws {
        let scratch = try manyFiles(20)
        let context = testContext()
        let (dataset, _) = try CreateDataset.run(at: scratch.path, name: "Packed", author: nil,
                                                 writer: FastSnapshotWriter(), context: context)
        let leftover = dataset.gitDir + "/objects/pack/" + PackWriter.temporaryPrefix + "99999_1"
        try FileManager.default.createDirectory(atPath: dataset.gitDir + "/objects/pack", withIntermediateDirectories: true)
        try Data("PACK".utf8).write(to: URL(fileURLWithPath: leftover))
        try scratch.write("new", to: "new.txt")
        _ = try TakeSnapshot.run(SnapshotRequest(), in: dataset, writer: FastSnapshotWriter(), context: context)
        XCTAssertFalse(FileManager.default.fileExists(atPath: leftover))
        try assertGitReadsEverything(dataset)
    }

    /// A write that fails while the scan is still going (here: a file where big.mp4's object folder
    /// must be) stops the scan, fails the snapshot with that error, and leaves no temporary pack
    /// and no new snapshot; the next snapshot, once the cause is gone, writes everything.
    func testAWriteFailureDuringTheScanFailsTheSnapshotAndLeavesNothingBehind() throws {
        try assertAFailedWriteLeavesNothingBehind(bigFile: "many/big.mp4")
    }

    /// The index learns each file while the snapshot is still writing: when a write fails after
    /// many files were added to it (big.mp4 is the last file here), the index in memory is put
    /// back, or the next snapshot with the same repository would take those files as unchanged
    /// and name objects whose pack was discarded.
    func testAFailureLateInTheSnapshotLeavesTheIndexAsItWas() throws {
        try assertAFailedWriteLeavesNothingBehind(bigFile: "many/zz/big.mp4")
    }

    /// 1,200 new files and a big one at `bigFile` whose object cannot be written: the snapshot
    /// fails and leaves nothing; once the blocker is gone the next one succeeds and git reads it.
    private func assertAFailedWriteLeavesNothingBehind(bigFile: String, line: UInt = #line) throws {
        let scratch = try ScratchDataset()
        let context = testContext()
        let (dataset, first) = try CreateDataset.run(at: scratch.path, name: "Packed", author: nil,
                                                     writer: FastSnapshotWriter(), context: context)
        let many = try manyFiles(1200)
        try FileManager.default.moveItem(atPath: many.path + "/many", toPath: scratch.path + "/many")
        let big = scratch.path + "/" + bigFile
        try FileManager.default.createDirectory(atPath: big.parentPath, withIntermediateDirectories: true)
        if bigFile != "many/big.mp4" { try FileManager.default.moveItem(atPath: scratch.path + "/many/big.mp4", toPath: big) }
        let blocker = try blockObjectFolder(of: big, in: dataset)

        XCTAssertThrowsError(try TakeSnapshot.run(SnapshotRequest(), in: dataset, writer: FastSnapshotWriter(),
                                                  context: context), line: line) { error in
            XCTAssertTrue(error is StorageError, "\(error)", line: line)
        }
        XCTAssertEqual(packs(dataset.gitDir).filter { $0.hasPrefix(PackWriter.temporaryPrefix) }, [], line: line)
        XCTAssertEqual(try SnapshotCatalog(dataset: dataset).currentID(), first.snapshot.id, line: line)

        try FileManager.default.removeItem(atPath: blocker)
        let next = try TakeSnapshot.run(SnapshotRequest(), in: dataset, writer: FastSnapshotWriter(), context: context)
        XCTAssertNotEqual(next.snapshot.id, first.snapshot.id, line: line)
        try assertGitReadsEverything(dataset, line: line)
        XCTAssertEqual(try ReadStatus.changes(in: dataset), [], line: line)
    }

    func testACheckoutWorkerOpensEachPackOnceAndNeverHoldsTooMany() throws {
        let scratch = try ScratchDataset()
        let files = OpenPacks()
        let first = files.descriptor(of: scratch.path + "/fixture.json")
        XCTAssertNil(first, "a file that cannot be opened")
        try scratch.write("pack", to: "a.pack")
        let opened = try XCTUnwrap(files.descriptor(of: scratch.path + "/a.pack"))
        XCTAssertEqual(files.descriptor(of: scratch.path + "/a.pack"), opened, "opened once")
        for number in 0..<OpenPacks.limit {
            try scratch.write("pack", to: "p\(number).pack")
            XCTAssertNotNil(files.descriptor(of: scratch.path + "/p\(number).pack"))
        }
        // Past the limit the set started over: the first pack gets a descriptor again, and
        // the process holds no more than the limit.
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        XCTAssertNotNil(files.descriptor(of: scratch.path + "/a.pack"))
        XCTAssertLessThanOrEqual(try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count, open + 1)
    }
}

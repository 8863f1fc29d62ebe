@testable import DsnapCore
import Foundation
import XCTest

/// The stat-only fast path behind no-op status, commit and restore plans. Its one promise: when
/// it says "clean", libgit2's exact diff finds nothing. Saying "maybe changed" is always allowed.
final class StatCacheCheckTests: XCTestCase {
    private func makeDataset(_ scratch: ScratchDataset) throws -> Dataset {
        // Files modified in the clock tick the index is written in are "racy" and rightly left
        // to libgit2; dating them a minute back keeps these tests about everything else.
        let enumerator = FileManager.default.enumerator(atPath: scratch.path)
        while let path = enumerator?.nextObject() as? String {
            let past = timespec(tv_sec: time(nil) - 60, tv_nsec: 0)
            var times = [past, past]
            utimensat(AT_FDCWD, scratch.path + "/" + path, &times, AT_SYMLINK_NOFOLLOW)
        }
        return try CreateDataset.run(at: scratch.path, name: "Stat", author: nil, writer: FastSnapshotWriter(),
                              context: testContext()).0
    }

    private func currentTree(_ dataset: Dataset) throws -> GitOID {
        let id = try XCTUnwrap(try SnapshotCatalog(dataset: dataset).currentID())
        return try dataset.repository.commit(id).tree
    }

    /// What libgit2 finds between the current snapshot and the work tree (internal paths aside).
    private func libgit2Changes(_ dataset: Dataset) throws -> [String] {
        try dataset.repository.diffTreeToWorkTree(try currentTree(dataset)).deltas.map(\.newPath)
            .filter { !Dataset.isInternalPath($0) && !$0.hasSuffix("/") }
    }

    func testAfterASnapshotTheIndexHoldsItsTreeAndTheWorkTreeIsClean() throws {
        let scratch = try ScratchDataset()
        let dataset = try makeDataset(scratch)
        let index = try XCTUnwrap(StatCacheCheck.clean(dataset))
        XCTAssertEqual(index.cachedRootTree, try currentTree(dataset))
        XCTAssertEqual(index.count, try dataset.repository.index().entryCount)
        XCTAssertEqual(try ReadStatus.changes(in: dataset), [])
    }

    func testEveryKindOfChangeIsSeen() throws {
        let changes: [(String, (ScratchDataset) throws -> Void)] = [
            ("rewritten", { try $0.write("{\"labels\": [\"cat\"]}", to: "images/cats/a.json") }),
            ("appended", { s in
                let handle = try XCTUnwrap(FileHandle(forWritingAtPath: s.path + "/labels.csv"))
                handle.seekToEndOfFile()
                handle.write(Data("x".utf8))
                handle.closeFile()
            }),
            ("new file", { try $0.write("new", to: "images/new.txt") }),
            ("new file in a new folder", { try $0.write("new", to: "fresh/deeper/new.txt") }),
            ("deleted", { try $0.remove("labels.csv") }),
            ("file became a folder", { s in
                try s.remove("labels.csv")
                try s.write("x", to: "labels.csv/inner.txt")
            }),
            ("made executable", { s in
                XCTAssertEqual(chmod(s.path + "/labels.csv", 0o755), 0)
            }),
            ("folder became a link to a copy", { s in
                try FileManager.default.copyItem(atPath: s.path + "/images", toPath: s.path + "/images-copy")
                try s.remove("images")
                try FileManager.default.createSymbolicLink(atPath: s.path + "/images", withDestinationPath: "images-copy")
            }),
            ("mtime put back after an edit", { s in
                let path = s.path + "/labels.csv"
                var before = stat()
                XCTAssertEqual(lstat(path, &before), 0)
                let original = try Data(contentsOf: URL(fileURLWithPath: path))
                var edited = original
                edited[0] = edited[0] == 0x41 ? 0x42 : 0x41
                try edited.write(to: URL(fileURLWithPath: path))
                var times = [before.st_atim, before.st_mtim]
                XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0)
            }),
        ]
        for (label, change) in changes {
            let scratch = try ScratchDataset()
            let dataset = try makeDataset(scratch)
            try change(scratch)
            XCTAssertNil(StatCacheCheck.clean(dataset), label)
            XCTAssertFalse(try libgit2Changes(dataset).isEmpty, label)
            XCTAssertEqual(try ReadStatus.changes(in: dataset).map(\.path).sorted(),
                           try libgit2Changes(dataset).sorted(), label)
        }
    }

    func testIgnoredFilesAndNestedDatasetsDoNotCountAsChanges() throws {
        let scratch = try ScratchDataset()
        try scratch.write("*.tmp\ncache/\n", to: Dataset.ignoreFileName)
        let dataset = try makeDataset(scratch)
        try scratch.write("scratch", to: "images/work.tmp")
        try scratch.write("scratch", to: "cache/a/b.bin")
        try FileManager.default.createDirectory(atPath: scratch.path + "/videos/.dsnap/objects",
                                                withIntermediateDirectories: true)
        let index = try XCTUnwrap(StatCacheCheck.clean(dataset))
        XCTAssertEqual(index.cachedRootTree, try currentTree(dataset))
        XCTAssertEqual(try libgit2Changes(dataset), [])
    }

    func testAnEmptyNewFolderFallsBackToLibgit2WhichSeesNoChange() throws {
        let scratch = try ScratchDataset()
        let dataset = try makeDataset(scratch)
        try FileManager.default.createDirectory(atPath: scratch.path + "/empty", withIntermediateDirectories: true)
        XCTAssertNil(StatCacheCheck.clean(dataset))
        XCTAssertEqual(try ReadStatus.changes(in: dataset), [])
    }

    func testAFileWrittenAfterTheIndexIsNeverTrustedByStat() throws {
        let scratch = try ScratchDataset()
        let dataset = try makeDataset(scratch)
        // Give the file a modification time later than the index's: an edit in the same clock
        // tick as the index write would look like this, so the stat proves nothing.
        let path = scratch.path + "/labels.csv"
        let later = timespec(tv_sec: time(nil) + 3600, tv_nsec: 0)
        var times = [later, later]
        XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0)
        let index = try XCTUnwrap(IndexFile.read(path: dataset.gitDir + "/index"))
        let entry = try XCTUnwrap((0..<index.count).first { index.path($0) == "labels.csv" })
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0)
        XCTAssertNil(StatCacheCheck.clean(dataset))
        XCTAssertFalse(StatCacheCheck.matches(index, entry, info))
    }

    func testARestoreLeavesTheIndexHoldingTheRestoredTree() throws {
        let scratch = try ScratchDataset()
        let dataset = try makeDataset(scratch)
        let context = testContext(start: 1_800_000_000)
        let first = try XCTUnwrap(try SnapshotCatalog(dataset: dataset).currentID())
        try scratch.write("{\"labels\": [\"changed\"]}", to: "images/cats/a.json")
        try scratch.remove("labels.csv")
        _ = try TakeSnapshot.run(SnapshotRequest(name: "second"), in: dataset, writer: FastSnapshotWriter(),
                                 context: context)
        let plan = try RestoreSnapshot.plan(.snapshot(first.hex), discard: false, in: dataset,
                                            checkout: AtomicCheckout())
        _ = try RestoreSnapshot.execute(plan, in: dataset, writer: FastSnapshotWriter(), checkout: AtomicCheckout(),
                                        context: context)
        // (Not `clean`: files restored in the same clock tick as the index write are racy, and
        // rightly left to libgit2 until the index is written again.)
        let index = try XCTUnwrap(IndexFile.read(path: dataset.gitDir + "/index"))
        XCTAssertEqual(index.cachedRootTree, try dataset.repository.commit(first).tree)
        XCTAssertEqual(try ReadStatus.changes(in: dataset), [])
        // A no-op commit right after records the same tree, with the same counts.
        let checkpoint = try TakeSnapshot.run(SnapshotRequest(name: "checkpoint"), in: dataset,
                                              writer: FastSnapshotWriter(), context: context)
        XCTAssertTrue(checkpoint.unchanged)
        XCTAssertEqual(checkpoint.snapshot.record.nImages, 5)
        XCTAssertEqual(checkpoint.snapshot.record.nVideos, 1)
    }

    /// Writes `bytes` under the dataset as a file named by raw bytes, dated a minute back.
    private func writeRaw(_ name: [UInt8], in scratch: ScratchDataset) {
        let path = Array(scratch.path.utf8) + [UInt8(ascii: "/")] + name
        let slash = path.lastIndex(of: UInt8(ascii: "/"))!
        (Array(path[..<slash]) + [0]).withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { _ = mkdir($0.baseAddress!, 0o755) }
        }
        (path + [0]).withUnsafeBufferPointer {
            $0.withMemoryRebound(to: CChar.self) { pointer in
                let descriptor = open(pointer.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                XCTAssertGreaterThanOrEqual(descriptor, 0)
                _ = write(descriptor, name, name.count)
                close(descriptor)
                let past = timespec(tv_sec: time(nil) - 60, tv_nsec: 0)
                var times = [past, past]
                utimensat(AT_FDCWD, pointer.baseAddress!, &times, AT_SYMLINK_NOFOLLOW)
            }
        }
    }

    /// Names of any bytes take the fast path like any other, and a new name is seen even when
    /// Swift's String == would take it for a known one (`é` and `e` + U+0301).
    func testNamesOfAnyBytesAreJudgedByTheirBytes() throws {
        let scratch = try ScratchDataset()
        writeRaw(Array("caf".utf8) + [0xE9] + Array(".json".utf8), in: scratch)
        writeRaw(Array("dir".utf8) + [0xFF, 0x2F, 0xF4, 0x8F, 0xBC, 0x80], in: scratch)
        writeRaw(Array("nfc/caf\u{E9}.json".utf8), in: scratch)
        let dataset = try makeDataset(scratch)
        XCTAssertNotNil(StatCacheCheck.clean(dataset), "the fast path gave up on names of any bytes")
        XCTAssertEqual(try ReadStatus.changes(in: dataset), [])

        writeRaw(Array("nfc/cafe\u{301}.json".utf8), in: scratch)
        XCTAssertNil(StatCacheCheck.clean(dataset), "a new NFD name passed for its NFC twin")
        XCTAssertEqual(try libgit2Changes(dataset).map { Array($0.utf8) }, [Array("nfc/cafe\u{301}.json".utf8)])
    }
}

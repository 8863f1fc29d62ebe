@testable import DsnapCore
import Foundation
import XCTest

/// dsnap's own writer must produce exactly the trees libgit2's index writer produces, in objects
/// plain git reads.
final class SnapshotWriterTests: XCTestCase {
    private func git(_ arguments: [String], in directory: String) throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "--git-dir=.dsnap"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// A fixture copy with the awkward cases added: a large incompressible video, an executable,
    /// a symlink, an empty file.
    private func scratch() throws -> ScratchDataset {
        let scratch = try ScratchDataset()
        var generator = SystemRandomNumberGenerator()
        let big = (0..<(3 * 1024 * 1024 + 17)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(big).write(to: URL(fileURLWithPath: scratch.path + "/videos/big.mp4"))
        try scratch.write("#!/bin/sh\necho hi\n", to: "tools/run.sh")
        chmod(scratch.path + "/tools/run.sh", 0o755)
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/cover.jpg", withDestinationPath: "images/cats/a.jpg")
        try scratch.write("", to: "empty.json")
        return scratch
    }

    /// Another scratch folder with the same content.
    private func copy(of scratch: ScratchDataset) throws -> ScratchDataset {
        let copy = try ScratchDataset()
        try FileManager.default.removeItem(atPath: copy.path)
        try FileManager.default.copyItem(atPath: scratch.path, toPath: copy.path)
        return copy
    }

    /// `fast` made a dataset by dsnap's writer, `reference` by libgit2's.
    private func createWithBothWriters(_ fast: ScratchDataset, _ reference: ScratchDataset) throws
        -> (fast: (Dataset, SnapshotResult), reference: (Dataset, SnapshotResult)) {
        (try CreateDataset.run(at: fast.path, name: "x", author: nil, writer: FastSnapshotWriter(), context: testContext()),
         try CreateDataset.run(at: reference.path, name: "x", author: nil, writer: IndexSnapshotWriter(),
                               context: testContext()))
    }

    func testTheFastWriterWritesTheTreesLibgit2Writes() throws {
        let fast = try scratch()
        let reference = try copy(of: fast)
        let ((fastDataset, fastResult), (referenceDataset, referenceResult)) = try createWithBothWriters(fast, reference)
        XCTAssertEqual(fastResult.snapshot.tree, referenceResult.snapshot.tree)
        XCTAssertEqual(fastResult.snapshot.record.nVideos, 2)

        // An incremental snapshot: one file changed, one removed, one added.
        for scratch in [fast, reference] {
            try scratch.write(#"{"labels": ["dog"]}"#, to: "images/cats/a.json")
            try scratch.remove("labels.csv")
            try scratch.write("new", to: "images/new/n.png")
        }
        let fastNext = try TakeSnapshot.run(SnapshotRequest(name: "n"), in: fastDataset, writer: FastSnapshotWriter(),
                                            context: testContext())
        let referenceNext = try TakeSnapshot.run(SnapshotRequest(name: "n"), in: referenceDataset,
                                                 writer: IndexSnapshotWriter(), context: testContext())
        XCTAssertEqual(fastNext.snapshot.tree, referenceNext.snapshot.tree)
        XCTAssertFalse(fastNext.unchanged)
        XCTAssertEqual(try ReadStatus.changes(in: fastDataset), [], "the index must match the work tree afterwards")
    }

    /// Writes `deep/` + 22 folders of 200 bytes + `leaf.txt` (with `content`) below `root`:
    /// a path longer than PATH_MAX, made one folder at a time.
    private func makeDeep(_ root: String, content: String) throws {
        var folder = open(root, O_RDONLY | O_DIRECTORY)
        for name in ["deep"] + Array(repeating: String(repeating: "d", count: 200), count: 22) {
            mkdirat(folder, name, 0o755)
            let next = openat(folder, name, O_RDONLY | O_DIRECTORY)
            close(folder)
            folder = next
        }
        defer { close(folder) }
        let file = openat(folder, "leaf.txt", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        XCTAssertGreaterThanOrEqual(file, 0)
        _ = content.withCString { write(file, $0, strlen($0)) }
        close(file)
    }

    /// Both writers record files past PATH_MAX (`DeepSnapshotFiles`) in the same trees.
    func testBothWritersRecordFilesPastPathMax() throws {
        let fast = try scratch()
        let reference = try copy(of: fast)
        defer {
            // FileManager cannot remove what no path names.
            for scratch in [fast, reference] {
                let remove = Process()
                remove.executableURL = URL(fileURLWithPath: "/bin/rm")
                remove.arguments = ["-rf", scratch.path + "/deep"]
                try? remove.run()
                remove.waitUntilExit()
            }
        }
        for scratch in [fast, reference] { try makeDeep(scratch.path, content: "one") }
        let ((fastDataset, fastResult), (referenceDataset, referenceResult)) = try createWithBothWriters(fast, reference)
        XCTAssertEqual(fastResult.snapshot.tree, referenceResult.snapshot.tree)
        let listed = String(decoding: try git(["ls-tree", "-r", "--name-only", "HEAD"], in: fast.path).output, as: UTF8.self)
        XCTAssertTrue(listed.split(separator: "\n").contains { $0.hasSuffix("/leaf.txt") && $0.utf8.count > 4_400 }, listed)

        for scratch in [fast, reference] { try makeDeep(scratch.path, content: "two") }
        XCTAssertEqual(try ReadStatus.changes(in: fastDataset).map(\.kind), [.modified])
        let fastNext = try TakeSnapshot.run(SnapshotRequest(name: "n"), in: fastDataset, writer: FastSnapshotWriter(),
                                            context: testContext())
        let referenceNext = try TakeSnapshot.run(SnapshotRequest(name: "n"), in: referenceDataset,
                                                 writer: IndexSnapshotWriter(), context: testContext())
        XCTAssertEqual(fastNext.snapshot.tree, referenceNext.snapshot.tree)
        XCTAssertNotEqual(fastNext.snapshot.tree, fastResult.snapshot.tree)
        XCTAssertEqual(try ReadStatus.changes(in: fastDataset), [])
        XCTAssertEqual(try ReadStatus.changes(in: referenceDataset), [])
    }

    /// The fast writer updates the index while its scan still runs: files that became folders
    /// and folders that became files, among more changes than the packing threshold (so results
    /// reach the index during the scan), give the tree libgit2's writer gives.
    func testFilesAndFoldersThatSwapPlacesGiveLibgit2sTree() throws {
        let fast = try ScratchDataset()
        for number in 0..<1_300 { try fast.write("{\"n\": \(number)}", to: "bulk/f\(number / 100)/\(number).json") }
        try fast.write("file", to: "swap/a")
        try fast.write("inside", to: "swap/b/c.txt")
        for number in 0..<300 { try fast.write("{\"z\": \(number)}", to: "zz/\(number).json") }
        let reference = try copy(of: fast)
        let ((fastDataset, _), (referenceDataset, _)) = try createWithBothWriters(fast, reference)
        for scratch in [fast, reference] {
            for number in 0..<1_300 { try scratch.write("{\"n\": \(number + 1)}", to: "bulk/f\(number / 100)/\(number).json") }
            try scratch.remove("swap/a")
            try scratch.write("now a folder", to: "swap/a/inner.txt")
            try scratch.remove("swap/b")
            try scratch.write("now a file", to: "swap/b")
            for number in 0..<300 { try scratch.write("{\"z\": \(number + 1)}", to: "zz/\(number).json") }
        }
        let fastNext = try TakeSnapshot.run(SnapshotRequest(), in: fastDataset, writer: FastSnapshotWriter(),
                                            context: testContext())
        let referenceNext = try TakeSnapshot.run(SnapshotRequest(), in: referenceDataset,
                                                 writer: IndexSnapshotWriter(), context: testContext())
        XCTAssertEqual(fastNext.snapshot.tree, referenceNext.snapshot.tree)
        XCTAssertEqual(try ReadStatus.changes(in: fastDataset), [], "the index must match the work tree afterwards")
        XCTAssertEqual(try git(["fsck", "--full", "--strict"], in: fast.path).status, 0)
    }

    func testPlainGitReadsEveryObjectTheFastWriterWrote() throws {
        let scratch = try scratch()
        _ = try CreateDataset.run(at: scratch.path, name: "x", author: nil, writer: FastSnapshotWriter(),
                                  context: testContext())
        XCTAssertEqual(try git(["fsck", "--full", "--strict"], in: scratch.path).status, 0)
        for path in ["videos/big.mp4", "videos/clip.mp4", "images/cats/a.json", "images/dogs/b.png", "empty.json"] {
            let blob = try git(["cat-file", "blob", "HEAD:" + path], in: scratch.path)
            XCTAssertEqual(blob.status, 0, path)
            XCTAssertEqual(blob.output, FileManager.default.contents(atPath: scratch.path + "/" + path), path)
        }
        let tree = String(decoding: try git(["ls-tree", "-r", "HEAD"], in: scratch.path).output, as: UTF8.self)
        XCTAssertTrue(tree.contains("100755 blob"), tree)
        XCTAssertTrue(tree.contains("120000 blob"), tree)
    }

    func testMediaIsStoredAndTextIsCompressed() throws {
        let scratch = try scratch()
        let (dataset, result) = try CreateDataset.run(at: scratch.path, name: "x", author: nil,
                                                      writer: FastSnapshotWriter(), context: testContext())
        let files = try SnapshotCatalog(dataset: dataset).files(of: result.snapshot)
        XCTAssertTrue(files.contains { $0.path == "videos/big.mp4" })
        let id = try dataset.repository.treeEntries(result.snapshot.tree).first { $0.path == "videos/big.mp4" }!.id
        let object = scratch.path + "/.dsnap/objects/\(id.hex.prefix(2))/\(id.hex.dropFirst(2))"
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: object)[.size] as? Int)
        // Stored blocks: the object is the file plus a few bytes per 64 KiB block.
        XCTAssertLessThan(size, 3 * 1024 * 1024 + 17 + 1024)
        XCTAssertGreaterThan(size, 3 * 1024 * 1024)
    }
}

import CObjectCodec
@testable import DsnapCore
import Foundation
import XCTest

/// Media objects are zlib "stored" blocks; restore reads them without inflating and checks their
/// Adler-32 with dsnap's own (SSSE3) code. Both against zlib, and against damage.
final class StoredObjectTests: XCTestCase {
    private func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    func testAdler32MatchesZlibForEveryLengthAndSplit() {
        for length in Array(0...100) + [255, 4095, 16_383, 16_384, 16_385, 65_521, 100_000, (1 << 20) + 7] {
            let bytes = length == 100_000 ? [UInt8](repeating: 255, count: length) : randomBytes(length)
            let expected = bytes.withUnsafeBufferPointer { UInt32(adler32_z(1, $0.baseAddress, $0.count)) }
            XCTAssertEqual(bytes.withUnsafeBytes { dsnap_adler32(1, $0.baseAddress, $0.count) }, expected, "length \(length)")
            let half = length / 3
            let split = bytes.withUnsafeBytes { raw in
                dsnap_adler32(dsnap_adler32(1, raw.baseAddress, half), raw.baseAddress.map { $0 + half }, length - half)
            }
            XCTAssertEqual(split, expected, "length \(length) split at \(half)")
        }
    }

    /// Snapshots media of several sizes and reads every blob back through the stored-block path.
    func testMediaObjectsAreReadBackExactlyAndDamageIsCaught() throws {
        let scratch = try ScratchDataset()
        let sizes = [0, 1, 65_535, 65_536, 200_000, (1 << 20) + 3, 3 << 20]
        var contents: [String: [UInt8]] = [:]
        for size in sizes {
            let bytes = randomBytes(size)
            let path = "media/v\(size).mp4"
            try FileManager.default.createDirectory(atPath: scratch.path + "/media", withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: scratch.path + "/" + path))
            contents[path] = bytes
        }
        let dataset = try CreateDataset.run(at: scratch.path, name: "Stored", author: nil, writer: FastSnapshotWriter(),
                                            context: testContext()).0
        let tree = try dataset.repository.commit(try XCTUnwrap(try dataset.repository.headCommit())).tree
        let entries = try dataset.repository.treeEntries(tree).filter { $0.path.hasPrefix("media/") }
        XCTAssertEqual(entries.count, sizes.count)
        for entry in entries {
            let objectPath = entry.id.looseObjectPath(in: dataset.gitDir + "/objects").file
            let descriptor = open(objectPath, O_RDONLY)
            XCTAssertGreaterThanOrEqual(descriptor, 0, "\(entry.path) is not a loose object")
            var info = stat()
            fstat(descriptor, &info)
            XCTAssertNotNil(StoredObjectReader.segments(descriptor, fileSize: Int(info.st_size)),
                            "\(entry.path) is not stored blocks only")
            close(descriptor)
            var read: [UInt8] = []
            let size = try LooseObjectReader.read(path: objectPath, id: entry.id) { read += $0 }
            XCTAssertEqual(size, Int64(contents[entry.path]!.count))
            XCTAssertTrue(read == contents[entry.path]!, "\(entry.path) read back differs")
            // The kernel copy restore uses gives the same bytes.
            let copied = try copyStored(objectPath, entry.id, scratch)
            XCTAssertTrue(copied.bytes == contents[entry.path]!, "\(entry.path) copied differs")
        }

        // One flipped content byte: the checksum catches it.
        let big = try XCTUnwrap(entries.first { $0.path == "media/v200000.mp4" })
        let objectPath = big.id.looseObjectPath(in: dataset.gitDir + "/objects").file
        chmod(objectPath, 0o644)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: objectPath))
        try handle.seek(toOffset: 100_000)
        let byte = try XCTUnwrap(try handle.read(upToCount: 1))
        try handle.seek(toOffset: 100_000)
        try handle.write(contentsOf: Data([byte[0] ^ 0x01]))
        try handle.close()
        XCTAssertThrowsError(try LooseObjectReader.read(path: objectPath, id: big.id) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("checksum"), "\(error)")
        }
        // The kernel copy checks first: a damaged object writes nothing at all.
        XCTAssertThrowsError(try copyStored(objectPath, big.id, scratch)) { error in
            XCTAssertTrue("\(error)".contains("checksum"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: scratch.path + "-copy")[.size] as? Int, 0)
    }

    /// Copies an object's content with `LooseObjectReader.copyStored` into a fresh file beside the scratch folder.
    private func copyStored(_ objectPath: String, _ id: GitOID, _ scratch: ScratchDataset) throws -> (bytes: [UInt8], size: Int64?) {
        let target = scratch.path + "-copy"
        unlink(target)
        let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }
        var wasCold = false
        let size = try LooseObjectReader.copyStored(path: objectPath, id: id, to: descriptor, destinationPath: target,
                                                    wasCold: &wasCold) { _ in }
        return ([UInt8](try Data(contentsOf: URL(fileURLWithPath: target))), size)
    }

    /// git's own objects are compressed: they are inflated as before.
    func testCompressedObjectsStillInflate() throws {
        let scratch = try ScratchDataset()
        let dataset = try CreateDataset.run(at: scratch.path, name: "Git", author: nil, writer: FastSnapshotWriter(),
                                            context: testContext()).0
        let text = String(repeating: "compressible text ", count: 5_000)
        try text.write(toFile: scratch.path + "/note.txt", atomically: false, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["--git-dir=" + dataset.gitDir, "hash-object", "-w", scratch.path + "/note.txt"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let hex = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let id = try XCTUnwrap(GitOID(hex: hex))
        var read: [UInt8] = []
        _ = try LooseObjectReader.read(path: id.looseObjectPath(in: dataset.gitDir + "/objects").file, id: id) { read += $0 }
        XCTAssertEqual(String(decoding: read, as: UTF8.self), text)
    }
}

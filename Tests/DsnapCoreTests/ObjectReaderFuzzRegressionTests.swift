@testable import DsnapCore
import Foundation
import XCTest

/// Inputs the fuzz targets (fuzz/targets) found crashing the object readers, replayed the way the
/// targets feed them: each must be refused or read, never trap. The raw inputs are also in
/// fuzz/corpus, so every fuzz run starts from them.
final class ObjectReaderFuzzRegressionTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dsnap-reader-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func word(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// A version 2 pack index of `ids` (sorted) at `offsets`, with `fanout` in place of the true
    /// one when given, and `largeOffsets` as its 64-bit table.
    private func indexBytes(ids: [[UInt8]], offsets: [UInt32], fanout: [UInt32]? = nil,
                            largeOffsets: [UInt64] = []) -> [UInt8] {
        var bytes: [UInt8] = [0xFF, 0x74, 0x4F, 0x63] + word(2)
        let counts = fanout ?? (0..<256).map { first in UInt32(ids.filter { Int($0[0]) <= first }.count) }
        for count in counts { bytes += word(count) }
        for id in ids { bytes += id }
        for _ in ids { bytes += word(0) }
        for offset in offsets { bytes += word(offset) }
        for large in largeOffsets { bytes += word(UInt32(large >> 32)) + word(UInt32(large & 0xFFFF_FFFF)) }
        return bytes + [UInt8](repeating: 0, count: 40)
    }

    private func write(_ bytes: [UInt8], to name: String) throws -> String {
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testAPackEntryClaimingASizePast63BitsIsRefusedNotATrap() throws {
        // Found by fuzz-pack: a blob entry whose size bytes go on past 63 bits overflowed the
        // buffer sizing (an arithmetic-overflow trap) before a byte was read.
        let id = [UInt8](repeating: 0x5A, count: 20)
        let entry: [UInt8] = [0xB4, 0xDC, 0xCB, 0xCB, 0xCB, 0xCB, 0xCB, 0xCB, 0xB4, 0xDC]
        _ = try write(Array("PACK".utf8) + [0, 0, 0, 2, 0, 0, 0, 1] + entry, to: "pack-a.pack")
        let index = try XCTUnwrap(PackIndex(indexPath: try write(indexBytes(ids: [id], offsets: [12]), to: "pack-a.idx")))
        let found = LooseObjectReader.packedEntry(GitOID(rawBytes: id), packs: [index], files: OpenPacks())
        let packed = try XCTUnwrap(found, "the entry is a whole blob by its type")
        XCTAssertThrowsError(try LooseObjectReader.read(packed, id: GitOID(rawBytes: id)) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("too large"), "\(error)")
        }
    }

    func testAPackEntryOfTheLargestSizeThatFitsIsReadAsTruncated() throws {
        // Ten size bytes, all bits set up to bit 62 (the last byte carries bits 60-62): 2^63 - 1,
        // the largest size that fits. The stream is tiny, so the read must fail as truncated:
        // adding the stream's slack to such a size overflows unless the reader guards it.
        let id = [UInt8](repeating: 0x5A, count: 20)
        let entry: [UInt8] = [0xBF] + [UInt8](repeating: 0xFF, count: 8) + [0x07]
            + [0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01]
        _ = try write(Array("PACK".utf8) + [0, 0, 0, 2, 0, 0, 0, 1] + entry, to: "pack-b.pack")
        let index = try XCTUnwrap(PackIndex(indexPath: try write(indexBytes(ids: [id], offsets: [12]), to: "pack-b.idx")))
        let packed = try XCTUnwrap(LooseObjectReader.packedEntry(GitOID(rawBytes: id), packs: [index], files: OpenPacks()))
        XCTAssertThrowsError(try LooseObjectReader.read(packed, id: GitOID(rawBytes: id)) { _ in })
    }

    func testAPackIndexPointingPastItsLargeOffsetTableIsIgnored() throws {
        // Found by fuzz-pack: an offset with its high bit set named a slot of the 64-bit table
        // that the file does not have, and reading it trapped (index out of range).
        let ids = [[UInt8](repeating: 0x11, count: 20), [UInt8](repeating: 0x22, count: 20)]
        XCTAssertNil(PackIndex(indexPath: try write(indexBytes(ids: ids, offsets: [12, 0x8000_0001], largeOffsets: [1 << 33]),
                                                    to: "pack-c.idx")))
        let sound = try XCTUnwrap(PackIndex(indexPath: try write(indexBytes(ids: ids, offsets: [12, 0x8000_0000],
                                                                           largeOffsets: [1 << 33]), to: "pack-d.idx")))
        XCTAssertEqual(sound.offset(at: 1), 1 << 33)
    }

    func testAPackIndexWhoseFanOutDecreasesIsIgnored() throws {
        // A fan-out that goes down sends the binary search outside the id table.
        let ids = [[UInt8](repeating: 0x11, count: 20)]
        var fanout = [UInt32](repeating: 1, count: 256)
        fanout[0x10] = 1_000
        XCTAssertNil(PackIndex(indexPath: try write(indexBytes(ids: ids, offsets: [12], fanout: fanout), to: "pack-e.idx")))
        let sound = try XCTUnwrap(PackIndex(indexPath: try write(indexBytes(ids: ids, offsets: [12]), to: "pack-f.idx")))
        XCTAssertEqual(sound.position(of: GitOID(rawBytes: ids[0])), 0)
    }
}

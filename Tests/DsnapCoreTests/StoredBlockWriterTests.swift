import CObjectCodec
@testable import DsnapCore
import Foundation
import XCTest

/// dsnap writes media objects as zlib stored blocks itself (no zlib on the way), into unnamed
/// files linked into place. zlib must inflate what it writes, git must read it, and nothing may
/// be left behind, whichever kind of temporary file was used.
final class StoredBlockWriterTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dsnap-stored-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder + "/objects", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// Writes `content` as a blob object through `StoredBlockWriter`, handed over in `pieces`
    /// of the given sizes, and returns the object file's bytes.
    private func writeObject(_ content: [UInt8], pieces: Int, allowUnnamed: Bool = true) throws -> (path: String, bytes: [UInt8]) {
        let objects = folder + "/objects"
        let temporary = try TemporaryObject(objectsDirectory: objects, folder: objects, allowUnnamed: allowUnnamed)
        let writer = StoredBlockWriter()
        try writer.start(header: Array("blob \(content.count)\0".utf8), contentSize: content.count, to: temporary)
        let step = max(1, content.count / pieces + 1)
        var offset = 0
        while offset < content.count {
            let end = min(content.count, offset + step)
            try content.withUnsafeBytes { try writer.append(UnsafeRawBufferPointer(rebasing: $0[offset..<end]), to: temporary) }
            offset = end
        }
        let name = objects + "/ab/" + UUID().uuidString
        try temporary.install(at: (folder: objects + "/ab", file: name), workspace: Workspace())
        return (name, [UInt8](try Data(contentsOf: URL(fileURLWithPath: name))))
    }

    func testZlibInflatesEveryLayoutToTheObject() throws {
        // Around the 65,535-byte block size, with the `blob SIZE\0` header in front.
        let sizes = [0, 1, 65_520, 65_527, 65_528, 65_529, 65_535, 65_536, 131_062, 131_070, 200_000, (1 << 20) + 3]
        for size in sizes {
            for pieces in [1, 3, 17] {
                let content = randomBytes(size)
                let object = try writeObject(content, pieces: pieces)
                let expected = Array("blob \(size)\0".utf8) + content
                var inflated = [UInt8](repeating: 0, count: expected.count + 16)
                var length = uLongf(inflated.count)
                let status = object.bytes.withUnsafeBufferPointer { source in
                    uncompress(&inflated, &length, source.baseAddress, uLong(source.count))
                }
                XCTAssertEqual(status, Z_OK, "size \(size) in \(pieces) pieces")
                XCTAssertTrue(Array(inflated[0..<Int(length)]) == expected, "size \(size) in \(pieces) pieces")
                // And dsnap's restore path sees stored blocks only.
                let descriptor = open(object.path, O_RDONLY)
                XCTAssertNotNil(StoredObjectReader.segments(descriptor, fileSize: object.bytes.count), "size \(size)")
                close(descriptor)
            }
        }
    }

    /// The named fallback (file systems without O_TMPFILE) and the unnamed file both end linked
    /// under the object's name, read-only, with no temporary file left in `objects/`.
    func testBothKindsOfTemporaryFileLeaveOnlyTheObject() throws {
        for allowUnnamed in [true, false] {
            let content = randomBytes(70_000)
            let object = try writeObject(content, pieces: 2, allowUnnamed: allowUnnamed)
            let info = try FileManager.default.attributesOfItem(atPath: object.path)
            XCTAssertEqual((info[.posixPermissions] as? NSNumber)?.intValue, 0o444)
            let left = try FileManager.default.contentsOfDirectory(atPath: folder + "/objects").filter { $0 != "ab" }
            XCTAssertEqual(left, [], "unnamed: \(allowUnnamed)")
        }
    }

    /// An object that appeared meanwhile (another worker, another process) is kept: linking over
    /// it is not an error, and its bytes are not touched.
    func testAnObjectThatAlreadyExistsIsKept() throws {
        let objects = folder + "/objects"
        try FileManager.default.createDirectory(atPath: objects + "/cd", withIntermediateDirectories: true)
        let target = objects + "/cd/existing"
        try Data("first".utf8).write(to: URL(fileURLWithPath: target))
        let temporary = try TemporaryObject(objectsDirectory: objects, folder: objects + "/cd")
        try Data("second".utf8).withUnsafeBytes { try temporary.append($0) }
        try temporary.install(at: (folder: objects + "/cd", file: target), workspace: Workspace())
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "first")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: objects + "/cd"), ["existing"])
    }
}

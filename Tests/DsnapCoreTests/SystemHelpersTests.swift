@testable import DsnapCore
import Foundation
import XCTest

/// The shared read loop and temporary names that replaced per-file copies.
final class SystemHelpersTests: XCTestCase {
    func testFillReadsWholeBuffersAndStopsShortOnlyAtTheEnd() throws {
        let path = NSTemporaryDirectory() + "/dsnap-fileread-\(getpid())"
        defer { unlink(path) }
        let content = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try Data(content).write(to: URL(fileURLWithPath: path))
        let descriptor = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let first = try buffer.withUnsafeMutableBytes { try FileRead.fill(descriptor, $0, path: path) }
        XCTAssertEqual(first, 4096)
        XCTAssertEqual(buffer, Array(content[0..<4096]))
        let atOffset = try buffer.withUnsafeMutableBytes { try FileRead.fill(descriptor, $0, at: 8000, path: path) }
        XCTAssertEqual(atOffset, 2000, "short only at the end of the file")
        XCTAssertEqual(Array(buffer[0..<2000]), Array(content[8000...]))
        let bad = buffer.withUnsafeMutableBytes { try? FileRead.fill(-1, $0, path: path) }
        XCTAssertNil(bad, "a failed read throws")
    }

    func testTemporaryNamesAreUniqueAcrossThreadsAndSayWhoseTheyAre() {
        let names = Lock()
        nonisolated(unsafe) var seen = Set<String>()
        DispatchQueue.concurrentPerform(iterations: 2000) { _ in
            let name = TemporaryName.make(in: "/folder", prefix: "tmp_x_")
            names.lock(); seen.insert(name); names.unlock()
        }
        XCTAssertEqual(seen.count, 2000)
        XCTAssertTrue(seen.allSatisfy { $0.hasPrefix("/folder/tmp_x_\(getpid())_") })
    }
}

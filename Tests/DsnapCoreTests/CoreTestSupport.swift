import DsnapCore
import Foundation
import XCTest

/// A temporary copy of a fixture for core tests; removed when the test ends.
final class ScratchDataset {
    let path: String

    init(fixture name: String = "basic", file: StaticString = #filePath) throws {
        let root = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let parent = NSTemporaryDirectory() + "dsnap-core-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        path = parent + "/" + name
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("fixtures/\(name)").path, toPath: path)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    func write(_ text: String, to relativePath: String) throws {
        let url = URL(fileURLWithPath: path + "/" + relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
    }

    func remove(_ relativePath: String) throws {
        try FileManager.default.removeItem(atPath: path + "/" + relativePath)
    }
}

/// A context with a fixed identity and a clock that ticks one second per call, so order is known.
func testContext(start: Int64 = 1_772_359_200) -> OperationContext {
    final class Tick: @unchecked Sendable {
        var seconds: Int64
        let lock = NSLock()
        init(_ seconds: Int64) { self.seconds = seconds }
        func next() -> Timestamp {
            lock.lock()
            defer { lock.unlock() }
            seconds += 1
            return Timestamp(microseconds: seconds * 1_000_000)
        }
    }
    let tick = Tick(start)
    return OperationContext(environment: ["GIT_AUTHOR_NAME": "Core Test", "GIT_AUTHOR_EMAIL": "core@example.com",
                                          "HOME": NSTemporaryDirectory()],
                            now: { tick.next() })
}

import Foundation
import XCTest

/// DsnapHTTP stands alone: the API layer depends on it, never the other way, so the server can
/// be tested, fuzzed and reasoned about without a dataset in sight.
final class HTTPLayerTests: XCTestCase {
    func testDsnapHTTPImportsOnlyTheSystem() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/DsnapHTTP")
        // Not Foundation proper: linked into dsnap, it costs every command ~3 ms of start-up
        // (Foundation and its ICU data loaded), whether it serves or not.
        let allowed: Set = ["Glibc", "Dispatch", "Synchronization", "CHTTPSystem"]
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        XCTAssertFalse(files.isEmpty)
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                let module = String(line.dropFirst("import ".count))
                XCTAssertTrue(allowed.contains(module), "\(file) imports \(module)")
            }
        }
    }
}

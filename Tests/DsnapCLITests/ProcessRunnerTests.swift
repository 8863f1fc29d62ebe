import Foundation
import XCTest

/// The E2E process runner leaves nothing behind: each process it ran, its pipes and their
/// descriptors are freed once it was waited for. The whole suite runs in one process, and the
/// descriptor-limit test of DsnapHTTPTests runs after thousands of these.
final class ProcessRunnerTests: XCTestCase {
    func testEachProcessAndItsPipesAreFreedOnceWaitedFor() throws {
        weak var process: Process?
        try {
            let running = try E2E.start(["--version"], in: "/")
            process = running.process
            expect(running.wait(), exit: 0)
        }()
        // Foundation lets go of it on its own thread, a moment after the exit was reported.
        for _ in 0..<200 where process != nil { usleep(10_000) }
        XCTAssertNil(process, "the Process (and with it both pipes) outlived its run by 2 s")

        let before = E2E.openDescriptors()
        for _ in 0..<25 {
            expect(try E2E.run(["--version"], in: "/"), exit: 0)
            XCTAssertEqual(try E2E.tool("true", [], in: "/").status, 0)
        }
        let after = E2E.openDescriptors()
        XCTAssertEqual(after.count, before.count, "50 runs left descriptors open: \(before) -> \(after)")
    }
}

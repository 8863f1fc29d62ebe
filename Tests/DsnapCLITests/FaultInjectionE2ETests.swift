import Foundation
import XCTest

/// The small fault-injection suite (Tests/fault/fault_suite.py --small) against the built binary:
/// kill -9 during each mutating command, injected system call failures, a full disk and concurrent
/// commands, each followed by the checks that nothing was lost. `make torture` runs the long one.
final class FaultInjectionE2ETests: XCTestCase {
    private var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fault").appendingPathComponent("fault_suite.py").path
    }

    func testTheSmallFaultSuiteFindsNothingLost() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
            || (try? DsnapProcess.runTool("python3", ["--version"], in: "/"))?.status == 0 else {
            throw XCTSkip("python3 is not installed")
        }
        var arguments = [script, "--small", "--bin", DsnapProcess.binary]
        if let seed = ProcessInfo.processInfo.environment["DSNAP_FAULT_SEED"] { arguments += ["--seed", seed] }
        let run = try DsnapProcess.runTool("python3", arguments, in: "/")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let summary = try XCTUnwrap(lines.last { $0.range(of: #"^\d+ passed, \d+ failed"#, options: .regularExpression) != nil },
                                    "no closing line; stderr: \(run.stderr)")
        let seed = lines.first { $0.contains("seed") } ?? ""
        let failed = lines.filter { $0.hasPrefix("[") && $0.contains(": FAIL") }
        XCTAssertTrue(failed.isEmpty && run.status == 0,
                      "\(seed)\n\(summary)\n" + failed.joined(separator: "\n") + "\n" + run.stderr)
        XCTAssertTrue(summary.contains(" 0 failed"), summary)
    }
}

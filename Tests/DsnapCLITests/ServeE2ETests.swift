import Foundation
import XCTest

/// `dsnap serve` end to end: each case of Tests/serve/serve_suite.py (the reference's Python
/// example verbatim but for its settings, its curl use cases, conformance of every endpoint, bad
/// input, a CLI beside the server, a stop while a restore runs, the token, descriptors after a
/// thousand requests) against the built binary.
final class ServeE2ETests: XCTestCase {
    private func runCase(_ name: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("serve").appendingPathComponent("serve_suite.py").path
        let run = try DsnapProcess.runTool("python3", [script, "--bin", DsnapProcess.binary, "--case", name], in: "/")
        if run.status == 77 { throw XCTSkip(run.stdout) }
        XCTAssertEqual(run.status, 0, "serve_suite.py --case \(name):\n\(run.stdout)\n\(run.stderr)")
    }

    func testTheReferencePythonExampleRunsUnchanged() throws { try runCase("reference-example") }
    func testTheReferenceCurlUseCases() throws { try runCase("use-cases") }
    func testEveryEndpointConforms() throws { try runCase("conformance") }
    func testBadInputGetsA4xxAndTheServerKeepsServing() throws { try runCase("bad-input") }
    func testTheCLIAndTheServerSerialiseAndLoseNoUpdate() throws { try runCase("concurrency") }
    func testSIGTERMLetsARunningRestoreFinish() throws { try runCase("shutdown") }
    func testATokenIsRequiredOffLoopbackAndChecked() throws { try runCase("token") }
    func testAThousandRequestsOfEveryKindLeaveNoDescriptorOpen() throws { try runCase("descriptors") }
}

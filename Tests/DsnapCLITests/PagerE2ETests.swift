import Foundation
import XCTest

/// `log`, `show` and `diff` page on a terminal as git does: `$DSNAP_PAGER`, else `$PAGER`, else
/// `less` with `LESS=FRX`; never when stdout is not a terminal, with `--no-pager`, or when the
/// pager is empty or `cat`. The terminal is a pseudo-terminal from script(1); the pager is a small
/// script that records that it ran, its LESS, and what it was given.
final class PagerE2ETests: XCTestCase {
    private var folder = ""
    private var pager: String { folder + "/pager.sh" }

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "dsnap-pager-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
            #!/bin/sh
            printf 'ran LESS=%s\\n' "$LESS" >> '\(folder)/ran'
            cat > '\(folder)/input'

            """.write(toFile: pager, atomically: true, encoding: .utf8)
        chmod(pager, 0o755)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// What the recording pager noted each time it ran, or nil when it never ran.
    private var pagerRuns: String? { try? String(contentsOfFile: folder + "/ran", encoding: .utf8) }
    private var pagerInput: String { (try? String(contentsOfFile: folder + "/input", encoding: .utf8)) ?? "" }

    private func resetPager() {
        try? FileManager.default.removeItem(atPath: folder + "/ran")
        try? FileManager.default.removeItem(atPath: folder + "/input")
    }

    /// Runs `dsnap ARGS` with stdout and stderr on a pseudo-terminal; what the terminal showed is
    /// the run's stdout.
    private func runOnTerminal(_ arguments: [String], in directory: String, environment extra: [String: String])
        throws -> DsnapRun {
        let quoted = ([DsnapProcess.binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let run = try RunningDsnap(["-qec", quoted.joined(separator: " "), "/dev/null"], in: directory,
                                   environment: DsnapProcess.environment(extra: extra),
                                   executable: "/usr/bin/script").wait(killingAfter: 60)
        let finished = try XCTUnwrap(run, "dsnap on a terminal did not finish")
        // The terminal's line ends, and the colour of `error:` and `warning:` (stderr is the terminal too).
        let shown = finished.stdout.replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        return DsnapRun(arguments: arguments, status: finished.status, stdout: shown,
                        stderr: finished.stderr, killedBySignal: finished.killedBySignal)
    }

    func testLogShowAndDiffPageOnATerminal() throws {
        let (dataset, _) = try makeDataset()
        try dataset.write("{\"label\": \"new\"}", to: "extra.json")
        for arguments in [["log"], ["show", "current"], ["diff"]] {
            resetPager()
            let run = try runOnTerminal(arguments, in: dataset.path, environment: ["DSNAP_PAGER": pager])
            expect(run, exit: 0)
            XCTAssertEqual(pagerRuns, "ran LESS=FRX\n", "\(arguments): \(run.transcript)")
            let direct = try E2E.run(arguments, in: dataset.path)
            // The pager got the output, coloured: colour follows the terminal behind it.
            XCTAssertTrue(pagerInput.contains("\u{1B}["), "\(arguments): no colour in \(pagerInput.debugDescription)")
            let plain = pagerInput.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
            XCTAssertEqual(plain, direct.stdout, "\(arguments)")
            XCTAssertFalse(run.stdout.contains(direct.stdout.prefix(12)), "printed past the pager: \(run.transcript)")
        }
        // NO_COLOR holds when paging too.
        resetPager()
        expect(try runOnTerminal(["log"], in: dataset.path, environment: ["DSNAP_PAGER": pager, "NO_COLOR": "1"]),
               exit: 0)
        XCTAssertFalse(pagerInput.contains("\u{1B}["), pagerInput.debugDescription)
    }

    func testPipedOutputNeverPages() throws {
        let (dataset, _) = try makeDataset()
        for arguments in [["log"], ["show", "current"], ["diff"]] {
            let run = try RunningDsnap(arguments, in: dataset.path,
                                       environment: DsnapProcess.environment(extra: ["DSNAP_PAGER": pager,
                                                                                     "PAGER": pager])).wait()
            expect(run, exit: 0)
            XCTAssertFalse(run.stdout.isEmpty, run.transcript)
        }
        XCTAssertNil(pagerRuns, "a pager ran with stdout on a pipe")
    }

    func testNoPagerEmptyOrCatAndOtherCommandsDoNotPage() throws {
        let (dataset, _) = try makeDataset()
        let cases: [([String], [String: String])] = [
            (["--no-pager", "log"], ["DSNAP_PAGER": pager]),
            (["log", "--no-pager"], ["DSNAP_PAGER": pager]),
            (["diff", "--no-pager"], ["DSNAP_PAGER": pager]),
            (["log"], ["DSNAP_PAGER": "", "PAGER": pager]),
            (["log"], ["DSNAP_PAGER": "cat"]),
            (["log"], ["PAGER": ""]),
            (["status"], ["DSNAP_PAGER": pager]),
        ]
        for (arguments, environment) in cases {
            let run = expect(try runOnTerminal(arguments, in: dataset.path, environment: environment), exit: 0)
            XCTAssertNil(pagerRuns, "\(arguments) \(environment) ran the pager")
            XCTAssertFalse(run.stdout.isEmpty, "printed nothing: \(run.transcript)")
        }
        // An error before any output never opens a pager, and is the last thing on the screen.
        let missing = try runOnTerminal(["show", "nosuch"], in: dataset.path, environment: ["DSNAP_PAGER": pager])
        XCTAssertEqual(missing.status, 3)
        XCTAssertTrue(missing.stdout.contains("dsnap: error: snapshot 'nosuch' not found"), missing.transcript)
    }

    func testPagerComesFromDsnapPagerThenPagerAndKeepsLess() throws {
        let (dataset, _) = try makeDataset()
        expect(try runOnTerminal(["log"], in: dataset.path, environment: ["PAGER": pager]), exit: 0)
        XCTAssertEqual(pagerRuns, "ran LESS=FRX\n")
        resetPager()
        expect(try runOnTerminal(["log"], in: dataset.path, environment: ["PAGER": "false", "DSNAP_PAGER": pager,
                                                                          "LESS": "R"]), exit: 0)
        XCTAssertEqual(pagerRuns, "ran LESS=R\n", "LESS the user set is kept")
        // A command line with shell words runs through sh.
        resetPager()
        expect(try runOnTerminal(["log"], in: dataset.path,
                                 environment: ["DSNAP_PAGER": "LESS=sh '\(pager)'"]), exit: 0)
        XCTAssertEqual(pagerRuns, "ran LESS=sh\n")
    }

    func testAPagerThatCannotRunIsReportedAndTheOutputPrinted() throws {
        let (dataset, _) = try makeDataset()
        let run = expect(try runOnTerminal(["log"], in: dataset.path,
                                           environment: ["DSNAP_PAGER": "/nonexistent/pager"]), exit: 0)
        XCTAssertTrue(run.stdout.contains("dsnap: warning: cannot run the pager '/nonexistent/pager': No such file"),
                      run.transcript)
        XCTAssertTrue(run.stdout.contains("creation"), run.transcript)
    }

    func testQuittingThePagerEarlyEndsQuietlyWithExit0() throws {
        let (dataset, _) = try makeDataset()
        // Far more than a pipe holds (64 KiB), so dsnap is still writing when the pager quits.
        let many = dataset.path + "/many"
        try FileManager.default.createDirectory(atPath: many, withIntermediateDirectories: true)
        for index in 0..<2_500 {
            try Data("\(index)\n".utf8).write(to: URL(fileURLWithPath: many + "/file-with-a-long-name-\(index).txt"))
        }
        expect(try E2E.run(["commit", "-q", "-m", "many"], in: dataset.path), exit: 0)
        for pagerCommand in ["head -c 10", "true"] {
            let run = try runOnTerminal(["show", "--files", "current"], in: dataset.path,
                                        environment: ["DSNAP_PAGER": pagerCommand])
            expect(run, exit: 0)
            XCTAssertFalse(run.stdout.contains("dsnap:"), "\(pagerCommand): \(run.transcript)")
            XCTAssertFalse(run.stdout.contains("file-with-a-long-name-2499"), "\(pagerCommand): \(run.transcript)")
        }
    }
}

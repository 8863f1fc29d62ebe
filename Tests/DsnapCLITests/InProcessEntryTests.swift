@testable import DsnapCLI
import Foundation
import XCTest

/// Commands run through the in-process entry point, `DsnapCLI.run(arguments:environment:console:
/// workingDirectory:)`, with buffers for stdout and stderr: the same wiring as the binary, but a
/// failing case can be stepped through in a debugger, without a subprocess.
final class InProcessEntryTests: XCTestCase {
    /// Text written to one stream; the console may write from another thread (progress).
    private final class Stream: @unchecked Sendable {
        private let lock = NSLock()
        private var buffer = ""
        func append(_ text: String) { lock.withLock { buffer += text } }
        func take() -> String { lock.withLock { defer { buffer = "" }; return buffer } }
    }

    /// Runs `dsnap ARGS` in process in `folder`, returning its exit status and what it wrote.
    private func runner(in folder: String) -> ([String]) -> (status: Int32, stdout: String, stderr: String) {
        let environment = DsnapProcess.environment()
        let out = Stream()
        let err = Stream()
        let console = Console(writeOut: out.append, writeErr: err.append, stdoutIsTerminal: false,
                              stderrIsTerminal: false, environment: environment)
        return { arguments in
            let status = DsnapCLI.run(arguments: arguments, environment: environment, console: console,
                                      workingDirectory: folder)
            return (status, out.take(), err.take())
        }
    }

    func testCommandsRunInProcess() throws {
        let dataset = try TemporaryDataset(fixture: "basic")
        let run = runner(in: dataset.path)

        let initialized = run(["init", "-q"])
        XCTAssertEqual(initialized.status, 0, initialized.stderr)
        try dataset.write("{\"label\": \"dog\"}", to: "images/new.json")
        let committed = run(["commit", "-m", "labelled", "--json"])
        XCTAssertEqual(committed.status, 0, committed.stderr)
        let snapshot = try XCTUnwrap((try parseJSON(committed.stdout) as? [String: Any])?["snapshot"] as? [String: Any])
        XCTAssertEqual(snapshot["snapshot_name"] as? String, "labelled")

        let log = run(["log"])
        XCTAssertEqual(log.status, 0, log.stderr)
        XCTAssertEqual(log.stdout.split(separator: "\n").count, 2, log.stdout)
        XCTAssertTrue(log.stdout.split(separator: "\n")[0].hasSuffix("labelled  (current)"), log.stdout)
        XCTAssertEqual(log.stderr, "")

        let creation = String(log.stdout.split(separator: "\n")[1].prefix(12))
        let diff = run(["diff", "--name-status", creation, "labelled"])
        XCTAssertEqual(diff.status, 0, diff.stderr)
        XCTAssertEqual(diff.stdout.split(separator: "\n").map { $0.split(separator: "\t").last }, ["images/new.json"],
                       diff.stdout)
        let show = run(["show", "labelled", "--no-pager"])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains("labelled"), show.stdout)

        // Mistakes, with the words a user sees.
        XCTAssertEqual(run(["comit"]).stderr, """
            dsnap: error: unknown command 'comit'
            hint: the most similar command is 'commit'
            hint: see 'dsnap help'

            """)
        let count = run(["log", "-n", "x"])
        XCTAssertEqual(count.status, 2)
        XCTAssertTrue(count.stderr.hasPrefix("dsnap: error: option '-n' takes a whole number of at least 0, not 'x'\n"),
                      count.stderr)
        let short = run(["show", "20b"])
        XCTAssertEqual(short.status, 3)
        XCTAssertEqual(short.stderr, """
            dsnap: error: snapshot '20b' not found: an id prefix needs at least 4 hex digits
            hint: run 'dsnap log' to list snapshots

            """)
        let bare = run([])
        XCTAssertEqual(bare.status, 2)
        XCTAssertTrue(bare.stderr.hasPrefix("usage: dsnap "), bare.stderr)
        XCTAssertEqual(bare.stdout, "")
    }

    /// Commands run in process close every file, folder, lock and repository they open, as
    /// `dsnap serve`, which runs them for every request for days, needs: after a first round
    /// (which may set up what lives as long as the process), more rounds open nothing for good.
    func testCommandsRunInProcessLeaveNothingOpen() throws {
        let dataset = try TemporaryDataset(fixture: "basic")
        let run = runner(in: dataset.path)
        let initialized = try XCTUnwrap(try parseJSON(run(["init", "--json"]).stdout) as? [String: Any])
        let creation = try XCTUnwrap((initialized["snapshot"] as? [String: Any])?["snapshot_id"] as? String)
        var before: [String] = []
        for round in 0..<6 {
            if round == 1 { before = E2E.openDescriptors() }
            try dataset.write("{\"round\": \(round)}", to: "images/round.json")
            // Failures too: a refusal must close what it opened on the way.
            let commands: [([String], Int32)] = [
                (["status"], 0), (["restore", creation], 4), (["commit", "-m", "round \(round)"], 0), (["log"], 0),
                (["show", "current"], 0), (["show", "no-such-snapshot"], 3), (["diff", creation, "current"], 0),
                (["update", "current", "--description", "seen"], 0), (["restore", "--discard", creation], 0),
                (["restore", "--discard", "round \(round)"], 0), (["clone", "-q", "current", "../clone-\(round)"], 0),
                (["clone", "-q", "current", "../clone-\(round)"], 4), (["verify", "-q"], 0), (["tasks"], 0),
                (["gc", "-q", "--dry-run"], 0),
            ]
            for (arguments, status) in commands {
                let result = run(arguments)
                XCTAssertEqual(result.status, status, "dsnap \(arguments.joined(separator: " ")): \(result.stderr)")
            }
        }
        let after = E2E.openDescriptors()
        XCTAssertEqual(after.count, before.count, "five rounds of commands left descriptors open: \(before) -> \(after)")
    }
}

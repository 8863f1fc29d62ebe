import Foundation
import XCTest

/// One finished run of the `dsnap` binary, with how it ended: a Swift trap ends a process with
/// SIGILL or SIGTRAP (4 or 5), which `terminationStatus` alone cannot tell from exit status 4 or 5.
struct DsnapRun {
    let arguments: [String]
    let status: Int32
    let stdout: String
    let stderr: String
    /// True when the process died of a signal instead of exiting.
    let killedBySignal: Bool

    /// The whole run, for assertion messages.
    var transcript: String {
        "dsnap \(arguments.map { "'\($0)'" }.joined(separator: " "))\n"
            + "  \(killedBySignal ? "signal" : "exit") \(status)\n  stdout: \(stdout.debugDescription)\n"
            + "  stderr: \(stderr.debugDescription)"
    }
}

/// A `dsnap` process started but not yet waited for, so tests can run several at once.
///
/// It is waited for through `terminationHandler`, not `waitUntilExit()`: on Linux the latter polls
/// the run loop in 50 ms steps, which costs about 45 ms per process, and the suite runs hundreds.
/// `waitUntilExit()` is still called once the handler has run (it returns at once then): until
/// it is, swift-corelibs-foundation keeps the `Process` alive for the run loop source that would
/// have reported the exit, and with it both pipes: every run left the pipes' read ends open in
/// the test process (thousands by the time the HTTP tests ran) until they were closed by hand.
final class RunningDsnap {
    let arguments: [String]
    let process: Process
    private let out = Pipe()
    private let err = Pipe()
    private let exited = DispatchSemaphore(value: 0)

    init(_ arguments: [String], in directory: String, environment: [String: String],
         executable: String = DsnapProcess.binary) throws {
        self.arguments = arguments
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
    }

    /// Waits at most `seconds` for the exit; kills the process and returns nil when it is still
    /// running then (a hang).
    func wait(killingAfter seconds: Double) -> DsnapRun? {
        if exited.wait(timeout: .now() + seconds) == .timedOut {
            process.interrupt()
            kill(process.processIdentifier, SIGKILL)
            _ = wait()
            return nil
        }
        exited.signal()
        return wait()
    }

    /// Reads both streams to the end, then waits for the exit.
    func wait() -> DsnapRun {
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        // Closed now, not whenever the pipes are freed: the suite runs hundreds.
        try? out.fileHandleForReading.close()
        try? err.fileHandleForReading.close()
        exited.wait()
        process.waitUntilExit()
        return DsnapRun(arguments: arguments, status: process.terminationStatus,
                        stdout: String(decoding: outData, as: UTF8.self),
                        stderr: String(decoding: errData, as: UTF8.self),
                        killedBySignal: process.terminationReason == .uncaughtSignal)
    }
}

/// Running dsnap and git for the end-to-end tests, in the fixed environment of `DsnapProcess`.
enum E2E {
    /// Texts that only a crash prints: a Swift trap, a runtime backtrace.
    static let crashMarkers = ["Fatal error", "fatal error:", "Stack dump", "backtrace", "Backtrace",
                               "Current stack trace", "💣", "Illegal instruction", "Segmentation fault",
                               "Assertion failed", "Precondition failed"]

    static func start(_ arguments: [String], in directory: String, now: String = "2026-03-01T10:00:00Z")
        throws -> RunningDsnap {
        try RunningDsnap(arguments, in: directory, environment: DsnapProcess.environment(now: now))
    }

    /// Runs `dsnap ARGS` in `directory` and waits for it.
    static func run(_ arguments: [String], in directory: String, now: String = "2026-03-01T10:00:00Z")
        throws -> DsnapRun {
        try start(arguments, in: directory, now: now).wait()
    }

    /// Runs `git --git-dir=ROOT/.dsnap ARGS` in ROOT, with the dataset as work tree when asked, in
    /// the environment `DsnapProcess.runTool` gives tools (no system or user git config).
    static func git(_ arguments: [String], dataset root: String, workTree: Bool = false) throws -> ProcessResult {
        var full = ["--git-dir=\(root)/.dsnap"]
        if workTree { full.append("--work-tree=\(root)") }
        return try tool("git", full + arguments, in: root)
    }

    /// Runs a tool found on PATH (git, sh), like `DsnapProcess.runTool` but without its 50 ms wait.
    static func tool(_ name: String, _ arguments: [String], in directory: String) throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = DsnapProcess.home
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        let run = try RunningDsnap([name] + arguments, in: directory, environment: environment,
                                   executable: "/usr/bin/env").wait()
        return ProcessResult(status: run.status, stdout: run.stdout, stderr: run.stderr)
    }

    /// Starts `python3 Tests/remotes/SCRIPT ARGUMENTS` (a server on loopback that writes its port
    /// to `portFile` once it listens) and waits up to 5 s for it: the process and its port (nil
    /// when it never listened; the caller stops the process).
    static func loopbackServer(_ script: String, _ arguments: [String], portFile: String,
                               file: StaticString = #filePath) throws -> (Process, String?) {
        let path = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("remotes/" + script).path
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", path] + arguments
        try server.run()
        var port: String?
        for _ in 0..<100 where port == nil {
            port = try? String(contentsOfFile: portFile, encoding: .utf8)
            if port == nil { usleep(50_000) }
        }
        return (server, port)
    }

    /// What this test process holds open, one entry per descriptor: what it points at
    /// (`pipe:[123]`, `socket:[456]`, a path). Tests that check nothing stays open compare two.
    static func openDescriptors() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }
            .sorted()
    }

    /// The ids of the live snapshot refs, sorted.
    static func snapshotRefs(_ root: String) throws -> [String] {
        let result = try git(["for-each-ref", "--format=%(refname)", "refs/dsnap/"], dataset: root)
        return result.stdout.split(separator: "\n").map(String.init).sorted()
    }
}

/// JSON as text, read in order: Foundation's dictionaries forget the order of keys and turn
/// `true` into a number, so the order and kinds of values are checked on the raw output.
enum RawJSON {
    enum Kind: String { case string, number, bool, null, object, array }

    /// The keys (in order) and value kinds of every object that opens at `depth` (1: the top-level
    /// object; 2: each object in a top-level array).
    static func objects(in text: String, depth target: Int) -> [[(key: String, kind: Kind)]] {
        let chars = Array(text.unicodeScalars)
        var result: [[(key: String, kind: Kind)]] = []
        var depth = 0
        var index = 0
        while index < chars.count {
            let char = chars[index]
            switch char {
            case "{", "[":
                depth += 1
                if char == "{" && depth == target { result.append([]) }
                index += 1
            case "}", "]":
                depth -= 1
                index += 1
            case "\"":
                var end = index + 1
                var string = ""
                while end < chars.count && chars[end] != "\"" {
                    if chars[end] == "\\" { end += 1 }
                    if end < chars.count { string.unicodeScalars.append(chars[end]) }
                    end += 1
                }
                index = end + 1
                var next = index
                while next < chars.count && (chars[next] == " " || chars[next] == "\n" || chars[next] == "\t"
                    || chars[next] == "\r") { next += 1 }
                if next < chars.count && chars[next] == ":" && depth == target && !result.isEmpty {
                    next += 1
                    while next < chars.count && (chars[next] == " " || chars[next] == "\n") { next += 1 }
                    let kind: Kind
                    switch next < chars.count ? chars[next] : " " {
                    case "\"": kind = .string
                    case "t", "f": kind = .bool
                    case "n": kind = .null
                    case "{": kind = .object
                    case "[": kind = .array
                    default: kind = .number
                    }
                    result[result.count - 1].append((string, kind))
                }
            default:
                index += 1
            }
        }
        return result
    }
}

/// The API's 13 snapshot fields, in the API's order, with their JSON kinds.
let apiSnapshotFields: [(key: String, kind: RawJSON.Kind)] = [
    ("snapshot_id", .string), ("snapshot_name", .string), ("source_dataset_name", .string),
    ("created_at", .string), ("created_by", .string), ("n_images", .number), ("n_videos", .number),
    ("description", .string), ("reason", .string), ("training_model_id", .string),
    ("training_model_name", .string), ("is_current", .bool), ("is_restoring", .bool),
]

extension XCTestCase {
    /// Asserts a run exited (not crashed) with `status`, and never printed a crash on stderr.
    @discardableResult
    func expect(_ run: DsnapRun, exit status: Int32, file: StaticString = #filePath, line: UInt = #line)
        -> DsnapRun {
        XCTAssertFalse(run.killedBySignal, "died of a signal\n\(run.transcript)", file: file, line: line)
        XCTAssertEqual(run.status, status, "wrong exit status\n\(run.transcript)", file: file, line: line)
        for marker in E2E.crashMarkers {
            XCTAssertFalse(run.stderr.contains(marker), "stderr shows a crash ('\(marker)')\n\(run.transcript)",
                           file: file, line: line)
        }
        return run
    }

    /// Asserts a failure as users see it: exit `status`, nothing on stdout, `dsnap: error: ...` first
    /// on stderr, no crash; `hint` (when true) also wants a `hint: ` line.
    @discardableResult
    func expectError(_ run: DsnapRun, exit status: Int32, hint: Bool = false, mentioning words: [String] = [],
                     file: StaticString = #filePath, line: UInt = #line) -> DsnapRun {
        expect(run, exit: status, file: file, line: line)
        XCTAssertEqual(run.stdout, "", "an error printed data\n\(run.transcript)", file: file, line: line)
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertTrue(lines.contains { $0.hasPrefix("dsnap: error: ") },
                      "no 'dsnap: error: ' line\n\(run.transcript)", file: file, line: line)
        if hint {
            XCTAssertTrue(lines.contains { $0.hasPrefix("hint: ") }, "no 'hint: ' line\n\(run.transcript)",
                          file: file, line: line)
        }
        for word in words {
            XCTAssertTrue(run.stderr.contains(word), "stderr does not mention '\(word)'\n\(run.transcript)",
                          file: file, line: line)
        }
        return run
    }

    /// Asserts success with nothing on stderr, and parses stdout as one JSON object.
    @discardableResult
    func jsonObject(_ run: DsnapRun, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        expect(run, exit: 0, file: file, line: line)
        XCTAssertEqual(run.stderr, "", "a successful --json run wrote to stderr\n\(run.transcript)",
                       file: file, line: line)
        guard let object = try parseJSON(run.stdout) as? [String: Any] else {
            XCTFail("stdout is not a JSON object\n\(run.transcript)", file: file, line: line)
            throw E2EFailure.notJSON
        }
        return object
    }

    /// Asserts success with nothing on stderr, and parses stdout as a JSON array of objects.
    func jsonArray(_ run: DsnapRun, file: StaticString = #filePath, line: UInt = #line) throws -> [[String: Any]] {
        expect(run, exit: 0, file: file, line: line)
        XCTAssertEqual(run.stderr, "", "a successful --json run wrote to stderr\n\(run.transcript)",
                       file: file, line: line)
        guard let array = try parseJSON(run.stdout) as? [[String: Any]] else {
            XCTFail("stdout is not a JSON array of objects\n\(run.transcript)", file: file, line: line)
            throw E2EFailure.notJSON
        }
        return array
    }

    /// Makes a temporary copy of fixtures/basic a dataset and returns it with its creation snapshot.
    func makeDataset(now: String = "2026-03-01T10:00:00Z", file: StaticString = #filePath, line: UInt = #line)
        throws -> (TemporaryDataset, [String: Any]) {
        let dataset = try TemporaryDataset(fixture: "basic")
        let creation = try snapshotObject(E2E.run(["init", "--json"], in: dataset.path, now: now), file: file, line: line)
        return (dataset, creation)
    }

    /// The `snapshot` member of a successful `--json` run: every command that reports a snapshot
    /// prints it there.
    @discardableResult
    func snapshotObject(_ run: DsnapRun, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try jsonObject(run, file: file, line: line)
        guard let snapshot = object["snapshot"] as? [String: Any] else {
            XCTFail("no 'snapshot' object\n\(run.transcript)", file: file, line: line)
            throw E2EFailure.notJSON
        }
        return snapshot
    }

    /// `dsnap commit --json ARGS` in `root`, asserting success; returns the new snapshot's object.
    @discardableResult
    func commit(_ arguments: [String] = [], in root: String, now: String = "2026-03-01T10:00:00Z",
                file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        try snapshotObject(E2E.run(["commit", "--json"] + arguments, in: root, now: now), file: file, line: line)
    }

    /// `dsnap show SNAP --json`, asserting success.
    func show(_ reference: String, in root: String, file: StaticString = #filePath, line: UInt = #line)
        throws -> [String: Any] {
        try snapshotObject(E2E.run(["show", reference, "--json"], in: root), file: file, line: line)
    }

    /// `dsnap log --json ARGS`, asserting success.
    func log(_ arguments: [String] = [], in root: String, file: StaticString = #filePath, line: UInt = #line)
        throws -> [[String: Any]] {
        try jsonArray(E2E.run(["log", "--json"] + arguments, in: root), file: file, line: line)
    }
}

enum E2EFailure: Error { case notJSON, setup(String) }

extension XCTestCase {
    /// The `snapshot_id` of a snapshot object, failing the test when it has none.
    func idOf(_ object: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try XCTUnwrap(object["snapshot_id"] as? String, "no snapshot_id in \(object)", file: file, line: line)
    }
}

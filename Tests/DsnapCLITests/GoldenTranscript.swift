import Foundation
import XCTest

/// Runs the built `dsnap` binary in a sandbox folder and records each run as text: the folder it
/// ran in, the command line, the exit status, stdout and stderr together, as a golden file holds
/// them (Tests/golden/*.txt).
///
/// Everything that could vary is fixed rather than masked: the clock (`DSNAP_NOW`, one instant per
/// step, so snapshot ids repeat), the author (`GIT_AUTHOR_*`), `TZ=UTC`, an empty HOME, no colour
/// (stdout is a pipe). Two things cannot be fixed and are masked: the sandbox's own path, which is
/// a fresh temporary folder per run (shown as `$SANDBOX`), and process ids (`tasks --json` records
/// the pid of each operation; `masksProcessIDs` replaces them).
final class GoldenTranscript {
    let sandbox: String
    private(set) var text: String
    /// The clock of the next step: each step one second after the previous one.
    private var clock = 0
    var masksProcessIDs = false

    init(title: String) throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).resolvingSymlinksInPath().path
        sandbox = base + "/dsnap-golden-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: sandbox, withIntermediateDirectories: true)
        text = "# \(title)\n# Written by GoldenTests; `make golden` rewrites every file. Review changes in the diff.\n"
    }

    deinit {
        try? FileManager.default.removeItem(atPath: sandbox)
    }

    /// `2026-03-01T10:00:00Z` for the first step, one second later for each next one.
    private func nextNow() -> String {
        defer { clock += 1 }
        return String(format: "2026-03-01T10:%02d:%02dZ", clock / 60, clock % 60)
    }

    /// Copies `fixtures/NAME` into the sandbox as `DEST` (default: NAME).
    func copyFixture(_ name: String = "basic", as destination: String? = nil, file: StaticString = #filePath) throws {
        let root = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        try FileManager.default.copyItem(atPath: root.appendingPathComponent("fixtures/\(name)").path,
                                         toPath: sandbox + "/" + (destination ?? name))
    }

    /// Runs `dsnap ARGS` in `folder` (relative to the sandbox) and records the run.
    func run(_ arguments: [String], in folder: String = "basic") throws {
        let result = try execute(arguments, in: folder)
        text += "\n$ " + (folder.isEmpty ? "" : "cd \(quote(folder)) && ") + "dsnap "
            + arguments.map(quote).joined(separator: " ") + "\n"
        text += "-- exit \(result.status)\(result.killedBySignal ? " (signal)" : "")\n"
        text += section("stdout", result.stdout)
        text += section("stderr", result.stderr)
    }

    /// Runs `dsnap ARGS` as a step of the setting (not recorded, beyond a comment); fails the test
    /// when it fails.
    func setUp(_ arguments: [String], in folder: String = "basic", file: StaticString = #filePath,
               line: UInt = #line) throws {
        let result = try execute(arguments, in: folder)
        XCTAssertEqual(result.status, 0, result.transcript, file: file, line: line)
        note("dsnap " + arguments.map(quote).joined(separator: " ") + (folder == "basic" ? "" : " (in \(folder))"))
    }

    /// A line saying what the setting did between recorded runs.
    func note(_ what: String) {
        text += "\n# " + what + "\n"
    }

    /// Writes `content` to `path` (relative to the sandbox), creating folders, and notes it.
    func write(_ content: String, to path: String) throws {
        let url = URL(fileURLWithPath: sandbox + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try content.write(to: url, atomically: false, encoding: .utf8)
        note("write \(quote(content.trimmingCharacters(in: .newlines))) to \(path)")
    }

    /// Replaces `old` with `new` in the file at `path` (relative to the sandbox), and notes it.
    func edit(_ path: String, replacing old: String, with new: String, file: StaticString = #filePath,
              line: UInt = #line) throws {
        let full = sandbox + "/" + path
        let content = try String(contentsOfFile: full, encoding: .utf8)
        XCTAssertTrue(content.contains(old), "'\(old)' is not in \(path)", file: file, line: line)
        try content.replacingOccurrences(of: old, with: new).write(toFile: full, atomically: false, encoding: .utf8)
        note("edit \(path): \(old) -> \(new)")
    }

    /// Renames `path` to `destination` (both relative to the sandbox) and notes it.
    func move(_ path: String, to destination: String) throws {
        try FileManager.default.moveItem(atPath: sandbox + "/" + path, toPath: sandbox + "/" + destination)
        note("mv \(path) \(destination)")
    }

    /// Removes `path` (relative to the sandbox) and notes it.
    func remove(_ path: String) throws {
        try FileManager.default.removeItem(atPath: sandbox + "/" + path)
        note("rm \(path)")
    }

    private func execute(_ arguments: [String], in folder: String) throws -> DsnapRun {
        let directory = folder.isEmpty ? sandbox : sandbox + "/" + folder
        return try RunningDsnap(arguments, in: directory, environment: DsnapProcess.environment(now: nextNow())).wait()
    }

    private func section(_ name: String, _ output: String) -> String {
        guard !output.isEmpty else { return "-- \(name): (empty)\n" }
        var body = mask(output)
        var header = "-- \(name):\n"
        if !body.hasSuffix("\n") {
            body += "\n"
            header = "-- \(name) (no newline at the end):\n"
        }
        return header + body
    }

    private func mask(_ output: String) -> String {
        var output = output.replacingOccurrences(of: sandbox, with: "$SANDBOX")
        // A dataset's id is a random UUID, made when it is.
        output = output.replacingOccurrences(of: #"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"#,
                                             with: "$DATASET_ID", options: .regularExpression)
        if masksProcessIDs {
            output = output.replacingOccurrences(of: #""pid": [0-9]+"#, with: #""pid": \$PID"#,
                                                 options: .regularExpression)
            output = output.replacingOccurrences(of: #"([0-9]{20})-[0-9]+-"#, with: #"$1-\$PID-"#,
                                                 options: .regularExpression)
        }
        return output
    }

    /// Shell quoting, so the command line can be pasted.
    private func quote(_ word: String) -> String {
        let plain = word.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "-_./:=@%+,".unicodeScalars.contains(scalar))
        }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

/// Compares a transcript with its golden file, or rewrites the file when `DSNAP_GOLDEN_UPDATE=1`
/// (`make golden`).
enum Golden {
    static let folder: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("golden")

    static var updating: Bool { ProcessInfo.processInfo.environment["DSNAP_GOLDEN_UPDATE"] == "1" }

    static func check(_ transcript: GoldenTranscript, name: String, file: StaticString = #filePath,
                      line: UInt = #line) throws {
        let url = folder.appendingPathComponent(name + ".txt")
        if updating {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try transcript.text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            XCTFail("no golden file Tests/golden/\(name).txt: run 'make golden' and review it", file: file, line: line)
            return
        }
        guard expected != transcript.text else { return }
        XCTFail("output differs from Tests/golden/\(name).txt (run 'make golden' to accept it, then review "
            + "the diff):\n" + diff(expected, transcript.text, name: name), file: file, line: line)
    }

    /// `diff -u` of the golden file and the output.
    private static func diff(_ expected: String, _ actual: String, name: String) -> String {
        let directory = NSTemporaryDirectory() + "dsnap-golden-diff-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try expected.write(toFile: directory + "/expected", atomically: false, encoding: .utf8)
            try actual.write(toFile: directory + "/actual", atomically: false, encoding: .utf8)
            let result = try E2E.tool("diff", ["-u", "--label", "golden/\(name).txt", "--label", "output",
                                               "expected", "actual"], in: directory)
            return result.stdout
        } catch {
            return "(no diff: \(error))\n--- golden\n\(expected)\n--- output\n\(actual)"
        }
    }
}

import Foundation
import XCTest

/// How the binary fails and helps: exit statuses, `dsnap: error:` and `hint:` on stderr, nothing
/// on stdout, never a crash; `-h`, `--version`, `-C` and discovery from a subfolder.
final class ErrorsE2ETests: XCTestCase {
    /// Commands that work without a dataset.
    static let datasetFree: Set<String> = ["init", "help", "completion"]

    /// The commands `dsnap help` lists, so new commands are covered as they arrive.
    private func listedCommands(file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let empty = try TemporaryDataset(emptyNamed: "nowhere")
        let help = expect(try E2E.run(["help"], in: empty.path), exit: 0, file: file, line: line)
        var commands: [String] = []
        var inCommands = false
        for row in help.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if row == "Commands:" { inCommands = true; continue }
            guard inCommands else { continue }
            guard row.hasPrefix("  "), let name = row.split(separator: " ").first else { break }
            commands.append(String(name))
        }
        for known in ["init", "commit", "log", "show", "update", "delete", "undelete", "status", "help"] {
            XCTAssertTrue(commands.contains(known), "'dsnap help' does not list '\(known)'\n\(help.stdout)",
                          file: file, line: line)
        }
        return commands
    }

    /// What to run for each command outside a dataset so that only the place is wrong: real
    /// options for the commands the issue names; for any other, its required operands from its
    /// `-h` usage line, each a valid SNAP (`current`).
    static let outsideArguments: [String: [String]] = [
        "commit": ["commit", "-m", "x"], "log": ["log", "--json"], "show": ["show", "current"],
        "update": ["update", "current", "-d", "x"], "delete": ["delete", "abcd"], "undelete": ["undelete", "abcd"],
        "status": ["status"], "restore": ["restore", "current"], "clone": ["clone", "current"], "tasks": ["tasks"],
    ]

    private func minimalArguments(for command: String, in directory: String) throws -> [String] {
        if let known = Self.outsideArguments[command] { return known }
        let help = expect(try E2E.run([command, "-h"], in: directory), exit: 0)
        guard let usage = help.stdout.split(separator: "\n").first else { return [command] }
        // Optional parts go, innermost first: `[--prune-deleted[=AGE]]` nests.
        var required = String(usage)
        while let range = required.range(of: "\\[[^\\[\\]]*\\]", options: .regularExpression) {
            required.replaceSubrange(range, with: " ")
        }
        let operands = required.split(separator: " ").dropFirst(3)  // "usage:", "dsnap", COMMAND
        return [command] + operands.map { $0 == "--" ? "--" : "current" }
    }

    // MARK: outside a dataset

    func testOutsideADatasetEveryCommandButInitAndHelpExits3() throws {
        let empty = try TemporaryDataset(emptyNamed: "not-a-dataset")
        var checked: [String] = []
        for command in try listedCommands() where !Self.datasetFree.contains(command) {
            let arguments = try minimalArguments(for: command, in: empty.path)
            let run = expectError(try E2E.run(arguments, in: empty.path), exit: 3, hint: true,
                                  mentioning: ["not a dataset"])
            XCTAssertTrue(run.stderr.hasPrefix("dsnap: error: "), run.transcript)
            checked.append(command)
        }
        XCTAssertTrue(Set(["commit", "log", "show", "update", "delete", "undelete", "status"]).isSubset(of: checked))
        // Other options change nothing.
        for arguments in [["log", "-n", "1"], ["status", "--json"], ["show", "--json", "abcd"], ["commit", "--json"]] {
            expectError(try E2E.run(arguments, in: empty.path), exit: 3, hint: true)
        }
        // Nothing was created there.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: empty.path), [])
    }

    func testInitAndHelpWorkOutsideADataset() throws {
        let empty = try TemporaryDataset(emptyNamed: "fresh")
        let help = expect(try E2E.run(["help"], in: empty.path), exit: 0)
        XCTAssertTrue(help.stdout.hasPrefix("usage: dsnap"), help.transcript)
        XCTAssertEqual(help.stderr, "")
        let helpShow = expect(try E2E.run(["help", "show"], in: empty.path), exit: 0)
        XCTAssertTrue(helpShow.stdout.hasPrefix("usage: dsnap show"), helpShow.transcript)

        // init in an empty folder, and in a folder it creates.
        let created = try snapshotObject(try E2E.run(["init", "--json"], in: empty.path))
        XCTAssertEqual(created["n_images"] as? Int, 0)
        XCTAssertEqual(created["n_videos"] as? Int, 0)
        XCTAssertEqual(created["source_dataset_name"] as? String, "fresh")
        let nested = try snapshotObject(try E2E.run(["init", "--json", "--name", "My Set", "sub/new"], in: empty.path))
        XCTAssertEqual(nested["source_dataset_name"] as? String, "My Set")
        XCTAssertEqual(nested["snapshot_name"] as? String,
                       "My Set_snapshot_" + (nested["snapshot_id"] as? String ?? "").prefix(8))
        XCTAssertTrue(FileManager.default.fileExists(atPath: empty.path + "/sub/new/.dsnap/HEAD"))
    }

    // MARK: usage errors

    func testUnknownCommandExits2WithUsageHint() throws {
        let (dataset, _) = try makeDataset()
        let empty = try TemporaryDataset(emptyNamed: "elsewhere")
        for directory in [dataset.path, empty.path] {
            let run = expectError(try E2E.run(["frobnicate"], in: directory), exit: 2, hint: true,
                                  mentioning: ["frobnicate"])
            XCTAssertTrue(run.stderr.contains("hint: see 'dsnap help'"), run.transcript)
            expectError(try E2E.run(["Log"], in: directory), exit: 2, hint: true)
            expectError(try E2E.run(["help", "frobnicate"], in: directory), exit: 2, hint: true)
        }
    }

    func testUnknownOptionExits2WithUsageHint() throws {
        let (dataset, _) = try makeDataset()
        let empty = try TemporaryDataset(emptyNamed: "elsewhere")
        let before = try E2E.run(["log", "--json"], in: dataset.path).stdout
        for directory in [dataset.path, empty.path] {
            let log = expectError(try E2E.run(["log", "--bogus"], in: directory), exit: 2, hint: true,
                                  mentioning: ["--bogus"])
            XCTAssertTrue(log.stderr.contains("hint: see 'dsnap help log'"), log.transcript)
            expectError(try E2E.run(["commit", "-Z"], in: directory), exit: 2, hint: true, mentioning: ["-Z"])
            expectError(try E2E.run(["commit", "--name"], in: directory), exit: 2, hint: true)
            expectError(try E2E.run(["--bogus", "log"], in: directory), exit: 2, hint: true, mentioning: ["--bogus"])
            expectError(try E2E.run(["log", "--json=yes"], in: directory), exit: 2, hint: true)
            expectError(try E2E.run(["log", "-n", "many"], in: directory), exit: 2, hint: true)
            expectError(try E2E.run(["log", "-n", "-1"], in: directory), exit: 2, hint: true)
            expectError(try E2E.run(["log", "-n"], in: directory), exit: 2, hint: true)
            expectError(try E2E.run(["status", "--name", "x"], in: directory), exit: 2, hint: true)
        }
        XCTAssertEqual(try E2E.run(["log", "--json"], in: dataset.path).stdout, before, "a usage error wrote")
    }

    func testMissingOrExtraOperandExits2() throws {
        let (dataset, _) = try makeDataset()
        for command in ["show", "update", "delete", "undelete"] {
            expectError(try E2E.run([command], in: dataset.path), exit: 2, hint: true, mentioning: ["SNAP"])
        }
        expectError(try E2E.run(["update", "-d", "x"], in: dataset.path), exit: 2, hint: true)
        expectError(try E2E.run(["show", "current", "extra"], in: dataset.path), exit: 2, hint: true,
                    mentioning: ["extra"])
        expectError(try E2E.run(["log", "stray"], in: dataset.path), exit: 2, hint: true)
        expectError(try E2E.run(["commit", "stray"], in: dataset.path), exit: 2, hint: true)
        // No command at all: the short usage (HelpfulMistakesE2ETests checks its text).
        let none = expect(try E2E.run([], in: dataset.path), exit: 2)
        XCTAssertEqual(none.stdout, "")
        XCTAssertTrue(none.stderr.hasPrefix("usage: dsnap"), none.transcript)
        expectError(try E2E.run(["-C"], in: dataset.path), exit: 2, hint: true)
    }

    // MARK: help and version

    func testHelpOptionOnEveryCommandExits0AndPrintsUsage() throws {
        let (dataset, _) = try makeDataset()
        let empty = try TemporaryDataset(emptyNamed: "elsewhere")
        let commands = try listedCommands()
        for command in commands {
            for (directory, flag) in [(dataset.path, "-h"), (empty.path, "-h"), (dataset.path, "--help")] {
                let run = expect(try E2E.run([command, flag], in: directory), exit: 0)
                XCTAssertTrue(run.stdout.hasPrefix("usage: dsnap \(command)"), run.transcript)
                XCTAssertEqual(run.stderr, "", run.transcript)
            }
            // `dsnap help COMMAND` prints the same text as `dsnap COMMAND -h`.
            let viaHelp = expect(try E2E.run(["help", command], in: dataset.path), exit: 0)
            XCTAssertEqual(viaHelp.stdout, try E2E.run([command, "-h"], in: dataset.path).stdout)
        }
        // -h wins over a missing operand and over other options.
        for arguments in [["show", "-h"], ["update", "--json", "-h"], ["delete", "--help", "--json"]] {
            let run = expect(try E2E.run(arguments, in: dataset.path), exit: 0)
            XCTAssertTrue(run.stdout.hasPrefix("usage: dsnap \(arguments[0])"), run.transcript)
        }
        let top = expect(try E2E.run(["-h"], in: empty.path), exit: 0)
        XCTAssertTrue(top.stdout.hasPrefix("usage: dsnap"), top.transcript)
        XCTAssertEqual(top.stderr, "")
    }

    func testVersionExits0() throws {
        let empty = try TemporaryDataset(emptyNamed: "elsewhere")
        let run = expect(try E2E.run(["--version"], in: empty.path), exit: 0)
        XCTAssertNotNil(run.stdout.range(of: "^dsnap \\d+\\.\\d+\\.\\d+.*\\n$", options: .regularExpression),
                        run.transcript)
        XCTAssertEqual(run.stderr, "")
    }

    // MARK: where dsnap runs

    func testDashCWorksFromAnotherDirectory() throws {
        let (dataset, creation) = try makeDataset()
        let id = try XCTUnwrap(creation["snapshot_id"] as? String)
        let elsewhere = try TemporaryDataset(emptyNamed: "elsewhere")
        let inside = try E2E.run(["log", "--json"], in: dataset.path)
        let outside = expect(try E2E.run(["-C", dataset.path, "log", "--json"], in: elsewhere.path), exit: 0)
        XCTAssertEqual(outside.stdout, inside.stdout)

        // Relative -C, and a mutating command through -C.
        let parent = (dataset.path as NSString).deletingLastPathComponent
        let folder = (dataset.path as NSString).lastPathComponent
        let committed = try snapshotObject(try E2E.run(["-C", folder, "commit", "--json", "-m", "via -C"], in: parent,
                                                       now: "2026-03-01T10:00:01Z"))
        XCTAssertEqual(committed["snapshot_name"] as? String, "via -C")
        XCTAssertEqual(try show("current", in: dataset.path)["snapshot_name"] as? String, "via -C")
        XCTAssertEqual(try snapshotObject(try E2E.run(["-C", dataset.path + "/images/cats", "show", id, "--json"],
                                                      in: elsewhere.path))["snapshot_id"] as? String, id)
        // -C to a folder that is not a dataset, and to one that does not exist.
        expectError(try E2E.run(["-C", elsewhere.path, "log"], in: dataset.path), exit: 3, hint: true)
        expectError(try E2E.run(["-C", elsewhere.path + "/missing", "log"], in: dataset.path), exit: 2, hint: true)
        XCTAssertFalse(FileManager.default.fileExists(atPath: elsewhere.path + "/.dsnap"))
    }

    func testDiscoveryWorksFromASubfolder() throws {
        let (dataset, creation) = try makeDataset()
        let subfolder = dataset.path + "/images/cats"
        XCTAssertEqual(try log(in: subfolder).first?["snapshot_id"] as? String, creation["snapshot_id"] as? String)
        XCTAssertEqual(try show("current", in: dataset.path + "/images/日本")["snapshot_id"] as? String,
                       creation["snapshot_id"] as? String)
        // A commit from a subfolder snapshots the whole dataset, not the subfolder.
        try dataset.write("{}\n", to: "videos/new.json")
        let committed = try commit(["-m", "from cats"], in: subfolder, now: "2026-03-01T10:00:01Z")
        XCTAssertEqual(committed["n_images"] as? Int, 5)
        XCTAssertEqual(committed["n_videos"] as? Int, 1)
        let files = try jsonObject(try E2E.run(["show", "current", "--files", "--json"], in: subfolder))
        XCTAssertEqual((files["files"] as? [Any])?.count, 12)
        let status = try jsonObject(try E2E.run(["status", "--json"], in: subfolder))
        XCTAssertEqual(status["clean"] as? Bool, true)
        XCTAssertEqual(status["dataset_name"] as? String, "basic")
        XCTAssertEqual(try log(in: dataset.path).count, 2)
    }

    // MARK: user text in errors

    /// Error messages quote what the user typed (an operand, an option, a value, the folder, the
    /// candidates' names) escaped, so a newline cannot forge a line on stderr and an escape sequence
    /// cannot drive the terminal: stderr is only `dsnap: error: ...` and `hint: ...` lines.
    func testErrorMessagesEscapeWhatTheUserTyped() throws {
        let (dataset, _) = try makeDataset()
        try commit(["-m", "a\nb"], in: dataset.path, now: "2026-03-01T10:00:01Z")
        try commit(["-m", "a\nb"], in: dataset.path, now: "2026-03-01T10:00:02Z")
        let odd = try TemporaryDataset(emptyNamed: "new\nline")
        let cases: [(arguments: [String], directory: String, status: Int32)] = [
            (["show", "no\nsuch"], dataset.path, 3),
            (["show", "red\u{1B}[31mtext"], dataset.path, 3),
            (["show", "a\nb"], dataset.path, 2),  // ambiguous: the hint lists the candidates by name
            (["log", "--bo\ngus"], dataset.path, 2),
            (["log", "-n", "1\n2"], dataset.path, 2),
            (["log"], odd.path, 3),
        ]
        for (arguments, directory, status) in cases {
            let run = expectError(try E2E.run(arguments, in: directory), exit: status)
            let forged = run.stderr.split(separator: "\n").filter {
                !$0.hasPrefix("dsnap: error: ") && !$0.hasPrefix("hint: ")
            }
            XCTAssertEqual(forged, [], "stderr has lines that are neither error nor hint\n\(run.transcript)")
            XCTAssertFalse(run.stderr.contains("\u{1B}"), "raw ESC on stderr\n\(run.transcript)")
            let hints = run.stderr.split(separator: "\n").filter { $0.hasPrefix("hint: ") }
            XCTAssertFalse(hints.contains("hint: b"), "a name's second line printed as a hint\n\(run.transcript)")
        }
    }

    /// A refused init leaves the folder as it found it: a folder it would have created is not left behind.
    func testFailedInitLeavesNoFolderBehind() throws {
        let parent = try TemporaryDataset(emptyNamed: "parent")
        expectError(try E2E.run(["init", "--name", "", "newdir"], in: parent.path), exit: 2, hint: true)
        XCTAssertFalse(FileManager.default.fileExists(atPath: parent.path + "/newdir"),
                       "a refused init left the folder it created")
    }
}

@testable import DsnapCLI
import Foundation
import XCTest

/// Mistakes that help: an unknown command or option names what was typed and what was probably
/// meant (a near spelling, dsnap's word for a git command), then the synopsis and where the help
/// is; `dsnap` alone lists the commands. Whole stderr texts are compared: they are the interface.
final class HelpfulMistakesE2ETests: XCTestCase {
    private func stderr(of arguments: [String], in directory: String, exit status: Int32 = 2,
                        file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let run = expectError(try E2E.run(arguments, in: directory), exit: status, hint: true, file: file, line: line)
        return run.stderr
    }

    func testAMistypedCommandNamesTheMostSimilarOne() throws {
        let empty = try TemporaryDataset(emptyNamed: "anywhere")
        for (typed, meant) in [("comit", "commit"), ("stauts", "status"), ("restor", "restore"), ("Log", "log"),
                               ("stat", "status"), ("shwo", "show"), ("verfy", "verify")] {
            XCTAssertEqual(try stderr(of: [typed], in: empty.path), """
                dsnap: error: unknown command '\(typed)'
                hint: the most similar command is '\(meant)'
                hint: see 'dsnap help'

                """)
        }
        // `dsnap help COMMAND` helps the same way.
        XCTAssertEqual(try stderr(of: ["help", "comit"], in: empty.path), """
            dsnap: error: unknown command 'comit'
            hint: the most similar command is 'commit'
            hint: see 'dsnap help'

            """)
        // Nothing near: no guess.
        XCTAssertEqual(try stderr(of: ["frobnicate"], in: empty.path), """
            dsnap: error: unknown command 'frobnicate'
            hint: see 'dsnap help'

            """)
    }

    func testGitWordsSayWhatDsnapDoesInstead() throws {
        let empty = try TemporaryDataset(emptyNamed: "anywhere")
        XCTAssertEqual(try stderr(of: ["checkout", "abcd"], in: empty.path), """
            dsnap: error: unknown command 'checkout'
            hint: 'dsnap restore SNAP' makes the folder match a snapshot
            hint: see 'dsnap help restore'

            """)
        XCTAssertEqual(try stderr(of: ["add", "."], in: empty.path), """
            dsnap: error: unknown command 'add'
            hint: dsnap has no staging area: 'dsnap commit' snapshots the whole folder
            hint: see 'dsnap help commit'

            """)
        XCTAssertEqual(try stderr(of: ["rm", "x.jpg"], in: empty.path), """
            dsnap: error: unknown command 'rm'
            hint: dsnap has no 'rm': delete the files from the folder, then run 'dsnap commit'
            hint: see 'dsnap help'

            """)
        let expected = ["stage": "commit", "switch": "restore", "reset": "restore", "clean": "restore",
                        "mv": nil, "tag": "update", "branch": "clone", "ls-files": "show", "fsck": "verify",
                        "prune": "gc"]
        for (word, command) in expected {
            let text = try stderr(of: [word], in: empty.path)
            XCTAssertTrue(text.hasPrefix("dsnap: error: unknown command '\(word)'\nhint: "), text)
            XCTAssertTrue(text.hasSuffix("hint: see 'dsnap help\(command.map { " " + $0 } ?? "")'\n"), text)
            XCTAssertEqual(text.split(separator: "\n").count, 3, text)
        }
    }

    func testAMistypedOptionNamesTheNearestAndPrintsTheSynopsis() throws {
        let empty = try TemporaryDataset(emptyNamed: "anywhere")
        // The synopsis is log's own, as `-h` prints it (it grows with log's options).
        let synopsis = try XCTUnwrap(try E2E.run(["log", "-h"], in: empty.path).stdout
            .split(separator: "\n").first { $0.hasPrefix("usage: ") })
        XCTAssertEqual(try stderr(of: ["log", "--jsn"], in: empty.path), """
            dsnap: error: unknown option '--jsn'
            hint: did you mean '--json'?
            hint: \(synopsis)
            hint: see 'dsnap help log'

            """)
        XCTAssertEqual(try stderr(of: ["status", "--jsno"], in: empty.path), """
            dsnap: error: unknown option '--jsno'
            hint: did you mean '--json'?
            hint: usage: dsnap status [--json]
            hint: see 'dsnap help status'

            """)
        // A long option with one dash, short options run together, a letter in the wrong case.
        XCTAssertTrue(try stderr(of: ["log", "-json"], in: empty.path)
            .hasPrefix("dsnap: error: unknown option '-json'\nhint: did you mean '--json'?\n"))
        XCTAssertTrue(try stderr(of: ["commit", "-qm", "x"], in: empty.path)
            .hasPrefix("dsnap: error: unknown option '-qm'\nhint: give short options separately, as in '-q -m'\n"))
        XCTAssertTrue(try stderr(of: ["log", "-N", "2"], in: empty.path)
            .hasPrefix("dsnap: error: unknown option '-N'\nhint: did you mean '-n'?\n"))
        // Nothing near: the synopsis and the help only.
        XCTAssertEqual(try stderr(of: ["status", "--frobnicate"], in: empty.path), """
            dsnap: error: unknown option '--frobnicate'
            hint: usage: dsnap status [--json]
            hint: see 'dsnap help status'

            """)
    }

    func testAnOptionOnTheWrongSideOfTheCommandIsPointedOut() throws {
        let empty = try TemporaryDataset(emptyNamed: "anywhere")
        XCTAssertEqual(try stderr(of: ["--json", "log"], in: empty.path), """
            dsnap: error: unknown option '--json'
            hint: '--json' is an option of 'log': give it after the command, as in 'dsnap log --json'
            hint: usage: dsnap [-C PATH] [-q|--quiet] [--no-pager] [--version] [-h|--help] COMMAND [ARGS]
            hint: see 'dsnap help'

            """)
        XCTAssertTrue(try stderr(of: ["log", "-C", "/tmp"], in: empty.path).contains(
            "hint: '-C' is a global option: give it before the command, as in 'dsnap -C PATH log'\n"))
        XCTAssertTrue(try stderr(of: ["--verson"], in: empty.path).contains("hint: did you mean '--version'?\n"))
        XCTAssertTrue(try stderr(of: ["status", "--no-pager"], in: empty.path).contains(
            "hint: 'status' never uses a pager; only log, show and diff do\n"))
    }

    func testEveryCommandUsageErrorEndsWithItsSynopsisAndHelp() throws {
        let (dataset, _) = try makeDataset()
        for arguments in [["update", "current"], ["show"], ["log", "stray"], ["verify", "--all", "current"],
                          ["restore"], ["gc", "--prune-deleted=soon"]] {
            let text = try stderr(of: arguments, in: dataset.path)
            let usage = try E2E.run([arguments[0], "-h"], in: dataset.path).stdout.split(separator: "\n")[0]
            XCTAssertTrue(text.hasSuffix("hint: \(usage)\nhint: see 'dsnap help \(arguments[0])'\n"), text)
        }
    }

    func testAnErrorNamesTheOptionAsTyped() throws {
        let empty = try TemporaryDataset(emptyNamed: "anywhere")
        XCTAssertTrue(try stderr(of: ["log", "-n", "x"], in: empty.path)
            .hasPrefix("dsnap: error: option '-n' takes a whole number of at least 0, not 'x'\n"))
        XCTAssertTrue(try stderr(of: ["log", "-nx"], in: empty.path)
            .hasPrefix("dsnap: error: option '-n' takes a whole number of at least 0, not 'x'\n"))
        XCTAssertTrue(try stderr(of: ["log", "--max-count", "x"], in: empty.path)
            .hasPrefix("dsnap: error: option '--max-count' takes a whole number of at least 0, not 'x'\n"))
        XCTAssertTrue(try stderr(of: ["tasks", "-n", "-3"], in: empty.path)
            .hasPrefix("dsnap: error: option '-n' takes a whole number of at least 0, not '-3'\n"))
    }

    func testAnIdPrefixTooShortSaysItNeedsFourHexDigits() throws {
        let (dataset, creation) = try makeDataset()
        let id = try XCTUnwrap(creation["snapshot_id"] as? String)
        for reference in [String(id.prefix(3)), "20b", "a"] {
            XCTAssertEqual(try stderr(of: ["show", reference], in: dataset.path, exit: 3), """
                dsnap: error: snapshot '\(reference)' not found: an id prefix needs at least 4 hex digits
                hint: run 'dsnap log' to list snapshots

                """)
        }
        // Four digits name it; a short word that is not hex is just not found.
        expect(try E2E.run(["show", String(id.prefix(4))], in: dataset.path), exit: 0)
        XCTAssertEqual(try stderr(of: ["show", "xyz"], in: dataset.path, exit: 3), """
            dsnap: error: snapshot 'xyz' not found
            hint: run 'dsnap log' to list snapshots

            """)
    }

    func testDsnapAloneListsTheCommandsBrieflyAndExits2() throws {
        let empty = try TemporaryDataset(emptyNamed: "anywhere")
        let run = expect(try E2E.run([], in: empty.path), exit: 2)
        XCTAssertEqual(run.stdout, "")
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.first, "usage: dsnap [-C PATH] [-q|--quiet] [--no-pager] [--version] [-h|--help] COMMAND [ARGS]")
        XCTAssertFalse(run.stderr.contains("dsnap: error:"), run.transcript)
        XCTAssertFalse(run.stderr.contains("Global options"), "the whole help\n\(run.transcript)")
        for command in ["init", "commit", "log", "show", "status", "diff", "restore", "clone", "help"] {
            XCTAssertTrue(lines.contains { $0.hasPrefix("  \(command) ") }, "'\(command)' not listed\n\(run.transcript)")
        }
        XCTAssertTrue(run.stderr.hasSuffix("Run 'dsnap help' for the global options, 'dsnap help COMMAND' for one command.\n"),
                      run.transcript)
        // Short: a line per command and a few more, never the options of each.
        XCTAssertLessThan(lines.count, CommandTable.all.count + 10, run.transcript)
        // `-h` still prints the whole help, on stdout.
        let help = expect(try E2E.run(["-h"], in: empty.path), exit: 0)
        XCTAssertTrue(help.stdout.contains("Global options:\n"), help.transcript)
        XCTAssertTrue(help.stdout.contains("  --no-pager "), help.transcript)
    }
}

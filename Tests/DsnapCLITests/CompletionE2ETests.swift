@testable import DsnapCLI
import Foundation
import XCTest

/// `dsnap completion`: runs bash's completion function, as bash does on Tab, with the built
/// binary first on PATH, and checks the candidates; checks that the zsh and fish scripts parse
/// (and fish's candidates) where those shells are installed.
final class CompletionE2ETests: XCTestCase {
    /// The candidates bash's `_dsnap` leaves in COMPREPLY for `words`, the last being the word
    /// under the cursor (as COMP_WORDS and COMP_CWORD hold them).
    private func bashCompletes(_ words: [String], in directory: String, file: StaticString = #filePath,
                               line: UInt = #line) throws -> [String] {
        let script = #"""
            source <(dsnap completion bash) || exit 9
            COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
            _dsnap || exit 8
            (( ${#COMPREPLY[@]} )) && printf '%s\n' "${COMPREPLY[@]}"
            exit 0
            """#
        let result = try shell("bash", ["--norc", "--noprofile", "-c", script, "bash"] + words, in: directory)
        XCTAssertEqual(result.status, 0, "bash failed for \(words)\n\(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr, "", "completing \(words) wrote to the terminal", file: file, line: line)
        return result.stdout.split(separator: "\n").map(String.init)
    }

    /// Runs a shell with the built dsnap first on PATH, in the tests' fixed environment.
    private func shell(_ name: String, _ arguments: [String], in directory: String) throws -> ProcessResult {
        let binDirectory = URL(fileURLWithPath: DsnapProcess.binary).deletingLastPathComponent().path
        var environment = DsnapProcess.environment()
        environment["PATH"] = binDirectory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        let run = try RunningDsnap([name] + arguments, in: directory, environment: environment,
                                   executable: "/usr/bin/env").wait()
        return ProcessResult(status: run.status, stdout: run.stdout, stderr: run.stderr)
    }

    private func installed(_ shell: String) -> Bool {
        ["/usr/bin/", "/bin/", "/usr/local/bin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + shell) }
    }

    /// A dataset with snapshots `first snap` (the creation one, renamed), `labelled`, two named
    /// `dup`, and current `last`; returns it and the ids, oldest first.
    private func datasetWithSnapshots() throws -> (TemporaryDataset, [String]) {
        let dataset = try TemporaryDataset()
        expect(try E2E.run(["init", "-q", "--name", "basic"], in: dataset.path), exit: 0)
        expect(try E2E.run(["update", "current", "--name", "first snap"], in: dataset.path), exit: 0)
        for (index, name) in ["labelled", "dup", "dup", "last"].enumerated() {
            expect(try E2E.run(["commit", "-q", "-m", name], in: dataset.path, now: "2026-03-01T10:0\(index + 1):00Z"),
                   exit: 0)
        }
        let log = try jsonArray(E2E.run(["log", "--json"], in: dataset.path))
        return (dataset, log.compactMap { $0["snapshot_id"] as? String }.reversed())
    }

    // MARK: commands and options

    func testCommandsAndGlobalOptionsComeFromTheDeclarations() throws {
        let empty = try TemporaryDataset(emptyNamed: "nowhere")
        XCTAssertEqual(try bashCompletes(["dsnap", "com"], in: empty.path), ["commit", "completion"])
        XCTAssertEqual(try bashCompletes(["dsnap", ""], in: empty.path), CommandTable.all.map(\.name),
                       "every command users run, never an internal one")
        XCTAssertEqual(try bashCompletes(["dsnap", "-"], in: empty.path), UnknownOption.globalSpellings)
        XCTAssertEqual(try bashCompletes(["dsnap", "--no-pager", "-q", "sta"], in: empty.path), ["status"])
        // -C takes a folder, and what follows it is still before the command.
        try FileManager.default.createDirectory(atPath: empty.path + "/sub", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: empty.path + "/subfile"))
        XCTAssertEqual(try bashCompletes(["dsnap", "-C", "su"], in: empty.path), ["sub"])
        XCTAssertEqual(try bashCompletes(["dsnap", "-C", "sub", "he"], in: empty.path), ["help"])
        XCTAssertEqual(try bashCompletes(["dsnap", "help", "rest"], in: empty.path), ["restore"])
        XCTAssertEqual(try bashCompletes(["dsnap", "completion", ""], in: empty.path), ["bash", "zsh", "fish"])
    }

    func testGlobalOptionsAreTheOnesDsnapParses() {
        XCTAssertEqual(CompletionModel.globalOptions.flatMap(\.spellings), UnknownOption.globalSpellings)
    }

    func testEachCommandOffersItsDeclaredOptions() throws {
        let empty = try TemporaryDataset(emptyNamed: "nowhere")
        let log = try bashCompletes(["dsnap", "log", "--"], in: empty.path)
        for long in ["--max-count", "--deleted", "--all", "--remote", "--json", "--no-pager", "--help", "--quiet"] {
            XCTAssertTrue(log.contains(long), "dsnap log --<Tab> lacks \(long): \(log)")
        }
        XCTAssertEqual(try bashCompletes(["dsnap", "log", "-n", "5", "--de"], in: empty.path), ["--deleted"])
        // Every command, including any added after this test was written.
        for command in CommandTable.all {
            let offered = try bashCompletes(["dsnap", command.name, "--"], in: empty.path)
            let declared = (command.options + DsnapCLI.commonOptions).flatMap { option in
                ["--" + option.long] + (option.valueIsOptional ? ["--" + option.long + "="] : [])
            }
            XCTAssertEqual(offered, declared, "dsnap \(command.name) --<Tab>")
        }
        // An option's value is not an operand, and no option is offered as one.
        XCTAssertEqual(try bashCompletes(["dsnap", "commit", "-m", ""], in: empty.path), [])
    }

    // MARK: snapshots, remotes, paths

    func testSnapshotOperandsOfferLiveNamesAndIds() throws {
        let (dataset, ids) = try datasetWithSnapshots()
        let short = ids.map { String($0.prefix(12)) }
        let offered = try bashCompletes(["dsnap", "restore", ""], in: dataset.path)
        // Newest first, each id then its name; `dup` names two snapshots and would be refused.
        XCTAssertEqual(offered, ["current", short[4], "last", short[3], short[2], short[1], "labelled",
                                 short[0], #"first\ snap"#])
        XCTAssertEqual(try bashCompletes(["dsnap", "show", "la"], in: dataset.path), ["last", "labelled"])
        XCTAssertEqual(try bashCompletes(["dsnap", "delete", "fi"], in: dataset.path), [#"first\ snap"#])
        XCTAssertEqual(try bashCompletes(["dsnap", "diff", "current", "lab"], in: dataset.path), ["labelled"])
        XCTAssertEqual(try bashCompletes(["dsnap", "verify", "last", "lab"], in: dataset.path), ["labelled"],
                       "a repeating SNAP... operand")
        XCTAssertEqual(try bashCompletes(["dsnap", "restore", String(ids[1].prefix(6))], in: dataset.path), [short[1]])
        // From elsewhere, through -C.
        let parent = (dataset.path as NSString).deletingLastPathComponent
        XCTAssertEqual(try bashCompletes(["dsnap", "-C", "basic", "restore", "lab"], in: parent), ["labelled"])

        // A deleted snapshot is offered to undelete only; an autosave to no one.
        expect(try E2E.run(["delete", "-q", "labelled"], in: dataset.path), exit: 0)
        try dataset.write("changed", to: "new.txt")
        expect(try E2E.run(["restore", "-q", "--discard", "current"], in: dataset.path), exit: 0)
        let autosave = try XCTUnwrap(try jsonArray(E2E.run(["log", "--all", "--json"], in: dataset.path))
            .first { $0["reason"] as? String == "autosave" }?["snapshot_id"] as? String)
        let live = try bashCompletes(["dsnap", "restore", ""], in: dataset.path)
        XCTAssertFalse(live.contains("labelled") || live.contains(short[1]), "\(live)")
        XCTAssertFalse(live.contains(String(autosave.prefix(12))), "\(live)")
        XCTAssertEqual(try bashCompletes(["dsnap", "undelete", ""], in: dataset.path), [short[1], "labelled"])
    }

    /// Names are data: quoted for the shell, never run, and whole across bash's word breaks.
    func testNamesAreQuotedAndNeverRun() throws {
        let dataset = try TemporaryDataset()
        expect(try E2E.run(["init", "-q", "--name", "basic"], in: dataset.path), exit: 0)
        for name in ["x$(touch pwned)", "tag:v1", "it's"] {
            expect(try E2E.run(["commit", "-q", "-m", name], in: dataset.path), exit: 0)
        }
        XCTAssertEqual(try bashCompletes(["dsnap", "restore", "x"], in: dataset.path), [#"x\$\(touch\ pwned\)"#])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dataset.path + "/pwned"))
        XCTAssertEqual(try bashCompletes(["dsnap", "restore", "it"], in: dataset.path), [#"it\'s"#])
        // `tag:v` is three words to bash (COMP_WORDBREAKS has ':'), and it replaces only the last.
        XCTAssertEqual(try bashCompletes(["dsnap", "restore", "tag", ":", "v"], in: dataset.path), ["v1"])
        XCTAssertEqual(try bashCompletes(["dsnap", "restore", "ta"], in: dataset.path), ["tag:v1"])
    }

    func testRemotesChoicesAndPaths() throws {
        let (dataset, _) = try datasetWithSnapshots()
        expect(try E2E.run(["remote", "add", "origin", "../server.git", "--create"], in: dataset.path), exit: 0)
        expect(try E2E.run(["remote", "add", "backup", "../backup.git", "--create"], in: dataset.path), exit: 0)
        let remotes = try bashCompletes(["dsnap", "push", ""], in: dataset.path)
        XCTAssertEqual(Set(remotes), ["origin", "backup"])
        XCTAssertEqual(try bashCompletes(["dsnap", "fetch", "or"], in: dataset.path), ["origin"])
        XCTAssertEqual(try bashCompletes(["dsnap", "pull", "origin", "lab"], in: dataset.path), ["labelled"],
                       "pull's second operand is a snapshot")
        XCTAssertEqual(try bashCompletes(["dsnap", "log", "--remote", "ba"], in: dataset.path), ["backup"])
        // `--remote=ba`: bash splits the word at '=' and replaces only what follows it.
        XCTAssertEqual(try bashCompletes(["dsnap", "log", "--remote", "=", "ba"], in: dataset.path), ["backup"])
        XCTAssertEqual(try bashCompletes(["dsnap", "remote", ""], in: dataset.path), ["add", "remove"])
        // Paths after `--`, never the dataset's .dsnap.
        let paths = try bashCompletes(["dsnap", "diff", "current", "--", ""], in: dataset.path)
        XCTAssertTrue(paths.contains("images") && paths.contains("labels.csv"), "\(paths)")
        XCTAssertFalse(paths.contains(".dsnap"), "\(paths)")
        XCTAssertEqual(try bashCompletes(["dsnap", "diff", "--", "lab"], in: dataset.path), ["labels.csv"])
    }

    // MARK: the callback

    func testOutsideADatasetNothingIsOfferedAndNothingSaid() throws {
        let empty = try TemporaryDataset(emptyNamed: "nowhere")
        for what in ["snapshots", "deleted", "remotes"] {
            let run = expect(try E2E.run(["__complete", what], in: empty.path), exit: 0)
            XCTAssertEqual(run.stdout + run.stderr, "", run.transcript)
        }
        XCTAssertEqual(try bashCompletes(["dsnap", "restore", ""], in: empty.path), [])
        XCTAssertEqual(try bashCompletes(["dsnap", "-C", "/nonexistent", "restore", ""], in: empty.path), [])
        XCTAssertEqual(try bashCompletes(["dsnap", "push", ""], in: empty.path), [])
        // Users never see the callback.
        let help = expect(try E2E.run(["help"], in: empty.path), exit: 0)
        XCTAssertFalse(help.stdout.contains("__complete"), help.stdout)
    }

    func testAnUnknownShellIsAUsageError() throws {
        let empty = try TemporaryDataset(emptyNamed: "nowhere")
        expectError(try E2E.run(["completion", "tcsh"], in: empty.path), exit: 2, hint: true, mentioning: ["'tcsh'"])
        expectError(try E2E.run(["completion"], in: empty.path), exit: 2, hint: true, mentioning: ["SHELL"])
        let bash = expect(try E2E.run(["completion", "bash"], in: empty.path), exit: 0)
        XCTAssertTrue(bash.stdout.contains("complete -F _dsnap dsnap"), bash.transcript)
        XCTAssertEqual(bash.stderr, "")
    }

    // MARK: zsh and fish

    func testZshScriptParses() throws {
        try XCTSkipUnless(installed("zsh"), "zsh is not installed")
        let empty = try TemporaryDataset(emptyNamed: "nowhere")
        let result = try shell("zsh", ["-f", "-c", "dsnap completion zsh > _dsnap && zsh -n _dsnap"], in: empty.path)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
    }

    func testFishScriptParsesAndCompletes() throws {
        try XCTSkipUnless(installed("fish"), "fish is not installed")
        let (dataset, _) = try datasetWithSnapshots()
        let parse = try shell("fish", ["--no-config", "-c", "dsnap completion fish | fish -n"], in: dataset.path)
        XCTAssertEqual(parse.status, 0, parse.stderr)
        func fishCompletes(_ line: String) throws -> [String] {
            let result = try shell("fish", ["--no-config", "-c", "dsnap completion fish | source; complete -C $argv[1]", line],
                                   in: dataset.path)
            XCTAssertEqual(result.status, 0, result.stderr)
            // `candidate<TAB>description`
            return result.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
        }
        XCTAssertEqual(Set(try fishCompletes("dsnap com")), ["commit", "completion"])
        XCTAssertTrue(try fishCompletes("dsnap log --").contains("--max-count"))
        XCTAssertEqual(Set(try fishCompletes("dsnap restore la")), ["labelled", "last"])
        XCTAssertEqual(Set(try fishCompletes("dsnap completion ")), ["bash", "zsh", "fish"])
    }
}

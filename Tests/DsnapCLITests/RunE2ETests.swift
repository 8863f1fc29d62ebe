import Foundation
import XCTest

/// `dsnap run`: a command run under the dataset's lock, with real processes and real signals.
final class RunE2ETests: XCTestCase {
    /// A dataset made from fixtures/basic, and a folder beside it (outside the dataset, so never
    /// snapshotted) for the scripts and the files they leave for the test.
    private func setUp(file: StaticString = #filePath, line: UInt = #line)
        throws -> (dataset: TemporaryDataset, creation: [String: Any], tools: String) {
        let (dataset, creation) = try makeDataset(file: file, line: line)
        let tools = (dataset.path as NSString).deletingLastPathComponent + "/tools"
        try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
        return (dataset, creation, tools)
    }

    /// Writes an executable `/bin/sh` script and returns its path.
    private func script(_ name: String, in tools: String, _ body: String) throws -> String {
        let path = tools + "/" + name
        try ("#!/bin/sh\n" + body).write(toFile: path, atomically: false, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// Every file of the dataset folder but `.dsnap`, with its bytes.
    private func files(of root: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            if relative == ".dsnap" { enumerator?.skipDescendants(); continue }
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if !isDirectory.boolValue { result[relative] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative)) }
        }
        return result
    }

    /// Waits until `path` exists (a script says it started), failing after 20 s.
    private func waitFor(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: path) {
            guard Date() < deadline else {
                XCTFail("'\(path)' never appeared", file: file, line: line)
                throw E2EFailure.setup("timeout")
            }
            usleep(20_000)
        }
    }

    /// True when `pid` has exited, reaped or not: /proc gives a zombie's state as Z.
    private func isDead(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    /// A script that says it started, then waits for the test to open `gate` (at most 30 s).
    private func waitingScript(in tools: String, body: String = "") throws -> String {
        try script("wait.sh", in: tools, body + """
            : > "\(tools)/started"
            i=0
            while [ ! -e "\(tools)/gate" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
            """)
    }

    func testAFailedCheckpointedRunIsRolledBackByteForByteAndTheAutosaveHoldsItsEdits() throws {
        let (dataset, _, tools) = try setUp()
        let before = try files(of: dataset.path)
        // Edits sidecars, adds and removes files, tells what dsnap gave it, then fails.
        let edit = try script("edit.sh", in: tools, """
            printf '%s\\n%s\\n%s\\n' "$DSNAP_CHECKPOINT" "$DSNAP_DATASET" "$(pwd)" > "\(tools)/seen"
            printf '{"label": "tiger", "tagger": "v3"}\\n' > images/cats/a.json
            printf '{"new": true}\\n' > images/dogs/new.json
            rm labels.csv
            echo "tagger: out of memory" >&2
            exit 3
            """)
        let run = expect(try E2E.run(["run", "--checkpoint", "--name", "pre-v3", "--on-failure", "restore", "--json",
                                      "--", edit], in: dataset.path, now: "2026-03-01T10:00:01Z"), exit: 3)
        XCTAssertTrue(run.stderr.contains("tagger: out of memory"), "COMMAND's stderr is dsnap's\n\(run.transcript)")
        XCTAssertEqual(try files(of: dataset.path), before, "the run was not rolled back byte for byte")

        let result = try XCTUnwrap(try parseJSON(run.stdout) as? [String: Any], run.transcript)
        let checkpoint = try XCTUnwrap(result["checkpoint"] as? [String: Any])
        let autosave = try XCTUnwrap(result["autosave"] as? [String: Any], "no autosave\n\(run.transcript)")
        let checkpointID = try idOf(checkpoint)
        let autosaveID = try idOf(autosave)
        XCTAssertEqual(checkpointID.count, 40)
        XCTAssertEqual(checkpoint["snapshot_name"] as? String, "pre-v3")
        XCTAssertEqual(checkpoint["description"] as? String, "before: " + edit)
        XCTAssertEqual(checkpoint["is_current"] as? Bool, true, "the restored checkpoint is current")
        XCTAssertEqual(autosave["reason"] as? String, "autosave")
        XCTAssertEqual(result["exit_status"] as? Int, 3)
        XCTAssertEqual(result["restored"] as? Bool, true)
        XCTAssertEqual(result["succeeded"] as? Bool, false)
        XCTAssertTrue(result["after"] is NSNull)
        XCTAssertEqual((result["snapshot"] as? [String: Any])?["snapshot_id"] as? String, checkpointID)

        // The command saw its checkpoint and dataset, and ran in the dataset's folder.
        let seen = try String(contentsOfFile: tools + "/seen", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(seen, [checkpointID, dataset.path, dataset.path])

        // The autosave holds every edit, byte for byte.
        let edited = try E2E.git(["show", "\(autosaveID):images/cats/a.json"], dataset: dataset.path)
        XCTAssertEqual(edited.stdout, "{\"label\": \"tiger\", \"tagger\": \"v3\"}\n")
        let added = try E2E.git(["show", "\(autosaveID):images/dogs/new.json"], dataset: dataset.path)
        XCTAssertEqual(added.stdout, "{\"new\": true}\n")
        let removed = try E2E.git(["cat-file", "-e", "\(autosaveID):labels.csv"], dataset: dataset.path)
        XCTAssertNotEqual(removed.status, 0, "labels.csv was removed by the command")

        // The same failure in text: dsnap's lines on stderr, nothing of dsnap's on stdout.
        let text = expect(try E2E.run(["run", "--checkpoint", "--on-failure", "restore", "--", edit],
                                      in: dataset.path, now: "2026-03-01T10:00:02Z"), exit: 3)
        XCTAssertEqual(text.stdout, "")
        XCTAssertTrue(text.stderr.hasPrefix("dsnap: checkpoint "), text.transcript)
        XCTAssertTrue(text.stderr.contains("dsnap: the command failed (exit status 3)"), text.transcript)
        XCTAssertTrue(text.stderr.contains("saved as autosave snapshot "), text.transcript)
        XCTAssertTrue(text.stderr.contains("hint: 'dsnap diff "), text.transcript)
        XCTAssertEqual(try files(of: dataset.path), before)

        // Journal: the run, its checkpoint and its restore, each a task.
        let tasks = try jsonArray(E2E.run(["tasks", "--json", "-n", "3"], in: dataset.path))
        XCTAssertEqual(tasks.map { $0["task_type"] as? String }, ["RUN", "SNAPSHOT_RESTORE", "SNAPSHOT_CREATE"])
        let task = tasks[0]
        XCTAssertEqual(task["status"] as? String, "FAILED")
        XCTAssertEqual(task["command"] as? String, edit)
        XCTAssertEqual(task["exit_status"] as? Int, 3)
        XCTAssertEqual(task["restored"] as? Bool, true)
        XCTAssertEqual((task["checkpoint_snapshot_id"] as? String)?.count, 40)
        XCTAssertEqual((task["autosave_snapshot_id"] as? String)?.count, 40)
        XCTAssertEqual(task["error"] as? String, "exit status 3; checkpoint restored")
        let table = expect(try E2E.run(["tasks", "-n", "1"], in: dataset.path), exit: 0)
        XCTAssertTrue(table.stdout.contains("RUN ") && table.stdout.contains("FAILED"), table.transcript)
        XCTAssertTrue(table.stdout.contains(edit + ": exit status 3; checkpoint restored"), table.transcript)
    }

    func testACommitDuringARunExits4NamingTheRunAndStatusSaysBusy() throws {
        let (dataset, creation, tools) = try setUp()
        let wait = try waitingScript(in: tools)
        let running = try E2E.start(["run", "--", wait, "--model", "v2 large"], in: dataset.path)
        try waitFor(tools + "/started")
        let pid = running.process.processIdentifier

        try dataset.write("{\"edited\": true}\n", to: "images/cats/a.json")
        expectError(try E2E.run(["commit", "-m", "mine"], in: dataset.path), exit: 4, hint: true,
                    mentioning: ["run -- \(wait) --model 'v2 large'", "pid \(pid)", "since 2026-03-01T10:00:00"])
        expectError(try E2E.run(["restore", "--discard", "current"], in: dataset.path), exit: 4, mentioning: ["pid \(pid)"])

        let status = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        XCTAssertEqual(status["state"] as? String, "Busy")
        XCTAssertEqual((status["state_detail"] as? [String: Any])?["command"] as? String, "\(wait) --model 'v2 large'")
        XCTAssertEqual((status["running"] as? [String: Any])?["pid"] as? Int, Int(pid))
        let text = expect(try E2E.run(["status"], in: dataset.path), exit: 0)
        XCTAssertTrue(text.stdout.contains("State:    Busy (running \(wait) --model 'v2 large')"), text.transcript)
        // Reads work meanwhile.
        XCTAssertEqual(try log(in: dataset.path).count, 1)
        XCTAssertEqual(try show("current", in: dataset.path)["snapshot_id"] as? String, creation["snapshot_id"] as? String)
        expect(try E2E.run(["diff"], in: dataset.path), exit: 0)
        let tasks = try jsonArray(E2E.run(["tasks", "--json", "-n", "1"], in: dataset.path))
        XCTAssertEqual(tasks.first?["task_type"] as? String, "RUN")
        XCTAssertEqual(tasks.first?["status"] as? String, "RUNNING")
        XCTAssertTrue(tasks.first?["exit_status"] is NSNull)

        _ = FileManager.default.createFile(atPath: tools + "/gate", contents: nil)
        let finished = try XCTUnwrap(running.wait(killingAfter: 20), "the run never ended")
        expect(finished, exit: 0)
        XCTAssertEqual(finished.stderr, "", "a plain successful run says nothing\n\(finished.transcript)")
        let after = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        XCTAssertEqual(after["state"] as? String, "Ready")
        try commit(["-m", "mine"], in: dataset.path, now: "2026-03-01T10:00:05Z")
    }

    func testSIGTERMGoesToTheCommandAndDsnapExitsWithItsStatus() throws {
        let (dataset, _, tools) = try setUp()
        let before = try files(of: dataset.path)
        // Edits a sidecar, then on SIGTERM leaves a marker and dies of the signal, as a
        // well-behaved program does.
        let wait = try waitingScript(in: tools, body: """
            trap ': > "\(tools)/got-term"; trap - TERM; kill -TERM $$' TERM
            printf '{"half": "done"}\\n' > images/cats/a.json

            """)
        let running = try E2E.start(["run", "--checkpoint", "--on-failure", "restore", "--", wait], in: dataset.path)
        try waitFor(tools + "/started")
        kill(running.process.processIdentifier, SIGTERM)
        let run = expect(try XCTUnwrap(running.wait(killingAfter: 20), "dsnap never exited"), exit: 143)
        XCTAssertTrue(FileManager.default.fileExists(atPath: tools + "/got-term"), "the command never got SIGTERM")
        XCTAssertTrue(run.stderr.contains("dsnap: the command failed (killed by SIGTERM)"), run.transcript)
        XCTAssertFalse(run.stderr.contains("interrupted"), "dsnap itself was interrupted\n\(run.transcript)")
        XCTAssertEqual(try files(of: dataset.path), before, "the checkpoint was not restored after the signal")
        let task = try XCTUnwrap(try jsonArray(E2E.run(["tasks", "--json", "-n", "3"], in: dataset.path))
            .first { $0["task_type"] as? String == "RUN" })
        XCTAssertEqual(task["exit_status"] as? Int, 143)
        XCTAssertEqual(task["error"] as? String, "signal SIGTERM; checkpoint restored")
    }

    func testCommitTakesTheAfterSnapshotWithTheTrainingModel() throws {
        let (dataset, creation, tools) = try setUp()
        let tag = try script("tag.sh", in: tools, """
            printf '{"label": "cat", "tagger": "v2"}\\n' > images/cats/a.json
            echo "tagged 1 sidecar"
            """)
        let run = expect(try E2E.run(["run", "--checkpoint", "--commit", "--training-model-id", "tagger-v2",
                                      "--training-model-name", "Tagger v2", "--json", "--", tag],
                                     in: dataset.path, now: "2026-03-01T10:00:01Z"), exit: 0)
        // COMMAND's stdout comes first, dsnap's object last.
        XCTAssertTrue(run.stdout.hasPrefix("tagged 1 sidecar\n{"), run.transcript)
        let result = try XCTUnwrap(try parseJSON(String(run.stdout.dropFirst("tagged 1 sidecar\n".count)))
            as? [String: Any])
        let after = try XCTUnwrap(result["after"] as? [String: Any], run.transcript)
        XCTAssertEqual(after["description"] as? String, "after: " + tag)
        XCTAssertEqual(after["training_model_id"] as? String, "tagger-v2")
        XCTAssertEqual(after["training_model_name"] as? String, "Tagger v2")
        XCTAssertEqual(after["is_current"] as? Bool, true)
        let checkpoint = try XCTUnwrap(result["checkpoint"] as? [String: Any])
        XCTAssertEqual(after["parent_snapshot_id"] as? String, try idOf(checkpoint))
        XCTAssertEqual(checkpoint["parent_snapshot_id"] as? String, try idOf(creation))
        XCTAssertEqual(checkpoint["is_current"] as? Bool, false, "the checkpoint is re-read at the end")
        XCTAssertEqual((result["snapshot"] as? [String: Any])?["snapshot_id"] as? String, try idOf(after))
        XCTAssertEqual(result["exit_status"] as? Int, 0)
        let shown = try E2E.git(["show", "\(try idOf(after)):images/cats/a.json"], dataset: dataset.path)
        XCTAssertEqual(shown.stdout, "{\"label\": \"cat\", \"tagger\": \"v2\"}\n")

        let task = try XCTUnwrap(try jsonArray(E2E.run(["tasks", "--json", "-n", "1"], in: dataset.path)).first)
        XCTAssertEqual(task["task_type"] as? String, "RUN")
        XCTAssertEqual(task["status"] as? String, "COMPLETED")
        XCTAssertEqual(task["after_snapshot_id"] as? String, try idOf(after))
        XCTAssertEqual(task["snapshot_id"] as? String, try idOf(after))

        // In text, the two snapshots are named on stderr.
        let text = expect(try E2E.run(["run", "--checkpoint", "--commit", "--", tag], in: dataset.path,
                                      now: "2026-03-01T10:00:02Z"), exit: 0)
        XCTAssertEqual(text.stdout, "tagged 1 sidecar\n")
        XCTAssertTrue(text.stderr.contains("dsnap: checkpoint ") && text.stderr.contains("dsnap: committed "),
                      text.transcript)
    }

    func testADsnapKilledMidRunLeavesNoStaleLock() throws {
        let (dataset, _, tools) = try setUp()
        let wait = try waitingScript(in: tools, body: "echo $$ > \"\(tools)/pid\"\n")
        let running = try E2E.start(["run", "--checkpoint", "--", wait], in: dataset.path)
        try waitFor(tools + "/started")
        kill(running.process.processIdentifier, SIGKILL)
        // Foundation's Process learns of the exit only once the command, which inherited one of
        // its descriptors, ends too: the kernel's word is taken instead (a zombie is dead).
        let deadline = Date().addingTimeInterval(10)
        while !isDead(running.process.processIdentifier) && Date() < deadline { usleep(10_000) }
        XCTAssertTrue(isDead(running.process.processIdentifier), "dsnap survived SIGKILL")
        let commandPID = try XCTUnwrap(Int32(try String(contentsOfFile: tools + "/pid", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        XCTAssertEqual(kill(commandPID, 0), 0, "the command should outlive dsnap for this test to mean anything")

        // The command outlives dsnap, but not the lock: it never inherited it.
        try dataset.write("{\"after\": \"kill\"}\n", to: "images/cats/a.json")
        try commit(["-m", "after-kill"], in: dataset.path, now: "2026-03-01T10:00:05Z")
        // The command holds dsnap's stdout and stderr: it must end before they can be read.
        _ = FileManager.default.createFile(atPath: tools + "/gate", contents: nil)
        XCTAssertTrue(try XCTUnwrap(running.wait(killingAfter: 20)).killedBySignal)
        let status = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        XCTAssertEqual(status["state"] as? String, "Ready")
        let run = try XCTUnwrap(try jsonArray(E2E.run(["tasks", "--json"], in: dataset.path))
            .first { $0["task_type"] as? String == "RUN" })
        XCTAssertEqual(run["status"] as? String, "FAILED")
        XCTAssertEqual(run["error"] as? String, "interrupted")
    }

    func testTheExitStatusIsTheCommandsAndCommandsThatCannotStartExitLikeAShell() throws {
        let (dataset, _, tools) = try setUp()
        expect(try E2E.run(["run", "--", "sh", "-c", "exit 7"], in: dataset.path), exit: 7)
        expect(try E2E.run(["run", "--", "sh", "-c", "exit 0"], in: dataset.path), exit: 0)
        expect(try E2E.run(["run", "--", "sh", "-c", "kill -USR1 $$"], in: dataset.path), exit: 128 + SIGUSR1)

        expectError(try E2E.run(["run", "--checkpoint", "--", "no-such-tagger"], in: dataset.path), exit: 127,
                    hint: true, mentioning: ["cannot run 'no-such-tagger': command not found"])
        let plain = tools + "/not-executable.sh"
        try "echo hi\n".write(toFile: plain, atomically: false, encoding: .utf8)
        expectError(try E2E.run(["run", "--", plain], in: dataset.path), exit: 126, hint: true,
                    mentioning: ["permission denied"])
        // Nothing was started, so nothing was snapshotted and no task was recorded.
        XCTAssertEqual(try log(in: dataset.path).count, 1)
        let runs = try jsonArray(E2E.run(["tasks", "--json"], in: dataset.path)).filter { $0["task_type"] as? String == "RUN" }
        XCTAssertEqual(runs.map { $0["exit_status"] as? Int }, [128 + Int(SIGUSR1), 0, 7])

        // Usage errors.
        expectError(try E2E.run(["run"], in: dataset.path), exit: 2, mentioning: ["missing COMMAND after '--'"])
        expectError(try E2E.run(["run", "sh"], in: dataset.path), exit: 2, mentioning: ["put COMMAND after '--'"])
        expectError(try E2E.run(["run", "--on-failure", "restore", "--", "true"], in: dataset.path), exit: 2,
                    mentioning: ["needs --checkpoint"])
        expectError(try E2E.run(["run", "--on-failure", "undo", "--", "true"], in: dataset.path), exit: 2)
        expectError(try E2E.run(["run", "--training-model-id", "m", "--", "true"], in: dataset.path), exit: 2,
                    mentioning: ["needs --commit"])
        // Options after `--` are COMMAND's.
        let echoed = expect(try E2E.run(["run", "--", "echo", "--json", "-h"], in: dataset.path), exit: 0)
        XCTAssertEqual(echoed.stdout, "--json -h\n")
    }
}

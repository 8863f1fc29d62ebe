import Foundation
import XCTest

/// A process that holds a dataset's operation lock the way a running dsnap does: an exclusive
/// `flock` on `.dsnap/dsnap.lock`, with the holder JSON written into the file.
private final class LockHolderProcess {
    let process = Process()
    private let out = Pipe()
    /// The pid written into the lock file: the process that holds the lock (sh, then sleep by exec).
    var pid: Int32 { process.processIdentifier }

    init(dataset root: String, command: String = "restore") throws {
        // sh opens the file on fd 9, flock(1) locks that open file (the lock belongs to the open
        // file, so it outlives flock(1)), and sh writes its own pid and execs sleep, keeping both
        // the pid and fd 9: the lock dies exactly when this pid does.
        let script = """
            exec 9<>.dsnap/dsnap.lock
            flock -x -n 9 || exit 99
            printf '{"command":"%s","pid":%d,"since":"2026-03-01T10:00:00.000000Z"}\\n' "$1" $$ >&9
            echo locked
            exec sleep 30
            """
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "lock-holder", command]
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Wait for "locked": only then is the lock taken and the holder written.
        var seen = Data()
        while !seen.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { throw E2EFailure.setup("the lock holder exited before locking") }
            seen.append(chunk)
        }
        guard String(decoding: seen, as: UTF8.self) == "locked\n" else {
            throw E2EFailure.setup("the lock holder said \(String(decoding: seen, as: UTF8.self).debugDescription)")
        }
    }

    /// Kills the holder with SIGKILL (so nothing gets to clean up) and waits for it to die.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    deinit { kill() }
}

/// The operation lock and concurrent metadata edits, with real processes.
final class LockingE2ETests: XCTestCase {
    /// Everything a refused commit must leave alone.
    private struct RepositoryState: Equatable {
        let head: String
        let refs: [String]
        let notes: String
        let objects: [String]
        let log: String
    }

    private func state(of root: String) throws -> RepositoryState {
        let head = try E2E.git(["rev-parse", "HEAD"], dataset: root).stdout
        let notes = try E2E.git(["rev-parse", "refs/notes/dsnap"], dataset: root).stdout
        let objects = (FileManager.default.enumerator(atPath: root + "/.dsnap/objects")?.allObjects as? [String] ?? [])
            .sorted()
        let log = try E2E.run(["log", "--json", "--all"], in: root).stdout
        return RepositoryState(head: head, refs: try E2E.snapshotRefs(root), notes: notes, objects: objects, log: log)
    }

    private func assertFsckClean(_ root: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let fsck = try E2E.git(["fsck", "--full"], dataset: root)
        XCTAssertEqual(fsck.status, 0, fsck.stderr, file: file, line: line)
        XCTAssertEqual(fsck.stdout, "", file: file, line: line)
    }

    func testCommitWhileAnotherOperationHoldsTheLockExits4AndWritesNothing() throws {
        let (dataset, _) = try makeDataset()
        // A real change, so a commit that got through would have something to write.
        try dataset.write("{\"new\": true}\n", to: "images/cats/new.json")
        try FileManager.default.copyItem(atPath: dataset.path + "/images/cats/a.jpg",
                                         toPath: dataset.path + "/images/cats/c.jpg")
        let before = try state(of: dataset.path)
        let holder = try LockHolderProcess(dataset: dataset.path)
        defer { holder.kill() }

        for arguments in [["commit", "-m", "blocked"], ["commit", "--json", "-m", "blocked"]] {
            let run = expectError(try E2E.run(arguments, in: dataset.path, now: "2026-03-01T10:00:01Z"), exit: 4,
                                  hint: true, mentioning: ["restore", "pid \(holder.pid)"])
            XCTAssertTrue(run.stderr.contains("2026-03-01T10:00:00"), "the refusal says since when\n\(run.transcript)")
        }
        // Metadata edits are refused too while a long operation runs.
        expectError(try E2E.run(["update", "current", "-d", "blocked"], in: dataset.path), exit: 4,
                    mentioning: ["restore", "pid \(holder.pid)"])
        XCTAssertEqual(try state(of: dataset.path), before, "a refused operation wrote something")
        XCTAssertTrue(holder.process.isRunning, "the holder must still be there")
        let holderText = try String(contentsOfFile: dataset.path + "/.dsnap/dsnap.lock", encoding: .utf8)
        XCTAssertTrue(holderText.contains("\"pid\":\(holder.pid)"), "the refused command rewrote the lock file: "
            + holderText)
    }

    func testReadsAreNotBlockedWhileTheLockIsHeld() throws {
        let (dataset, creation) = try makeDataset()
        let holder = try LockHolderProcess(dataset: dataset.path)
        defer { holder.kill() }
        XCTAssertEqual(try log(in: dataset.path).count, 1)
        XCTAssertEqual(try show("current", in: dataset.path)["snapshot_id"] as? String,
                       creation["snapshot_id"] as? String)
        let status = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        let running = try XCTUnwrap(status["running"] as? [String: Any], "status must name the running operation")
        XCTAssertEqual(running["command"] as? String, "restore")
        XCTAssertEqual(running["pid"] as? Int, Int(holder.pid))
        XCTAssertEqual(running["since"] as? String, "2026-03-01T10:00:00.000000Z")
        let human = expect(try E2E.run(["status"], in: dataset.path), exit: 0)
        XCTAssertTrue(human.stdout.contains("restore (pid \(holder.pid)"), human.transcript)

        holder.kill()
        // The lock file still names the dead holder (SIGKILL skipped any clean-up); status must not.
        let after = try jsonObject(try E2E.run(["status", "--json"], in: dataset.path))
        XCTAssertTrue(after["running"] is NSNull, "a dead holder is not running: \(after["running"] ?? "nil")")
    }

    func testTheLockDiesWithItsHolderSoTheNextCommitSucceeds() throws {
        let (dataset, creation) = try makeDataset()
        let holder = try LockHolderProcess(dataset: dataset.path)
        expectError(try E2E.run(["commit", "-m", "blocked"], in: dataset.path, now: "2026-03-01T10:00:01Z"), exit: 4)
        holder.kill()
        XCTAssertFalse(holder.process.isRunning)
        XCTAssertEqual(holder.process.terminationReason, .uncaughtSignal)

        let committed = try commit(["-m", "after the holder died"], in: dataset.path, now: "2026-03-01T10:00:02Z")
        let id = try XCTUnwrap(committed["snapshot_id"] as? String)
        XCTAssertEqual(committed["is_current"] as? Bool, true)
        XCTAssertEqual(try E2E.git(["rev-parse", "HEAD"], dataset: dataset.path).stdout, id + "\n")
        XCTAssertEqual(try log(in: dataset.path).compactMap { $0["snapshot_id"] as? String },
                       [id, try XCTUnwrap(creation["snapshot_id"] as? String)])
        // And the lock is free again for the next one.
        try commit(in: dataset.path, now: "2026-03-01T10:00:03Z")
        try assertFsckClean(dataset.path)
    }

    // MARK: concurrent metadata edits

    func testTenConcurrentUpdatesOnTenSnapshotsLoseNothing() throws {
        let (dataset, creation) = try makeDataset()
        var ids = [try XCTUnwrap(creation["snapshot_id"] as? String)]
        for index in 1..<10 {
            ids.append(try idOf(try commit(["-m", "s\(index)"], in: dataset.path,
                                                now: String(format: "2026-03-01T10:00:%02dZ", index))))
        }
        let notesBefore = Int(try E2E.git(["rev-list", "--count", "refs/notes/dsnap"], dataset: dataset.path)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0

        // Start all ten before waiting on any.
        let running = try ids.enumerated().map { index, id in
            try E2E.start(["update", id, "--description", "D_\(index)"], in: dataset.path)
        }
        let runs = running.map { $0.wait() }
        for run in runs { expect(run, exit: 0) }

        let byID = Dictionary(uniqueKeysWithValues: try log(in: dataset.path).map {
            ($0["snapshot_id"] as? String ?? "", $0)
        })
        for (index, id) in ids.enumerated() {
            XCTAssertEqual(byID[id]?["description"] as? String, "D_\(index)", "the update of \(id) was lost")
            XCTAssertEqual(byID[id]?["snapshot_name"] as? String,
                           index == 0 ? "basic_snapshot_" + id.prefix(8) : "s\(index)", "a name changed")
        }
        // Each update landed on the notes history; none overwrote another's.
        let notesAfter = Int(try E2E.git(["rev-list", "--count", "refs/notes/dsnap"], dataset: dataset.path)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        XCTAssertGreaterThanOrEqual(notesAfter, notesBefore + 10)
        try assertFsckClean(dataset.path)
    }

    func testTenConcurrentUpdatesOnTheSameSnapshotAllSucceed() throws {
        let (dataset, creation) = try makeDataset()
        let id = try XCTUnwrap(creation["snapshot_id"] as? String)
        let descriptions = (0..<10).map { "same snapshot, writer \($0)" }
        let running = try descriptions.map { try E2E.start(["update", id, "-d", $0], in: dataset.path) }
        for run in running.map({ $0.wait() }) { expect(run, exit: 0) }

        let final = try show(id, in: dataset.path)
        let description = try XCTUnwrap(final["description"] as? String)
        XCTAssertTrue(descriptions.contains(description), "final description '\(description)' is none of them")
        XCTAssertEqual(final["snapshot_name"] as? String, "basic_snapshot_" + id.prefix(8))
        XCTAssertEqual(final["reason"] as? String, "creation")
        let notes = Int(try E2E.git(["rev-list", "--count", "refs/notes/dsnap"], dataset: dataset.path)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        XCTAssertGreaterThanOrEqual(notes, 11, "every update must be a step on the notes history")
        try assertFsckClean(dataset.path)
        XCTAssertEqual(try E2E.git(["notes", "--ref=dsnap", "list"], dataset: dataset.path).stdout
            .split(separator: "\n").count, 1, "one note, on the one snapshot")
    }

    func testConcurrentDeletesAndUpdatesLoseNothing() throws {
        let (dataset, _) = try makeDataset()
        var ids: [String] = []
        for index in 0..<6 {
            ids.append(try idOf(try commit(["-m", "c\(index)"], in: dataset.path,
                                                now: String(format: "2026-03-01T10:00:%02dZ", index + 1))))
        }
        // ids[5] is current: delete three older ones while renaming two others, all at once.
        let running = try [
            E2E.start(["delete", ids[0]], in: dataset.path),
            E2E.start(["delete", ids[1]], in: dataset.path),
            E2E.start(["delete", ids[2]], in: dataset.path),
            E2E.start(["update", ids[3], "-m", "renamed 3"], in: dataset.path),
            E2E.start(["update", ids[4], "-m", "renamed 4"], in: dataset.path),
        ]
        for run in running.map({ $0.wait() }) { expect(run, exit: 0) }
        XCTAssertEqual(Set(try log(["--deleted"], in: dataset.path).compactMap { $0["snapshot_id"] as? String }),
                       Set(ids[0...2]))
        let names = try log(in: dataset.path).compactMap { $0["snapshot_name"] as? String }
        XCTAssertEqual(names.prefix(3), ["c5", "renamed 4", "renamed 3"])
        try assertFsckClean(dataset.path)
    }
}

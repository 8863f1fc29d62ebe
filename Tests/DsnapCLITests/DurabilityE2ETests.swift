import Foundation
import XCTest

/// A sync that fails is an operation that fails: exit 6 before any ref moves, nothing lost.
final class DurabilityE2ETests: XCTestCase {
    /// Runs dsnap under strace with every call of `syscalls` failing with EIO.
    private func runFailing(_ syscalls: [String], _ arguments: [String], in dataset: TemporaryDataset) throws
        -> DsnapRun? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else { return nil }
        var tool = ["-f", "-qq", "-o", "/dev/null"]
        for call in syscalls { tool += ["-e", "inject=\(call):error=EIO"] }
        return try RunningDsnap(tool + [DsnapProcess.binary] + arguments, in: dataset.path,
                                environment: DsnapProcess.environment(), executable: "/usr/bin/strace").wait()
    }

    func testACommitWhoseSyncFailsMovesNoRef() throws {
        let (dataset, creation) = try makeDataset()
        try dataset.write("{\"edited\": true}", to: "images/cats/a.json")
        guard let failed = try runFailing(["syncfs", "fsync"], ["commit", "-m", "never"], in: dataset) else {
            throw XCTSkip("strace is not installed: apt-get install strace")
        }
        XCTAssertEqual(failed.status, 6, failed.stderr)
        XCTAssertTrue(failed.stderr.hasPrefix("dsnap: error: "), failed.stderr)
        XCTAssertTrue(failed.stderr.contains("Input/output error"), failed.stderr)
        for marker in E2E.crashMarkers { XCTAssertFalse(failed.stderr.contains(marker), failed.stderr) }
        let current = try show("current", in: dataset.path)
        XCTAssertEqual(current["snapshot_id"] as? String, try idOf(creation), "HEAD moved")
        XCTAssertEqual(try log(in: dataset.path).count, 1)
        // Nothing lost: the edit is still there and commits once the disk behaves.
        XCTAssertEqual(try dataset.read("images/cats/a.json"), "{\"edited\": true}")
        try commit(["-m", "later"], in: dataset.path)
        expect(try E2E.run(["verify"], in: dataset.path), exit: 0)
    }

    func testARecordEditWhoseSyncFailsChangesNothing() throws {
        let (dataset, creation) = try makeDataset()
        guard let failed = try runFailing(["fsync"], ["update", "current", "--name", "never"], in: dataset) else {
            throw XCTSkip("strace is not installed: apt-get install strace")
        }
        XCTAssertEqual(failed.status, 6, failed.stderr)
        XCTAssertEqual(try show("current", in: dataset.path)["snapshot_name"] as? String,
                       creation["snapshot_name"] as? String)
    }

    /// A refs folder that cannot be read is a storage error, never an empty catalog: log listed no
    /// snapshot and undelete said a deleted one was not found (exit 3) when the folder's open failed.
    func testAnUnreadableRefsFolderIsExit6NotAnEmptyCatalog() throws {
        let (dataset, _) = try makeDataset()
        try dataset.write("{\"more\": 1}", to: "extra.json")
        let second = try commit(["-m", "second"], in: dataset.path)
        try commit(["-m", "third"], in: dataset.path)
        expect(try E2E.run(["delete", try idOf(second)], in: dataset.path), exit: 0)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            throw XCTSkip("strace is not installed: apt-get install strace")
        }
        for (folder, arguments) in [("snapshots", ["log"]), ("deleted", ["undelete", try idOf(second)]),
                                    ("deleted", ["log", "--deleted"])] {
            // Only the opens of that one folder fail (strace -P), every time.
            let run = try RunningDsnap(["-f", "-qq", "-o", "/dev/null", "-P", dataset.path + "/.dsnap/refs/dsnap/" + folder,
                                        "-e", "trace=openat", "-e", "inject=openat:error=EIO", DsnapProcess.binary]
                                       + arguments, in: dataset.path, environment: DsnapProcess.environment(),
                                       executable: "/usr/bin/strace").wait()
            XCTAssertEqual(run.status, 6, "\(arguments): \(run.stdout) \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("refs/dsnap/\(folder)"), run.stderr)
        }
        expect(try E2E.run(["undelete", try idOf(second)], in: dataset.path), exit: 0)
    }

    /// Every open that gc makes, failed in turn with ENOSPC (as a full disk fails it): each run
    /// ends with exit 0 or a clear exit 6, never 'internal error', and the store stays sound.
    func testGCWithAnyOpenFailingIsNeverAnInternalError() throws {
        let (dataset, _) = try makeDataset()
        for index in 0..<20 { try dataset.write("{\"i\": \(index)}", to: "extra/\(index).json") }
        try commit(["-m", "more"], in: dataset.path)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            throw XCTSkip("strace is not installed: apt-get install strace")
        }
        var failed = 0
        for call in stride(from: 1, through: 400, by: 9) {
            let run = try RunningDsnap(["-f", "-qq", "-o", "/dev/null", "-e", "inject=openat:error=ENOSPC:when=\(call)",
                                        DsnapProcess.binary, "gc"], in: dataset.path,
                                       environment: DsnapProcess.environment(), executable: "/usr/bin/strace").wait()
            // Not dsnap's to handle: the dynamic loader's opens (first), libdispatch's of /proc
            // (strace counts per thread), and the Swift runtime's of /proc/self/cmdline (the
            // arguments then read as none). No disk error reaches /proc.
            guard run.status != 127, !run.stderr.contains("_dispatch_workq_monitor_pools"),
                  !run.stderr.hasPrefix("usage: dsnap") else { continue }
            XCTAssertTrue([0, 6].contains(run.status), "open #\(call): \(run.transcript)")
            XCTAssertFalse(run.stderr.contains("internal error"), "open #\(call): \(run.transcript)")
            if run.status == 6 { failed += 1 }
        }
        XCTAssertGreaterThan(failed, 0, "no injected failure reached gc")
        expect(try E2E.run(["gc"], in: dataset.path), exit: 0)
        expect(try E2E.run(["verify"], in: dataset.path), exit: 0)
    }
}

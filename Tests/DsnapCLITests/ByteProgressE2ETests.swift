import Foundation
import XCTest

/// The progress line counts bytes: a commit, restore or clone of one large file shows how many of
/// its bytes are done while it runs, on a terminal only, and never on a pipe or with --quiet.
final class ByteProgressE2ETests: XCTestCase {
    private let mebibyte = 1 << 20

    /// The fixed environment, with the progress line drawn from the first report on.
    private func environment(_ extra: [String: String] = [:]) -> [String: String] {
        DsnapProcess.environment(extra: ["DSNAP_PROGRESS_DELAY": "0"].merging(extra) { $1 })
    }

    /// The progress lines drawn for `phase` before the work was done: `(percent, done, total)`,
    /// with colour codes taken out.
    private func linesBeforeTheEnd(of phase: String, in terminal: String) -> [(percent: Int, done: String, total: String)] {
        let plain = terminal.replacingOccurrences(of: #"\x{1B}\[[0-9;]*m"#, with: "", options: .regularExpression)
        let pattern = try! NSRegularExpression(
            pattern: "\r\(phase) +([0-9]+)%  ([0-9.]+ (?:B|KiB|MiB|GiB)) / ([0-9.]+ (?:KiB|MiB|GiB))  ")
        let range = NSRange(plain.startIndex..., in: plain)
        return pattern.matches(in: plain, range: range).compactMap { match in
            let text = { (group: Int) in String(plain[Range(match.range(at: group), in: plain)!]) }
            guard let percent = Int(text(1)), percent < 100 else { return nil }
            return (percent, text(2), text(3))
        }
    }

    /// A dataset whose second snapshot adds one file of `size` bytes (zeros: the content does not
    /// matter, a `.mp4` is stored as it is), made without a terminal.
    private func datasetWithOneLargeFile(size: Int) throws -> TemporaryDataset {
        let data = try TemporaryDataset(emptyNamed: "large")
        try data.write("{\"fps\": 25}\n", to: "video.json")
        XCTAssertEqual(try DsnapProcess.run(["init", "-q"], in: data.path).status, 0)
        let descriptor = open(data.path + "/video.mp4", O_WRONLY | O_CREAT, 0o644)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        XCTAssertEqual(ftruncate(descriptor, off_t(size)), 0)
        close(descriptor)
        return data
    }

    func testOneLargeFileShowsItsBytesWhileItIsCommittedRestoredAndCloned() throws {
        // The line is drawn from reports a tenth of a second apart: a file copied faster than
        // that shows none, so the test runs again with a file four times the size.
        var missing: [String] = []
        for size in [256 * mebibyte, 1024 * mebibyte] {
            missing = try phasesWithoutProgress(size: size)
            if missing.isEmpty { return }
        }
        XCTFail("no progress line before the end, even for 1 GiB, in: \(missing.joined(separator: "; "))")
    }

    /// Runs commit, restore and clone of one file of `size` bytes at a terminal; returns the
    /// phases that drew no line before the end (each run is checked otherwise).
    private func phasesWithoutProgress(size: Int) throws -> [String] {
        let data = try datasetWithOneLargeFile(size: size)
        let total = size < 1 << 30 ? "\(size >> 20).0 MiB" : "\(size >> 30).0 GiB"
        var missing: [String] = []

        let committing = try PseudoTerminal.run(["commit", "-m", "with video"], in: data.path, environment: environment())
        XCTAssertEqual(committing.status, 0, committing.terminal)
        XCTAssertTrue(committing.stdout.contains("with video"), committing.stdout)
        let snapshotting = linesBeforeTheEnd(of: "snapshotting", in: committing.terminal)
        if snapshotting.isEmpty { missing.append("commit: " + committing.terminal.debugDescription.prefix(300)) }
        XCTAssertTrue(snapshotting.allSatisfy { $0.total == total }, "\(snapshotting)")
        // Coloured on a terminal, and erased once done: the summary follows on a clean line.
        if !snapshotting.isEmpty {
            XCTAssertTrue(committing.terminal.contains("\u{1B}[32msnapshotting\u{1B}[0m"))
            XCTAssertTrue(committing.terminal.hasSuffix("\r\u{1B}[K"), committing.terminal.debugDescription.suffix(200).description)
        }
        let withVideo = try idOf(snapshotObject(E2E.run(["show", "current", "--json"], in: data.path)))

        try FileManager.default.removeItem(atPath: data.path + "/video.mp4")
        let without = try idOf(commit(["-m", "without"], in: data.path))
        let restore = try PseudoTerminal.run(["restore", withVideo], in: data.path, environment: environment())
        XCTAssertEqual(restore.status, 0, restore.terminal)
        let restoring = linesBeforeTheEnd(of: "restoring", in: restore.terminal)
        if restoring.isEmpty { missing.append("restore: " + restore.terminal.debugDescription.prefix(300)) }
        XCTAssertTrue(restoring.allSatisfy { $0.total == total }, "\(restoring)")
        // The count moves within the one file: "0 of 1 file" while its bytes go by.
        if let first = restoring.first {
            XCTAssertTrue(restore.terminal.contains("0 of 1 file"), restore.terminal.debugDescription)
            XCTAssertNotEqual(first.done, total)
        }

        let clone = try PseudoTerminal.run(["clone", withVideo, data.path + "-copy"], in: data.path,
                                           environment: environment(["NO_COLOR": "1"]))
        defer { try? FileManager.default.removeItem(atPath: data.path + "-copy") }
        XCTAssertEqual(clone.status, 0, clone.terminal)
        let cloning = linesBeforeTheEnd(of: "cloning", in: clone.terminal)
        if cloning.isEmpty { missing.append("clone: " + clone.terminal.debugDescription.prefix(300)) }
        XCTAssertTrue(cloning.allSatisfy { $0.total == total }, "\(cloning)")
        XCTAssertFalse(clone.terminal.contains("\u{1B}[3"), "NO_COLOR is set: \(clone.terminal.debugDescription)")

        // Never on a pipe, never with --quiet, however long the work.
        expect(try E2E.run(["restore", without], in: data.path), exit: 0)
        let piped = try DsnapProcess.run(["restore", withVideo], in: data.path, environment: environment())
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.stderr, "", "stderr is a pipe: no progress")
        expect(try E2E.run(["restore", without], in: data.path), exit: 0)
        let quiet = try PseudoTerminal.run(["restore", "-q", withVideo], in: data.path, environment: environment())
        XCTAssertEqual(quiet.status, 0, quiet.terminal)
        XCTAssertEqual(quiet.terminal, "", "--quiet: no progress")
        return missing
    }
}

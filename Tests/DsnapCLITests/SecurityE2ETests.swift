import Foundation
import XCTest

/// Snapshot trees may come from elsewhere: checkout never writes outside the work tree, never into
/// `.dsnap` or a `.git`, and never through a symlink.
final class SecurityE2ETests: XCTestCase {
    /// Writes a tree object with raw entries (`mode name sha`), as a hostile tool could.
    private func writeTree(_ entries: [(mode: String, name: String, id: String)], in dataset: String) throws -> String {
        var bytes = Data()
        for entry in entries {
            bytes += Data("\(entry.mode) \(entry.name)\0".utf8)
            var hex = Substring(entry.id)
            while !hex.isEmpty {
                bytes.append(UInt8(hex.prefix(2), radix: 16)!)
                hex = hex.dropFirst(2)
            }
        }
        let input = NSTemporaryDirectory() + "tree-\(UUID().uuidString)"
        try bytes.write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let result = try DsnapProcess.runTool("git", ["--git-dir=.dsnap", "hash-object", "-w", "-t", "tree",
                                                     "--literally", input], in: dataset)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func git(_ arguments: [String], in dataset: String) throws -> String {
        let result = try DsnapProcess.runTool("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com",
                                                     "--git-dir=.dsnap"] + arguments, in: dataset)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testHostileTreesAreRefusedBeforeAnythingIsWritten() throws {
        let data = try TemporaryDataset(fixture: "basic")
        XCTAssertEqual(try DsnapProcess.run(["init", "-q"], in: data.path).status, 0)
        let blobFile = data.path + "/../payload"
        try "pwned".write(toFile: blobFile, atomically: false, encoding: .utf8)
        let blob = try git(["hash-object", "-w", blobFile], in: data.path)
        let inner = try writeTree([("100644", "escape.txt", blob)], in: data.path)
        let nestedGit = try writeTree([("40000", ".git", inner), ("100644", "ok.txt", blob)], in: data.path)
        let hostileRoots = [
            try writeTree([("40000", "..", inner), ("100644", "ok.txt", blob)], in: data.path),
            try writeTree([("40000", ".dsnap", inner), ("100644", "ok.txt", blob)], in: data.path),
            try writeTree([("40000", ".DSNAP", inner), ("100644", "ok.txt", blob)], in: data.path),
            try writeTree([("40000", ".git", inner), ("100644", "ok.txt", blob)], in: data.path),
            try writeTree([("40000", "sub", nestedGit)], in: data.path),
        ]
        for root in hostileRoots {
            let commit = try git(["commit-tree", "-m", "hostile", root], in: data.path)
            _ = try git(["update-ref", "refs/dsnap/snapshots/\(commit)", commit], in: data.path)
            let result = try DsnapProcess.run(["restore", commit], in: data.path)
            XCTAssertEqual(result.status, 5, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("dsnap: error: refusing unsafe path"), result.stderr)
            for leaked in ["../escape.txt", ".dsnap/escape.txt", ".git", "sub", "ok.txt"] {
                XCTAssertFalse(FileManager.default.fileExists(atPath: data.path + "/" + leaked), "\(leaked) was written")
            }
            let status = try parseJSON(try DsnapProcess.run(["status", "--json"], in: data.path).stdout) as? [String: Any]
            XCTAssertEqual(status?["state"] as? String, "Ready", "a refused restore must leave the dataset as it was")
        }
    }

    func testRestoreNeverWritesThroughASymlinkedFolder() throws {
        let data = try TemporaryDataset(fixture: "basic")
        XCTAssertEqual(try DsnapProcess.run(["init", "-q"], in: data.path).status, 0)
        let first = try DsnapProcess.run(["log", "--json"], in: data.path)
        let creation = try XCTUnwrap((try parseJSON(first.stdout) as? [[String: Any]])?.first?["snapshot_id"] as? String)
        // Replace the `images/cats` folder by a link to a folder outside the dataset, and commit it.
        let outside = (data.path as NSString).deletingLastPathComponent + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.removeItem(atPath: data.path + "/images/cats")
        try FileManager.default.createSymbolicLink(atPath: data.path + "/images/cats", withDestinationPath: outside)
        XCTAssertEqual(try DsnapProcess.run(["commit", "-q", "-m", "linked"], in: data.path,
                                            environment: DsnapProcess.environment(now: "2026-03-01T10:00:01Z")).status, 0)

        let restored = try DsnapProcess.run(["restore", creation], in: data.path)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), [], "wrote through the link")
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: data.path + "/images/cats/a.jpg", isDirectory: &isDirectory))
        let attributes = try FileManager.default.attributesOfItem(atPath: data.path + "/images/cats")
        XCTAssertEqual(attributes[.type] as? FileAttributeType, .typeDirectory)
    }

    func testEditsMadeAfterAnInterruptedRestoreAreAutosaved() throws {
        let data = try TemporaryDataset(fixture: "basic")
        let initResult = try DsnapProcess.run(["init", "--json"], in: data.path)
        let initResultJSON = (try parseJSON(initResult.stdout) as? [String: Any])?["snapshot"] as? [String: Any]
        let creation = try XCTUnwrap(initResultJSON?["snapshot_id"] as? String)
        try data.write("second", to: "labels.csv")
        XCTAssertEqual(try DsnapProcess.run(["commit", "-q", "-m", "second"], in: data.path,
                                            environment: DsnapProcess.environment(now: "2026-03-01T10:00:01Z")).status, 0)
        // Simulate a restore killed before it wrote anything: its durable marker, no process.
        try (creation + "\n").write(toFile: data.path + "/.dsnap/RESTORE_TARGET", atomically: true, encoding: .utf8)
        try data.write("edited after the crash", to: "labels.csv")

        let finished = try DsnapProcess.run(["restore", "--continue", "--json"], in: data.path,
                                            environment: DsnapProcess.environment(now: "2026-03-01T10:00:02Z"))
        XCTAssertEqual(finished.status, 0, finished.stderr)
        let result = try XCTUnwrap(try parseJSON(finished.stdout) as? [String: Any])
        XCTAssertEqual(result["continued"] as? Bool, true)
        let autosave = try XCTUnwrap(result["autosave"] as? [String: Any], "the edit was not saved")
        XCTAssertEqual(autosave["is_current"] as? Bool, false)
        let autosaveID = try XCTUnwrap(autosave["snapshot_id"] as? String)
        XCTAssertEqual(try data.read("labels.csv").prefix(11), "category_id")
        XCTAssertEqual(try git(["cat-file", "blob", "\(autosaveID):labels.csv"], in: data.path), "edited after the crash")
    }
}

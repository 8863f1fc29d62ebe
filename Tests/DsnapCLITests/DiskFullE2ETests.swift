import Foundation
import XCTest

/// A full disk is a clear exit 6 that loses nothing: run on a tiny tmpfs (skipped where this
/// process may not mount one).
final class DiskFullE2ETests: XCTestCase {
    private var mountPoint: String?

    override func tearDown() {
        if let mountPoint {
            _ = try? DsnapProcess.runTool("umount", [mountPoint], in: "/")
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        super.tearDown()
    }

    /// A fresh tmpfs of `megabytes`, or a skip when mounting is not allowed here.
    private func tinyDisk(megabytes: Int) throws -> String {
        let path = NSTemporaryDirectory() + "dsnap-full-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mounted = try DsnapProcess.runTool("mount", ["-t", "tmpfs", "-o", "size=\(megabytes)M", "tmpfs", path], in: "/")
        guard mounted.status == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw XCTSkip("cannot mount a tmpfs here: \(mounted.stderr)")
        }
        mountPoint = path
        return path
    }

    private func fill(_ path: String, bytes: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try data.write(to: URL(fileURLWithPath: path))
    }

    func testACommitOnAFullDiskExits6AndTheNextOneWorks() throws {
        let disk = try tinyDisk(megabytes: 3)
        let data = disk + "/ds"
        let fixture = try TemporaryDataset(fixture: "basic")
        try FileManager.default.copyItem(atPath: fixture.path, toPath: data)
        XCTAssertEqual(try DsnapProcess.run(["init", "-q"], in: data).status, 0)
        try fill(data + "/big.mp4", bytes: 2_500_000)

        let full = try DsnapProcess.run(["commit", "-m", "too big"], in: data)
        XCTAssertEqual(full.status, 6, full.stderr)
        XCTAssertTrue(full.stderr.hasPrefix("dsnap: error: no space left on device"), full.stderr)
        XCTAssertTrue(full.stderr.contains("hint:"), full.stderr)
        let objects = try FileManager.default.contentsOfDirectory(atPath: data + "/.dsnap/objects")
        XCTAssertEqual(objects.filter { $0.hasPrefix("tmp_") }, [], "a partial object was left behind")
        XCTAssertEqual(try DsnapProcess.runTool("git", ["--git-dir=.dsnap", "fsck", "--full"], in: data).status, 0)

        try FileManager.default.removeItem(atPath: data + "/big.mp4")
        let after = try DsnapProcess.run(["commit", "-q", "-m", "after"], in: data,
                                         environment: DsnapProcess.environment(now: "2026-03-01T10:00:01Z"))
        XCTAssertEqual(after.status, 0, after.stderr)
    }

    func testARestoreOnAFullDiskIsFinishedOnceThereIsRoom() throws {
        let disk = try tinyDisk(megabytes: 8)
        let data = disk + "/ds"
        let fixture = try TemporaryDataset(fixture: "basic")
        try FileManager.default.copyItem(atPath: fixture.path, toPath: data)
        try fill(data + "/big.mp4", bytes: 2_500_000)
        let created = try DsnapProcess.run(["init", "--json"], in: data)
        let createdJSON = (try parseJSON(created.stdout) as? [String: Any])?["snapshot"] as? [String: Any]
        let withBig = try XCTUnwrap(createdJSON?["snapshot_id"] as? String)
        try FileManager.default.removeItem(atPath: data + "/big.mp4")
        XCTAssertEqual(try DsnapProcess.run(["commit", "-q", "-m", "small"], in: data,
                                            environment: DsnapProcess.environment(now: "2026-03-01T10:00:01Z")).status, 0)
        try fill(disk + "/filler", bytes: 4_000_000)

        let failed = try DsnapProcess.run(["restore", withBig], in: data)
        XCTAssertEqual(failed.status, 6, failed.stderr)
        let status = try XCTUnwrap(try parseJSON(try DsnapProcess.run(["status", "--json"], in: data).stdout) as? [String: Any])
        XCTAssertEqual(status["state"] as? String, "Error")

        try FileManager.default.removeItem(atPath: disk + "/filler")
        let finished = try DsnapProcess.run(["restore", "--continue"], in: data,
                                            environment: DsnapProcess.environment(now: "2026-03-01T10:00:02Z"))
        XCTAssertEqual(finished.status, 0, finished.stderr)
        let blob = try DsnapProcess.runTool("git", ["--git-dir=.dsnap", "cat-file", "-s", "\(withBig):big.mp4"], in: data)
        let size = try XCTUnwrap((try FileManager.default.attributesOfItem(atPath: data + "/big.mp4"))[.size] as? Int)
        XCTAssertEqual(String(size), blob.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(try DsnapProcess.runTool("git", ["--git-dir=.dsnap", "fsck", "--full"], in: data).status, 0)
    }

    func testAGCOnAFullDiskExits6LeavesNoPartialPackAndTheNextOneWorks() throws {
        let disk = try tinyDisk(megabytes: 4)
        let data = disk + "/ds"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        for index in 0..<100 { try "{\"i\": \(index)}".write(toFile: data + "/s\(index).json", atomically: false, encoding: .utf8) }
        XCTAssertEqual(try DsnapProcess.run(["init", "-q"], in: data).status, 0)
        // Fill the disk to the last byte: a file grows until the write fails.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: { () -> String in
            _ = FileManager.default.createFile(atPath: disk + "/filler", contents: nil)
            return disk + "/filler"
        }()))
        let chunk = Data(count: 64 * 1024)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        try? handle.close()

        let full = try DsnapProcess.run(["gc"], in: data)
        XCTAssertEqual(full.status, 6, full.stderr)
        XCTAssertTrue(full.stderr.hasPrefix("dsnap: error: no space left on device"), full.stderr)
        let packs = (try? FileManager.default.contentsOfDirectory(atPath: data + "/.dsnap/objects/pack")) ?? []
        XCTAssertEqual(packs.filter { $0.hasPrefix("tmp_") }, [], "a partial pack was left behind")
        XCTAssertEqual(try DsnapProcess.runTool("git", ["--git-dir=.dsnap", "fsck", "--full"], in: data).status, 0)

        try FileManager.default.removeItem(atPath: disk + "/filler")
        let after = try DsnapProcess.run(["gc"], in: data)
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertEqual(try DsnapProcess.run(["verify"], in: data).status, 0)
    }
}

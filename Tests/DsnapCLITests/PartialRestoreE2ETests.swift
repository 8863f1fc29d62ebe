import Foundation
import XCTest

/// Reading and restoring parts of a snapshot: `dsnap show SNAP:PATH` (a file byte for byte, a
/// folder's listing) and `dsnap restore SNAP -- PATH...` (those paths only, with restore's safety,
/// the current snapshot unmoved), end to end on the built binary.
final class PartialRestoreE2ETests: XCTestCase {
    /// Runs dsnap with stdout kept as bytes (`DsnapRun` decodes it as text, which binary is not).
    private func rawStdout(_ arguments: [String], in directory: String) throws -> (status: Int32, stdout: Data, stderr: String) {
        try DsnapProcess.runRaw(arguments, in: directory)
    }

    /// Every file and link under `root` (`.dsnap` aside), by path: its kind and bytes.
    private func fingerprint(_ root: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let manager = FileManager.default
        func walk(_ relative: String) throws {
            for name in try manager.contentsOfDirectory(atPath: relative.isEmpty ? root : root + "/" + relative) {
                let path = relative.isEmpty ? name : relative + "/" + name
                if path == ".dsnap" { continue }
                let type = try manager.attributesOfItem(atPath: root + "/" + path)[.type] as? FileAttributeType
                switch type {
                case .typeDirectory?: try walk(path)
                case .typeSymbolicLink?:
                    result[path] = Data(("link " + (try manager.destinationOfSymbolicLink(atPath: root + "/" + path))).utf8)
                default: result[path] = try Data(contentsOf: URL(fileURLWithPath: root + "/" + path))
                }
            }
        }
        try walk("")
        return result
    }

    private func head(_ root: String) throws -> String {
        try E2E.git(["rev-parse", "HEAD"], dataset: root).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A binary media file of more than 2 MiB holding every byte value, NULs and invalid UTF-8
    /// included: printed across several of the reader's 1 MiB chunks.
    private func binaryVideo() -> Data {
        var bytes = Data(capacity: 2_500_000)
        var state: UInt32 = 12345
        for position in 0..<2_500_000 {
            state = state &* 1_103_515_245 &+ 12345
            bytes.append(position < 256 ? UInt8(position) : UInt8(truncatingIfNeeded: state >> 16))
        }
        return bytes
    }

    // MARK: show SNAP:PATH

    func testShowPrintsAFileByteForByte() throws {
        let (data, creation) = try makeDataset()
        let video = binaryVideo()
        try video.write(to: URL(fileURLWithPath: data.path + "/videos/big.mp4"))
        let second = try idOf(try commit(["-m", "with big"], in: data.path))
        // Changed in the work tree afterwards: show reads the snapshot, never the folder.
        try Data("not the snapshot's".utf8).write(to: URL(fileURLWithPath: data.path + "/videos/big.mp4"))

        let shownVideo = try rawStdout(["show", "\(second.prefix(8)):videos/big.mp4"], in: data.path)
        XCTAssertEqual(shownVideo.status, 0, shownVideo.stderr)
        XCTAssertEqual(shownVideo.stderr, "")
        XCTAssertTrue(shownVideo.stdout == video, "the video's bytes differ (\(shownVideo.stdout.count) bytes printed)")

        let fixtureJSON = try Data(contentsOf: URL(fileURLWithPath: data.path + "/images/cats/a.json"))
        let shownJSON = try rawStdout(["show", "\(try idOf(creation)):images/cats/a.json"], in: data.path)
        XCTAssertEqual(shownJSON.status, 0, shownJSON.stderr)
        XCTAssertEqual(shownJSON.stdout, fixtureJSON, "no newline added, nothing escaped")

        // The same bytes git itself prints for the same path.
        let viaGit = try E2E.git(["show", "\(second):images/cats/a.json"], dataset: data.path)
        XCTAssertEqual(viaGit.stdout, String(decoding: fixtureJSON, as: UTF8.self))

        // --json describes the file instead of printing it.
        let described = try jsonObject(try E2E.run(["show", "--json", "current:videos/big.mp4"], in: data.path))
        XCTAssertEqual(described["path"] as? String, "videos/big.mp4")
        XCTAssertEqual(described["kind"] as? String, "file")
        XCTAssertEqual(described["class"] as? String, "video")
        XCTAssertEqual(described["size"] as? Int, video.count)
        XCTAssertEqual(described["snapshot_id"] as? String, second)
    }

    func testShowListsAFolder() throws {
        let (data, _) = try makeDataset()
        let listing = expect(try E2E.run(["show", "current:images"], in: data.path), exit: 0)
        XCTAssertEqual(listing.stdout, "café/\ncats/\ndogs/\n日本/\n")
        XCTAssertEqual(listing.stderr, "")
        XCTAssertEqual(expect(try E2E.run(["show", "current:images/cats/"], in: data.path), exit: 0).stdout,
                       "a.jpg\na.json\n")
        XCTAssertEqual(expect(try E2E.run(["show", "current:"], in: data.path), exit: 0).stdout,
                       "images/\nlabels.csv\nvideos/\n")

        let json = try jsonObject(try E2E.run(["show", "--json", "current:images/dogs"], in: data.path))
        XCTAssertEqual(json["path"] as? String, "images/dogs")
        XCTAssertEqual(json["kind"] as? String, "folder")
        let entries = try XCTUnwrap(json["entries"] as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["path"] as? String }, ["images/dogs/IMG_0001.JPG", "images/dogs/b.png",
                                                               "images/dogs/b.png.json"])
        XCTAssertEqual(entries.map { $0["class"] as? String }, ["image", "image", "json"])
        let top = try jsonObject(try E2E.run(["show", "--json", "current:"], in: data.path))
        let first = try XCTUnwrap((top["entries"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["kind"] as? String, "folder")
        XCTAssertTrue(first["class"] is NSNull, "a folder has no class")
    }

    func testShowOfAMissingPathExits3WithTheNearestNames() throws {
        let (data, _) = try makeDataset()
        let missing = expectError(try E2E.run(["show", "current:images/cat/a.jpg"], in: data.path), exit: 3,
                                  hint: true, mentioning: ["'images/cat/a.jpg'", "'current'"])
        XCTAssertTrue(missing.stderr.contains("hint:   images/cats/\n"), missing.transcript)
        XCTAssertTrue(missing.stderr.contains("'dsnap show current:images/'"), missing.transcript)

        let file = expectError(try E2E.run(["show", "current:images/cats/a.jsn"], in: data.path), exit: 3,
                               hint: true)
        XCTAssertTrue(file.stderr.contains("hint:   images/cats/a.json\n"), file.transcript)
        XCTAssertTrue(file.stderr.contains("'dsnap show current:images/cats/'"), file.transcript)

        expectError(try E2E.run(["show", "nosuch:labels.csv"], in: data.path), exit: 3, mentioning: ["'nosuch'"])
        expectError(try E2E.run(["show", ":labels.csv"], in: data.path), exit: 2)
        expectError(try E2E.run(["show", "current:../outside"], in: data.path), exit: 2)
        expectError(try E2E.run(["show", "current:.dsnap/config"], in: data.path), exit: 2)
        expectError(try E2E.run(["show", "--files", "current:images"], in: data.path), exit: 2)
    }

    func testShowPathsFromASubfolderAreRelativeOnlyWithDotSlash() throws {
        let (data, _) = try makeDataset()
        let json = try data.read("images/cats/a.json")
        let labels = try data.read("labels.csv")
        let images = data.path + "/images"
        XCTAssertEqual(expect(try E2E.run(["show", "current:./cats/a.json"], in: images), exit: 0).stdout, json)
        XCTAssertEqual(expect(try E2E.run(["show", "current:../labels.csv"], in: images), exit: 0).stdout, labels)
        // Without ./ the path is from the dataset folder, as in git.
        XCTAssertEqual(expect(try E2E.run(["show", "current:images/cats/a.json"], in: images), exit: 0).stdout, json)
        XCTAssertEqual(expect(try E2E.run(["show", "current:."], in: data.path + "/images/cats"), exit: 0).stdout,
                       "a.jpg\na.json\n")
        expectError(try E2E.run(["show", "current:cats/a.json"], in: images), exit: 3)
    }

    func testBinaryContentIsNeverPagedAndTextIs() throws {
        let (data, _) = try makeDataset()
        let folder = (data.path as NSString).deletingLastPathComponent
        let pager = folder + "/pager.sh"
        try "#!/bin/sh\necho ran >> '\(folder)/ran'\ncat > /dev/null\n".write(toFile: pager, atomically: true, encoding: .utf8)
        chmod(pager, 0o755)
        // stdout on a pseudo-terminal (script(1)), where show pages.
        func onTerminal(_ arguments: [String]) throws -> String? {
            try? FileManager.default.removeItem(atPath: folder + "/ran")
            let command = ([DsnapProcess.binary] + arguments).joined(separator: " ")
            let run = try XCTUnwrap(try RunningDsnap(["-qec", command, "/dev/null"], in: data.path,
                                                     environment: DsnapProcess.environment(extra: ["DSNAP_PAGER": pager]),
                                                     executable: "/usr/bin/script").wait(killingAfter: 60))
            XCTAssertEqual(run.status, 0, run.transcript)
            return try? String(contentsOfFile: folder + "/ran", encoding: .utf8)
        }
        XCTAssertNil(try onTerminal(["show", "current:images/cats/a.jpg"]), "binary content went through the pager")
        XCTAssertEqual(try onTerminal(["show", "current:images/cats/a.json"]), "ran\n", "text content was not paged")
        XCTAssertEqual(try onTerminal(["show", "current:images"]), "ran\n", "a listing was not paged")
    }

    // MARK: restore SNAP -- PATH...

    /// A dataset whose second (current) snapshot changed images/cats and more; returns the ids.
    private func twoSnapshots() throws -> (TemporaryDataset, creation: String, second: String) {
        let (data, creation) = try makeDataset()
        try data.write(#"{"labels": ["dog"]}"#, to: "images/cats/a.json")
        try data.write("added in second\n", to: "images/cats/new.txt")
        try data.write("edited in second\n", to: "labels.csv")
        try FileManager.default.removeItem(atPath: data.path + "/images/dogs/b.png")
        let second = try idOf(try commit(["-m", "second"], in: data.path, now: "2026-03-01T10:00:01Z"))
        return (data, try idOf(creation), second)
    }

    func testAPartialRestoreOfOneFolderLeavesTheRestUntouched() throws {
        let (data, creation, second) = try twoSnapshots()
        let pristine = try TemporaryDataset()
        let fixture = try fingerprint(pristine.path)
        let before = try fingerprint(data.path)

        let run = expect(try E2E.run(["restore", String(creation.prefix(8)), "--", "images/cats"], in: data.path), exit: 0)
        XCTAssertEqual(run.stdout, "restored images/cats from \(creation.prefix(12)) basic_snapshot_\(creation.prefix(8))\n"
            + "  1 file written, 1 removed; not committed: 'dsnap status' lists the changes\n")
        XCTAssertEqual(run.stderr, "")

        let after = try fingerprint(data.path)
        for (path, bytes) in before where !path.hasPrefix("images/cats/") {
            XCTAssertEqual(after[path], bytes, "'\(path)' outside the restored folder changed")
        }
        XCTAssertEqual(Set(after.keys.filter { !$0.hasPrefix("images/cats/") }),
                       Set(before.keys.filter { !$0.hasPrefix("images/cats/") }))
        for (path, bytes) in fixture where path.hasPrefix("images/cats/") {
            XCTAssertEqual(after[path], bytes, "'\(path)' is not the snapshot's")
        }
        XCTAssertNil(after["images/cats/new.txt"], "a file the snapshot lacks under the folder stayed")

        // The current snapshot did not move; status lists the restored paths as changes.
        XCTAssertEqual(try head(data.path), second)
        let status = try jsonObject(try E2E.run(["status", "--json"], in: data.path))
        let changes = try XCTUnwrap(status["files"] as? [[String: Any]])
        XCTAssertEqual(changes.compactMap { $0["path"] as? String }, ["images/cats/a.json", "images/cats/new.txt"])
        XCTAssertEqual(changes.compactMap { $0["status"] as? String }, ["modified", "removed"])
        XCTAssertEqual((status["snapshot"] as? [String: Any])?["snapshot_id"] as? String, second)

        // A commit now takes exactly that content; the store stays plain, sound git.
        let third = try idOf(try commit(["-m", "third"], in: data.path, now: "2026-03-01T10:00:02Z"))
        let diff = expect(try E2E.run(["diff", "--name-status", second, third], in: data.path), exit: 0)
        XCTAssertEqual(diff.stdout, "M\timages/cats/a.json\nD\timages/cats/new.txt\n")
        let fsck = try E2E.git(["fsck", "--full"], dataset: data.path)
        XCTAssertEqual(fsck.status, 0, fsck.stderr)
    }

    func testRestoringFilesFromASubfolderAndTheJSONResult() throws {
        let (data, creation, second) = try twoSnapshots()
        let images = data.path + "/images"
        let json = try jsonObject(try E2E.run(["restore", "--json", creation, "--", "dogs/b.png", "../labels.csv"],
                                              in: images))
        XCTAssertEqual((json["snapshot"] as? [String: Any])?["snapshot_id"] as? String, creation)
        XCTAssertEqual((json["snapshot"] as? [String: Any])?["is_current"] as? Bool, false)
        XCTAssertEqual(json["paths"] as? [String], ["images/dogs/b.png", "labels.csv"])
        XCTAssertTrue(json["autosave"] is NSNull)
        XCTAssertEqual(json["files_written"] as? Int, 2)
        XCTAssertEqual(json["files_removed"] as? Int, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: images + "/dogs/b.png"))
        XCTAssertEqual(try data.read("images/cats/a.json"), #"{"labels": ["dog"]}"#, "a path not asked for changed")
        XCTAssertEqual(try head(data.path), second)

        // A path neither side has is a mistake, not a silent success.
        let missing = expectError(try E2E.run(["restore", creation, "--", "dogs/b.pgn"], in: images), exit: 3,
                                  hint: true, mentioning: ["'images/dogs/b.pgn'"])
        XCTAssertTrue(missing.stderr.contains("hint:   images/dogs/b.png\n"), missing.transcript)
        expectError(try E2E.run(["restore", creation, "--"], in: data.path), exit: 2)
        expectError(try E2E.run(["restore", "--continue", "--", "labels.csv"], in: data.path), exit: 2)
        expectError(try E2E.run(["restore", creation, "--", "../elsewhere"], in: data.path), exit: 2)
        expectError(try E2E.run(["restore", creation, "--", ".dsnap/config"], in: data.path), exit: 2)
    }

    func testChangesInThosePathsRefuseUnlessDiscardWhichAutosaves() throws {
        let (data, creation, second) = try twoSnapshots()
        try data.write("uncommitted edit\n", to: "images/cats/a.json")
        try data.write("elsewhere edit\n", to: "videos/clip.json")
        let before = try fingerprint(data.path)

        let refused = expectError(try E2E.run(["restore", creation, "--", "images/cats"], in: data.path), exit: 4,
                                  hint: true, mentioning: ["images/cats/a.json", "--discard"])
        XCTAssertFalse(refused.stderr.contains("videos/clip.json"), "a change outside the paths was listed")
        XCTAssertEqual(try fingerprint(data.path), before, "a refused restore changed files")
        XCTAssertEqual(try log(["--all"], in: data.path).count, 2, "a refused restore took an autosave")

        // A change elsewhere does not block a path that has none.
        expect(try E2E.run(["restore", "-q", creation, "--", "images/dogs"], in: data.path), exit: 0)
        XCTAssertEqual(try data.read("videos/clip.json"), "elsewhere edit\n")

        let discarded = expect(try E2E.run(["restore", "--discard", creation, "--", "images/cats"], in: data.path),
                               exit: 0)
        let autosaveLine = try XCTUnwrap(discarded.stderr.split(separator: "\n").first)
        XCTAssertTrue(autosaveLine.hasPrefix("saved uncommitted changes as autosave snapshot "), discarded.transcript)
        let autosave = String(autosaveLine.split(separator: " ").last!)
        XCTAssertEqual(try head(data.path), second, "the autosave or the restore moved the current snapshot")

        // The autosave holds the whole work tree as it was, edits in and out of the paths.
        XCTAssertEqual(expect(try E2E.run(["show", "\(autosave):images/cats/a.json"], in: data.path), exit: 0).stdout,
                       "uncommitted edit\n")
        XCTAssertEqual(expect(try E2E.run(["show", "\(autosave):videos/clip.json"], in: data.path), exit: 0).stdout,
                       "elsewhere edit\n")
        let record = try show(autosave, in: data.path)
        XCTAssertEqual(record["reason"] as? String, "autosave")
        XCTAssertEqual(record["is_current"] as? Bool, false)
        XCTAssertEqual(try data.read("videos/clip.json"), "elsewhere edit\n", "a change outside the paths was lost")
        XCTAssertNotEqual(try data.read("images/cats/a.json"), "uncommitted edit\n")

        // `restore current -- PATH` discards that path's changes, autosaved, as `restore current` does.
        let undo = expect(try E2E.run(["restore", "current", "--", "videos"], in: data.path), exit: 0)
        XCTAssertTrue(undo.stderr.hasPrefix("saved uncommitted changes as autosave snapshot "), undo.transcript)
        XCTAssertNotEqual(try data.read("videos/clip.json"), "elsewhere edit\n")
        let tasks = expect(try E2E.run(["tasks", "--json"], in: data.path), exit: 0)
        XCTAssertTrue(tasks.stdout.contains("SNAPSHOT_RESTORE"), tasks.transcript)
    }

    func testAHostileSnapshotPathIsRefusedBeforeAnyWrite() throws {
        let (data, _) = try makeDataset()
        func git(_ arguments: [String]) throws -> String {
            let result = try E2E.git(["-c", "user.name=Test", "-c", "user.email=test@example.com"] + arguments,
                                     dataset: data.path)
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func object(_ bytes: Data, type: String) throws -> String {
            let input = (data.path as NSString).deletingLastPathComponent + "/object-\(UUID().uuidString)"
            try bytes.write(to: URL(fileURLWithPath: input))
            defer { try? FileManager.default.removeItem(atPath: input) }
            return try git(["hash-object", "-w", "-t", type, "--literally", input])
        }
        func tree(_ entries: [(String, String, String)]) throws -> String {
            var bytes = Data()
            for (mode, name, id) in entries {
                bytes += Data("\(mode) \(name)".utf8) + Data([0])
                var hex = Substring(id)
                while !hex.isEmpty {
                    bytes.append(UInt8(hex.prefix(2), radix: 16)!)
                    hex = hex.dropFirst(2)
                }
            }
            return try object(bytes, type: "tree")
        }
        // A good `images` folder beside a `..` folder that would write outside the dataset.
        let blob = try object(Data("pwned\n".utf8), type: "blob")
        let escape = try tree([("100644", "escape.txt", blob)])
        let images = try git(["rev-parse", "HEAD:images"])
        let root = try tree([("40000", "..", escape), ("40000", "images", images)])
        let commit = try git(["commit-tree", "-p", "HEAD", "-m", "crafted", root])
        _ = try git(["update-ref", "refs/dsnap/snapshots/\(commit)", commit])

        try data.write("edited\n", to: "images/cats/a.json")
        let before = try fingerprint(data.path)
        let head = try self.head(data.path)
        let snapshots = try log(["--all"], in: data.path).count
        for arguments in [["restore", commit, "--", "images"], ["restore", "--discard", commit, "--", "images"]] {
            expectError(try E2E.run(arguments, in: data.path), exit: 5, hint: true, mentioning: ["'..'"])
            XCTAssertEqual(try fingerprint(data.path), before, "a refused restore changed files")
            XCTAssertEqual(try self.head(data.path), head)
        }
        XCTAssertEqual(try log(["--all"], in: data.path).count, snapshots, "the refused --discard took an autosave")
        let parent = (data.path as NSString).deletingLastPathComponent
        XCTAssertFalse(FileManager.default.fileExists(atPath: parent + "/escape.txt"))
    }
}

import Foundation
import XCTest

/// Snapshots crafted with plain git, as a remote could send them: restore and clone judge every
/// entry before the first write, refuse with exit 5 (hostile) or 6 (missing or damaged object)
/// naming the entry, and leave the dataset exactly as it was: same files, Ready, HEAD unmoved,
/// no marker, no autosave, no clone folder.
final class HostileSnapshotE2ETests: XCTestCase {
    /// One raw tree entry: mode and name exactly as the tree object spells them.
    private struct Entry {
        let mode: String
        let name: [UInt8]
        let id: String
        init(_ mode: String, _ name: String, _ id: String) {
            self.init(mode, Array(name.utf8), id)
        }
        init(_ mode: String, _ name: [UInt8], _ id: String) {
            self.mode = mode
            self.name = name
            self.id = id
        }
    }

    /// A dataset and the objects the cases are built from.
    private struct Bench {
        let data: TemporaryDataset
        let blob: String
        let inner: String
        var root: String { data.path }
    }

    private func git(_ arguments: [String], in root: String, file: StaticString = #filePath, line: UInt = #line)
        throws -> String {
        let result = try E2E.git(["-c", "user.name=Test", "-c", "user.email=test@example.com"] + arguments,
                                 dataset: root)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes an object of `type` with exactly `bytes` (`--literally`: git checks nothing).
    private func writeObject(_ bytes: Data, type: String, in root: String) throws -> String {
        let input = (root as NSString).deletingLastPathComponent + "/object-\(UUID().uuidString)"
        try bytes.write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        return try git(["hash-object", "-w", "-t", type, "--literally", input], in: root)
    }

    private func writeTree(_ entries: [Entry], in root: String) throws -> String {
        var bytes = Data()
        for entry in entries {
            bytes += Data(entry.mode.utf8) + Data([0x20]) + Data(entry.name) + Data([0])
            var hex = Substring(entry.id)
            while !hex.isEmpty {
                bytes.append(UInt8(hex.prefix(2), radix: 16)!)
                hex = hex.dropFirst(2)
            }
        }
        return try writeObject(bytes, type: "tree", in: root)
    }

    /// A snapshot as dsnap records one: a commit on the current one, its ref, its JSON note.
    private func snapshot(of tree: String, in root: String) throws -> String {
        let commit = try git(["commit-tree", "-p", "HEAD", "-m", "crafted", tree], in: root)
        _ = try git(["update-ref", "refs/dsnap/snapshots/\(commit)", commit], in: root)
        let record = """
            {"name": "crafted", "description": "", "reason": "manual", "n_images": 0, "n_videos": 0, \
            "training_model_id": null, "training_model_name": null, \
            "created_at": "2026-03-01T10:00:00.000000Z", "created_by": "test@example.com"}
            """
        _ = try git(["notes", "--ref=dsnap", "add", "-m", record, commit], in: root)
        return commit
    }

    private func makeBench() throws -> Bench {
        let (data, _) = try makeDataset()
        let blob = try writeObject(Data("pwned\n".utf8), type: "blob", in: data.path)
        let inner = try writeTree([Entry("100644", "escape.txt", blob)], in: data.path)
        return Bench(data: data, blob: blob, inner: inner)
    }

    /// Everything under `root` but `.dsnap`, and everything beside it: kind, bytes, link targets.
    private func fingerprint(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let manager = FileManager.default
        func walk(_ relative: String) throws {
            let full = relative.isEmpty ? root : root + "/" + relative
            for name in try manager.contentsOfDirectory(atPath: full) {
                let path = relative.isEmpty ? name : relative + "/" + name
                if path == ".dsnap" { continue }
                let type = try manager.attributesOfItem(atPath: root + "/" + path)[.type] as? FileAttributeType
                switch type {
                case .typeDirectory?:
                    result[path] = "folder"
                    try walk(path)
                case .typeSymbolicLink?:
                    result[path] = "link " + (try manager.destinationOfSymbolicLink(atPath: root + "/" + path))
                default:
                    result[path] = "file " + String(decoding: try Data(contentsOf: URL(fileURLWithPath: root + "/" + path)),
                                                    as: UTF8.self)
                }
            }
        }
        try walk("")
        return result
    }

    /// The dataset's whole observable state: work tree, its parent folder, HEAD, refs, status.
    private func state(of bench: Bench) throws -> [String: String] {
        var state = try fingerprint(bench.root)
        let parent = (bench.root as NSString).deletingLastPathComponent
        state["<beside>"] = try FileManager.default.contentsOfDirectory(atPath: parent).sorted().joined(separator: ",")
        state["<HEAD>"] = try git(["rev-parse", "HEAD"], in: bench.root)
        state["<refs>"] = try E2E.snapshotRefs(bench.root).joined(separator: ",")
        state["<marker>"] = FileManager.default.fileExists(atPath: bench.root + "/.dsnap/RESTORE_TARGET") ? "yes" : "no"
        let status = try jsonObject(try E2E.run(["status", "--json"], in: bench.root))
        state["<state>"] = status["state"] as? String
        return state
    }

    /// Restore (plain and `--discard` over an edit) and clone of a snapshot of `tree` are refused
    /// with `exit`, naming `entry`, and change nothing.
    private func expectRefused(_ tree: String, exit status: Int32, naming entry: String, in bench: Bench,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let id = try snapshot(of: tree, in: bench.root)
        let before = try state(of: bench)
        let restore = expectError(try E2E.run(["restore", id], in: bench.root), exit: status, hint: true,
                                  mentioning: ["'\(entry)'"], file: file, line: line)
        XCTAssertEqual(try state(of: bench), before, "restore changed the dataset\n\(restore.transcript)",
                       file: file, line: line)

        // With an edit to discard: refused before the autosave is taken.
        try bench.data.write("edited\n", to: "labels.csv")
        let editedBefore = try state(of: bench)
        expectError(try E2E.run(["restore", "--discard", id], in: bench.root), exit: status,
                    mentioning: ["'\(entry)'"], file: file, line: line)
        XCTAssertEqual(try state(of: bench), editedBefore, "restore --discard changed the dataset",
                       file: file, line: line)
        expect(try E2E.run(["restore", "current"], in: bench.root), exit: 0, file: file, line: line)

        let destination = (bench.root as NSString).deletingLastPathComponent + "/clone"
        let cloneBefore = try state(of: bench)
        expectError(try E2E.run(["clone", id, destination], in: bench.root), exit: status,
                    mentioning: ["'\(entry)'"], file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: destination), "clone left a folder", file: file, line: line)
        XCTAssertEqual(try state(of: bench), cloneBefore, "clone changed the source or left a folder beside it",
                       file: file, line: line)
    }

    func testHostileNamesAtAnyDepthAreRefusedBeforeAnythingIsWritten() throws {
        let bench = try makeBench()
        let (blob, inner, root) = (bench.blob, bench.inner, bench.root)
        let before = Entry("100644", "a-new.txt", blob)
        let after = Entry("100644", "z-new.txt", blob)
        let cases: [(entries: [Entry], entry: String)] = [
            ([Entry("40000", "..", inner), before, after], ".."),
            ([Entry("40000", ".", inner), before, after], "."),
            ([Entry("40000", ".dsnap", inner), before, after], ".dsnap"),
            ([Entry("40000", ".DsNaP", inner), before, after], ".DsNaP"),
            ([Entry("40000", ".GIT", inner), before, after], ".GIT"),
            ([Entry("100644", ".git", blob), before, after], ".git"),
            ([Entry("100644", ".dsnap-tmp-1-2", blob), before, after], ".dsnap-tmp-1-2"),
            ([before, Entry("100644", "a/b", blob), after], "a/b"),
            ([before, Entry("40000", "sub", try writeTree([Entry("40000", ".Git", inner)], in: root)), after], "sub/.Git"),
            ([before, Entry("40000", "sub", try writeTree([
                Entry("40000", "deeper", try writeTree([Entry("40000", ".dSnAp", inner)], in: root))], in: root)), after],
             "sub/deeper/.dSnAp"),
            ([before, Entry("40000", "sub", try writeTree([Entry("100644", "..", blob)], in: root)), after], "sub/.."),
        ]
        for (entries, entry) in cases {
            try expectRefused(try writeTree(entries, in: root), exit: 5, naming: entry, in: bench)
        }
        // Nothing was ever written outside the dataset or into .dsnap.
        let parent = (root as NSString).deletingLastPathComponent
        XCTAssertFalse(FileManager.default.fileExists(atPath: parent + "/escape.txt"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/.dsnap/escape.txt"))
    }

    func testMalformedTreesAreRefusedNamingTheEntry() throws {
        let bench = try makeBench()
        let (blob, inner, root) = (bench.blob, bench.inner, bench.root)
        let before = Entry("100644", "a-new.txt", blob)
        let after = Entry("100644", "z-new.txt", blob)
        let head = try git(["rev-parse", "HEAD"], in: root)
        let cases: [(entries: [Entry], entry: String)] = [
            ([Entry("100644", "", blob), before, after], "."),
            ([before, Entry("40000", "sub", try writeTree([Entry("100644", "", blob)], in: root)), after], "sub"),
            ([before, Entry("100644", "m.txt", blob), Entry("100644", "m.txt", blob), after], "m.txt"),
            ([before, Entry("40000", "m", inner), Entry("40000", "m", inner), after], "m"),
            ([before, Entry("100644", "m", blob), Entry("40000", "m", inner), after], "m"),
            ([before, Entry("120000", "m", blob), Entry("40000", "m", inner), after], "m"),
            ([before, Entry("160000", "module", head), after], "module"),
            ([before, Entry("100664", "m.txt", blob), after], "m.txt"),
            ([before, Entry("100600", "m.txt", blob), after], "m.txt"),
            ([before, Entry("40755", "m", inner), after], "m"),
            ([before, Entry("040000", "m", inner), after], "m"),
            ([before, Entry("777", "m.txt", blob), after], "m.txt"),
            ([after, before], "a-new.txt"),
        ]
        for (entries, entry) in cases {
            try expectRefused(try writeTree(entries, in: root), exit: 5, naming: entry, in: bench)
        }
    }

    func testMissingOrDamagedObjectsAreRefusedWithExit6() throws {
        let bench = try makeBench()
        let (blob, inner, root) = (bench.blob, bench.inner, bench.root)
        let before = Entry("100644", "a-new.txt", blob)
        let after = Entry("100644", "z-new.txt", blob)
        let absent = String(repeating: "1", count: 40)
        let cases: [(entries: [Entry], entry: String)] = [
            ([before, Entry("100644", "m.txt", absent), after], "m.txt"),
            ([before, Entry("120000", "m.lnk", absent), after], "m.lnk"),
            ([before, Entry("40000", "m", absent), after], "m"),
            ([before, Entry("40000", "m", try writeTree([Entry("100644", "deep.txt", absent)], in: root)), after],
             "m/deep.txt"),
            ([before, Entry("40000", "m", blob), after], "m"),
            ([before, Entry("100644", "m.txt", inner), after], "m.txt"),
        ]
        for (entries, entry) in cases {
            try expectRefused(try writeTree(entries, in: root), exit: 6, naming: entry, in: bench)
        }
        // A tree object cut short: no entry to name, the folder is.
        let truncated = try writeObject(Data("100644 cut".utf8), type: "tree", in: root)
        let holder = try writeTree([before, Entry("40000", "m", truncated), after], in: root)
        try expectRefused(holder, exit: 6, naming: "m", in: bench)
    }

    /// A link to a folder outside in one snapshot, a folder of that name holding a file in the
    /// next: the restore replaces the link by a real folder and never writes through it.
    func testAFolderReplacingALinkIsNeverWrittenThrough() throws {
        let bench = try makeBench()
        let root = bench.root
        let outside = (root as NSString).deletingLastPathComponent + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: outside)
        try commit(["-m", "linked"], in: root, now: "2026-03-01T10:00:01Z")

        // The current tree with `link` a folder holding `pwn.txt` (git's order: `link` sits
        // between `labels.csv` and `videos`).
        let listing = try git(["ls-tree", "HEAD"], in: root).split(separator: "\n")
        var entries: [Entry] = []
        for line in listing {
            let parts = line.split(separator: "\t", maxSplits: 1)
            let fields = parts[0].split(separator: " ")
            let name = String(parts[1])
            let mode = fields[0] == "040000" ? "40000" : String(fields[0])
            entries.append(name == "link"
                ? Entry("40000", "link", try writeTree([Entry("100644", "pwn.txt", bench.blob)], in: root))
                : Entry(mode, name, String(fields[2])))
        }
        let target = try snapshot(of: try writeTree(entries, in: root), in: root)
        expect(try E2E.run(["restore", target], in: root), exit: 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), [], "wrote through the link")
        let type = try FileManager.default.attributesOfItem(atPath: root + "/link")[.type] as? FileAttributeType
        XCTAssertEqual(type, .typeDirectory)
        XCTAssertEqual(try bench.data.read("link/pwn.txt"), "pwned\n")
        let status = try jsonObject(try E2E.run(["status", "--json"], in: root))
        XCTAssertEqual(status["clean"] as? Bool, true, "\(status)")

        // And back: the folder becomes the link again, the file outside still untouched.
        let linked = try XCTUnwrap(log(in: root).first { $0["snapshot_name"] as? String == "linked" })
        expect(try E2E.run(["restore", try idOf(linked)], in: root), exit: 0)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/link"), outside)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside), [])
    }
}

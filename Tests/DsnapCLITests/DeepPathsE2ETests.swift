import Foundation
import XCTest

/// Files whose paths are longer than PATH_MAX (4,096 bytes with the NUL) are snapshotted,
/// compared, restored and cloned like any other: no call reaches them by whole path, so dsnap
/// walks below the first folder past the limit from open folder descriptors. The file system
/// side is built and read by Python through descriptors (`os.fwalk`), an independent reader.
final class DeepPathsE2ETests: XCTestCase {
    /// `make ROOT`: two chains of 200-byte folder names under ROOT/deep, to total paths of about
    /// 6,000 and 10,000 bytes, each ending in a JSON file, an image, a symlink, an ignored
    /// `ignored.tmp` and a folder with one file; `edit ROOT` changes the 10,000-byte chain's
    /// JSON and image, removes its link and adds a file; `read ROOT REL` prints a file's bytes;
    /// `gitignore ROOT` puts a `.gitignore` (`*.log`) and `x.log` at the end of the 6,000-byte
    /// chain. Paths are printed relative to ROOT, one per line.
    static let helper = #"""
import os, sys
mode, root = sys.argv[1], sys.argv[2]
def chain(fd, letter, total):
    path = "deep"
    fd = down(fd, "deep")
    while len(root) + 1 + len(path) + 201 < total:
        fd = down(fd, letter * 200)
        path += "/" + letter * 200
    return fd, path
def down(fd, name):
    try: os.mkdir(name, dir_fd=fd)
    except FileExistsError: pass
    child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    return child
def write(fd, name, data):
    handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=fd)
    os.write(handle, data)
    os.close(handle)
def top():
    return os.open(root, os.O_RDONLY | os.O_DIRECTORY)
if mode == "make":
    for letter, total in (("a", 6000), ("b", 10000)):
        fd, path = chain(top(), letter, total)
        write(fd, "labels.json", b'{"label": "cat", "total": %d}\n' % total)
        write(fd, "photo.jpg", bytes((i * 7 + total) % 251 for i in range(100000)))
        write(fd, "ignored.tmp", b"not in any snapshot")
        os.symlink("../target", "link", dir_fd=fd)
        sub = down(os.dup(fd), "sub")
        write(sub, "notes.txt", b"notes")
        for name in ("labels.json", "photo.jpg", "link", "sub/notes.txt"): print(path + "/" + name)
elif mode == "edit":
    fd, path = chain(top(), "b", 10000)
    write(fd, "labels.json", b'{"label": "dog", "total": 10000}\n')
    write(fd, "photo.jpg", b"a different image")
    os.unlink("link", dir_fd=fd)
    write(fd, "new.json", b"{}\n")
elif mode == "read":
    fd = top()
    parts = sys.argv[3].split("/")
    for part in parts[:-1]: fd = down(fd, part)
    handle = os.open(parts[-1], os.O_RDONLY, dir_fd=fd)
    sys.stdout.write(os.read(handle, 1 << 20).decode())
elif mode == "gitignore":
    fd, path = chain(top(), "a", 6000)
    write(fd, ".gitignore", b"*.log\n")
    write(fd, "x.log", b"log")
    print(path + "/.gitignore")
"""#

    private var cleanUp: [String] = []

    override func tearDown() {
        // FileManager cannot remove what no path names.
        for folder in cleanUp { _ = try? E2E.tool("python3", ["-c", ByteNamesE2ETests.helper, "rmtree", folder], in: "/") }
        cleanUp = []
        super.tearDown()
    }

    @discardableResult
    private func python(_ script: String, _ arguments: String..., file: StaticString = #filePath,
                        line: UInt = #line) throws -> String {
        let result = try E2E.tool("python3", ["-c", script] + arguments, in: NSTemporaryDirectory())
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return result.stdout
    }

    /// Every file and link but `.dsnap` (`ByteNamesE2ETests.helper`), without the ignored ones.
    private func manifest(_ root: String) throws -> [String] {
        let ignored = Array("ignored.tmp".utf8).map { String(format: "%02x", $0) }.joined()
        return try python(ByteNamesE2ETests.helper, "manifest", root).split(separator: "\n").map(String.init)
            .filter { !$0.split(separator: " ")[0].hasSuffix(ignored) }
    }

    private func statusFiles(_ root: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: String] {
        let object = try jsonObject(try E2E.run(["status", "--json"], in: root), file: file, line: line)
        var files: [String: String] = [:]
        for entry in object["files"] as? [[String: Any]] ?? [] {
            files[entry["path"] as? String ?? ""] = entry["status"] as? String
        }
        return files
    }

    func testFilesPastPathMaxAreCommittedComparedRestoredAndCloned() throws {
        let (data, _) = try makeDataset()
        cleanUp.append(data.path)
        let made = try python(Self.helper, "make", data.path).split(separator: "\n").map(String.init)
        try data.write("*.tmp\n", to: ".dsnapignore")
        XCTAssertGreaterThan(data.path.utf8.count + 1 + made.map(\.utf8.count).max()!, 9_800)
        XCTAssertGreaterThan(data.path.utf8.count + 1 + made.map(\.utf8.count).min()!, 5_800)

        let run = expect(try E2E.run(["commit", "-q", "-m", "deep"], in: data.path), exit: 0)
        XCTAssertEqual(run.stderr, "", run.transcript)
        let stored = try E2E.git(["ls-tree", "-r", "-z", "--name-only", "HEAD"], dataset: data.path).stdout
            .split(separator: "\0").map(String.init)
        XCTAssertEqual(Set(stored).intersection(made), Set(made), "a deep file is missing from the snapshot")
        XCTAssertFalse(stored.contains { $0.hasSuffix("ignored.tmp") }, "an ignored file was stored")
        XCTAssertEqual(try statusFiles(data.path), [:])
        let committed = try manifest(data.path)

        // Changed, removed and added deep files show in status and diff, JSON field by field.
        try python(Self.helper, "edit", data.path)
        let chain = made.first { $0.hasSuffix("/labels.json") && $0.utf8.count > 9_000 }!.parentPath
        XCTAssertEqual(try statusFiles(data.path), [chain + "/labels.json": "modified", chain + "/photo.jpg": "modified",
                                                    chain + "/link": "removed", chain + "/new.json": "added"])
        let diff = expect(try E2E.run(["diff"], in: data.path), exit: 0)
        XCTAssertTrue(diff.stdout.contains(#"~ /label  "cat" -> "dog""#), diff.transcript)

        // Restore: every file as committed, byte for byte; the added one gone, the ignored one kept.
        expect(try E2E.run(["restore", "-q", "--discard", "current"], in: data.path), exit: 0)
        XCTAssertEqual(try manifest(data.path), committed)
        XCTAssertEqual(try statusFiles(data.path), [:])
        XCTAssertEqual(try python(Self.helper, "read", data.path, chain.parentPath + "/" + chain.lastPathComponent + "/ignored.tmp"),
                       "not in any snapshot")

        // A partial restore of one deep file.
        try python(Self.helper, "edit", data.path)
        expect(try E2E.run(["restore", "-q", "--discard", "current", "--", chain + "/labels.json"], in: data.path), exit: 0)
        XCTAssertEqual(try python(Self.helper, "read", data.path, chain + "/labels.json"), "{\"label\": \"cat\", \"total\": 10000}\n")
        expect(try E2E.run(["restore", "-q", "--discard", "current"], in: data.path), exit: 0)

        let copy = (data.path as NSString).deletingLastPathComponent + "/copy"
        cleanUp.append(copy)
        expect(try E2E.run(["clone", "-q", "current", copy], in: data.path), exit: 0)
        XCTAssertEqual(try manifest(copy), committed, "the clone differs")
        XCTAssertEqual(try statusFiles(copy), [:])
        for root in [data.path, copy] {
            XCTAssertEqual(try E2E.git(["fsck", "--full"], dataset: root).status, 0)
            expect(try E2E.run(["verify", "-q"], in: root), exit: 0)
        }
    }

    /// A restore writing files past PATH_MAX, made to fail at system calls it makes there (strace
    /// injects EIO into the first or second call of each kind): it exits 6 with a clear error,
    /// each deep file is its old or its new version, whole; the documented recovery completes and
    /// leaves the work tree byte for byte the snapshot's, no temporary file left, verify clean.
    func testARestorePastPathMaxFailingAtAnyWriteLosesNothing() throws {
        guard (try? E2E.tool("strace", ["-f", "-qq", "-o", "/dev/null", "true"], in: "/"))?.status == 0 else {
            throw XCTSkip("strace is not installed or cannot trace here")
        }
        let (data, _) = try makeDataset()
        cleanUp.append(data.path)
        let made = try python(Self.helper, "make", data.path).split(separator: "\n").map(String.init)
        let labels = made.first { $0.hasSuffix("/labels.json") && $0.utf8.count > 9_000 }!
        expect(try E2E.run(["commit", "-q", "-m", "v1"], in: data.path), exit: 0)
        let v1 = try manifest(data.path)
        try python(Self.helper, "edit", data.path)
        expect(try E2E.run(["commit", "-q", "-m", "v2"], in: data.path), exit: 0)
        let v2 = try manifest(data.path)
        let contents = ["{\"label\": \"cat\", \"total\": 10000}\n", "{\"label\": \"dog\", \"total\": 10000}\n"]
        var failures = 0
        for call in ["renameat2", "linkat", "symlinkat", "unlinkat", "mkdirat", "openat"] {
            for when in 1...2 {
                let trial = "\(call) #\(when)"
                expect(try E2E.run(["restore", "-q", "v2"], in: data.path), exit: 0)
                XCTAssertEqual(try manifest(data.path), v2, trial)
                let injected = try E2E.tool("strace", ["-f", "-qq", "-o", "/dev/null", "-e", "trace=" + call,
                                                       "-e", "inject=\(call):error=EIO:when=\(when)", "--",
                                                       DsnapProcess.binary, "restore", "-q", "v1"], in: data.path)
                // strace counts calls per thread: an early openat may be libdispatch's of /proc, which
                // traps when it fails. No disk error reaches /proc; that death is a kill, recovered as one.
                let killedByDispatch = injected.stderr.contains("_dispatch_workq_monitor_pools")
                XCTAssertTrue(killedByDispatch || [0, 6].contains(injected.status),
                              "\(trial): exit \(injected.status)\n\(injected.stderr)")
                if injected.status == 6 || killedByDispatch {
                    // A failed restore and a killed one are both recovered from below.
                    failures += 1
                    if !killedByDispatch {
                        XCTAssertTrue(injected.stderr.hasPrefix("dsnap: error: "), "\(trial): \(injected.stderr)")
                    }
                    XCTAssertTrue(contents.contains(try python(Self.helper, "read", data.path, labels)), trial)
                    let state = try jsonObject(try E2E.run(["status", "--json"], in: data.path))["state"] as? String
                    let recovery = state == "Error" ? ["restore", "-q", "--continue"] : ["restore", "-q", "v1"]
                    expect(try E2E.run(recovery, in: data.path), exit: 0)
                }
                XCTAssertEqual(try manifest(data.path), v1, trial)
                XCTAssertEqual(try statusFiles(data.path), [:], trial)
            }
        }
        // Which calls an injection hits depends on how the work spreads over threads (strace
        // counts per thread): on a loaded machine 5 of the 12 trials failed where 7-9 usually do.
        XCTAssertGreaterThanOrEqual(failures, 4, "the injections hit too few calls to prove anything")
        expect(try E2E.run(["verify", "-q"], in: data.path), exit: 0)
        XCTAssertEqual(try E2E.git(["fsck", "--full"], dataset: data.path).status, 0)
    }
}

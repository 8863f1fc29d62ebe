import Foundation
import XCTest

/// Names of any bytes (but NUL and `/`) are snapshotted, restored and cloned byte-exact, stored
/// in git trees as the very bytes the file system holds, printed quoted as git quotes them, and
/// accepted back as PATH operands in that form. The file system side is read by Python with
/// bytes paths (`os.fwalk`, no path length limit), an independent reader.
final class ByteNamesE2ETests: XCTestCase {
    /// A Python helper: `make ROOT` writes the names below; `manifest ROOT` prints every file
    /// and link under ROOT but `.dsnap` (hex path, kind, content hash or hex link target), sorted;
    /// `tree ROOT [REV]` prints the hex paths `git ls-tree -r -z` lists; `rmtree DIR` removes a
    /// folder of any depth.
    static let helper = #"""
import hashlib, os, shutil, subprocess, sys
mode, root = sys.argv[1], sys.argv[2].encode()
NAMES = [
    b"caf\xe9.json",                          # Latin-1
    b"lone\x80\xbf.txt",                      # continuation bytes with no lead
    b"\xf4\x8f\xbc\x80",                      # UTF-8 of U+10FF00, dsnap's own escape range
    b"\xf4\x8f\xbf\xbf.jpg",                  # U+10FFFF
    b"trunc\xe2\x82.txt", b"overlong\xc0\xaf.txt", b"surrogate\xed\xa0\x80.txt", b"high\xff\xfe.txt",
    b"new\nline.txt", b"tab\tname.txt", b"back\\slash.txt", b'quote".txt', b'"leading quote.txt',
    b"caf\xc3\xa9.json", b"cafe\xcc\x81.json",  # NFC and NFD of one name: two files to Linux
    b"dir\xe9/\xcc\x81starts with a combining mark.txt",
    b"dir\xe9/sub\xff/deeper\x80/leaf\xfe.json",
]
def make():
    for name in NAMES:
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(b'{"name": "' + name.hex().encode() + b'"}\n')
    os.symlink(b"target\xe9\xff/x", os.path.join(root, b"link\xe9"))
def manifest():
    rows = []
    for folder, dirs, files, fd in os.fwalk(root, follow_symlinks=False):
        rel = os.path.relpath(folder, root)
        if rel == b".":
            dirs[:] = [d for d in dirs if d != b".dsnap"]
        for name in files + dirs:
            path = name if rel == b"." else rel + b"/" + name
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if (info.st_mode & 0o170000) == 0o120000:
                rows.append(path.hex() + " link " + os.readlink(name, dir_fd=fd).hex())
            elif name in files:
                handle = os.open(name, os.O_RDONLY, dir_fd=fd)
                data = b""
                while True:
                    chunk = os.read(handle, 1 << 20)
                    if not chunk: break
                    data += chunk
                os.close(handle)
                rows.append(path.hex() + " file " + hashlib.sha1(data).hexdigest())
    print("\n".join(sorted(rows)))
def tree():
    rev = sys.argv[3] if len(sys.argv) > 3 else "HEAD"
    out = subprocess.run(["git", b"--git-dir=" + root + b"/.dsnap", "ls-tree", "-r", "-z", "--name-only", rev],
                         capture_output=True, check=True).stdout
    print("\n".join(sorted(name.hex() for name in out.split(b"\0") if name)))
if mode == "make": make()
elif mode == "manifest": manifest()
elif mode == "tree": tree()
elif mode == "rmtree": shutil.rmtree(root, ignore_errors=True)
"""#

    private var cleanUp: [String] = []

    override func tearDown() {
        // FileManager cannot remove every name these tests make.
        for folder in cleanUp { _ = try? python("rmtree", folder) }
        cleanUp = []
        super.tearDown()
    }

    @discardableResult
    private func python(_ arguments: String..., file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try E2E.tool("python3", ["-c", Self.helper] + arguments, in: NSTemporaryDirectory())
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return result.stdout
    }

    /// The paths (hex) of a manifest's rows.
    private func paths(_ manifest: String) -> [String] {
        manifest.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
    }

    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    private func temporaryFolder(_ dataset: TemporaryDataset) -> String {
        let parent = (dataset.path as NSString).deletingLastPathComponent
        cleanUp.append(parent)
        return parent
    }

    func testNamesOfAnyBytesRoundTripThroughCommitRestoreAndClone() throws {
        let (data, _) = try makeDataset()
        let parent = temporaryFolder(data)
        try python("make", data.path)
        let written = try python("manifest", data.path)
        try commit(["-m", "bytes"], in: data.path, now: "2026-03-01T10:00:01Z")

        // git's tree holds the bytes the file system holds, and git finds nothing wrong.
        XCTAssertEqual(try python("tree", data.path).split(separator: "\n").map(String.init), paths(written))
        let fsck = try E2E.git(["fsck", "--full", "--strict"], dataset: data.path)
        XCTAssertEqual(fsck.status, 0, fsck.stderr)
        XCTAssertFalse(fsck.stdout.contains("dangling") || fsck.stderr.contains("error"), fsck.stdout + fsck.stderr)

        // Right after the commit, the stat cache (and libgit2 after it) finds nothing changed.
        let status = expect(try E2E.run(["status"], in: data.path), exit: 0)
        XCTAssertTrue(status.stdout.contains("No changes"), status.transcript)
        expect(try E2E.run(["verify"], in: data.path), exit: 0)

        // A clone holds the same bytes.
        expect(try E2E.run(["clone", "-q", "current", parent + "/copy"], in: data.path), exit: 0)
        XCTAssertEqual(try python("manifest", parent + "/copy"), written)
        XCTAssertEqual(try python("tree", parent + "/copy"), try python("tree", data.path))
        // So does one cloned by URL from a remote the dataset was pushed to.
        expect(try E2E.run(["remote", "add", "-q", "shared", parent + "/shared.git", "--create"], in: data.path), exit: 0)
        expect(try E2E.run(["push", "-q", "shared"], in: data.path), exit: 0)
        expect(try E2E.run(["clone", "-q", "file://" + parent + "/shared.git", parent + "/fetched"], in: parent), exit: 0)
        XCTAssertEqual(try python("manifest", parent + "/fetched"), written)

        // A restore after everything was removed brings every name back.
        try python("rmtree", data.path + "/" + "dir\u{E9}")
        _ = try E2E.tool("sh", ["-c", "rm -f ./*.json ./*.txt; rm -f \"$(printf 'caf\\351.json')\" \"$(printf 'link\\351')\""],
                         in: data.path)
        XCTAssertNotEqual(try python("manifest", data.path), written)
        expect(try E2E.run(["restore", "-q", "current"], in: data.path), exit: 0)
        XCTAssertEqual(try python("manifest", data.path), written)
        let clean = expect(try E2E.run(["status", "--json"], in: data.path), exit: 0)
        XCTAssertTrue(clean.stdout.contains("\"files_changed\": 0"), clean.transcript)
    }

    func testSuchNamesArePrintedQuotedAndTakenBackInThatForm() throws {
        let (data, _) = try makeDataset()
        _ = temporaryFolder(data)
        try python("make", data.path)
        try commit(["-m", "bytes"], in: data.path, now: "2026-03-01T10:00:01Z")

        let files = expect(try E2E.run(["show", "current", "--files"], in: data.path), exit: 0)
        for quoted in [#""caf\351.json""#, #""\364\217\274\200""#, #""lone\200\277.txt""#, #""new\nline.txt""#,
                       #""back\\slash.txt""#, #""quote\".txt""#, #""dir\351/sub\377/deeper\200/leaf\376.json""#] {
            XCTAssertTrue(files.stdout.contains(quoted), "\(quoted) not in\n\(files.transcript)")
        }
        XCTAssertTrue(files.stdout.contains("café.json"), files.transcript)   // valid UTF-8: as it is
        XCTAssertFalse(files.stdout.unicodeScalars.contains { $0.value >= 0x10FF00 || $0 == "\u{FFFD}" },
                       files.transcript)

        // JSON: a name that is not UTF-8 (or starts with `"`) is carried quoted; others as they are.
        let listing = try jsonObject(E2E.run(["show", "current", "--files", "--json"], in: data.path))
        let listed = Set(try XCTUnwrap(listing["files"] as? [[String: Any]]).compactMap { $0["path"] as? String })
        for expected in [#""caf\351.json""#, #""\"leading quote.txt""#, "new\nline.txt", "quote\".txt", "café.json",
                         "cafe\u{301}.json"] {
            XCTAssertTrue(listed.contains(expected), "\(expected.debugDescription) not in \(listed)")
        }

        // Status, diff and log print the same quoted form.
        XCTAssertEqual(try E2E.tool("sh", ["-c", "printf '{\"x\": 1}' > \"$(printf 'caf\\351.json')\""], in: data.path).status, 0)
        let status = expect(try E2E.run(["status"], in: data.path), exit: 0)
        XCTAssertTrue(status.stdout.contains(#"modified:  "caf\351.json"  (json)"#), status.transcript)
        let diff = expect(try E2E.run(["diff", "--name-status"], in: data.path), exit: 0)
        XCTAssertEqual(diff.stdout, "M\t\"caf\\351.json\"\n", diff.transcript)
        let json = try jsonObject(E2E.run(["diff", "--json"], in: data.path))
        let changed = try XCTUnwrap((json["files"] as? [[String: Any]])?.first?["path"] as? String)
        XCTAssertEqual(changed, #""caf\351.json""#)

        let text = expect(try E2E.run(["diff"], in: data.path), exit: 0)
        XCTAssertTrue(text.stdout.contains(#"M  "caf\351.json"  (json)"#), text.transcript)
        XCTAssertTrue(text.stdout.contains("+ /x"), text.transcript)

        // The printed form, quotes and all, is a PATH operand; so is what a shell leaves of it.
        expect(try E2E.run(["restore", "-q", "current", "--", #""caf\351.json""#], in: data.path), exit: 0)
        let restored = try E2E.tool("python3", ["-c", "import sys; sys.stdout.write(open(b'caf\\xe9.json','rb').read().hex())"],
                                    in: data.path)
        XCTAssertEqual(restored.stdout, hex(Array(#"{"name": "636166e92e6a736f6e"}"#.utf8) + [0x0A]))
        let shown = expect(try E2E.run(["show", #"current:dir\351/sub\377/deeper\200/leaf\376.json"#], in: data.path), exit: 0)
        XCTAssertTrue(shown.stdout.contains(hex(Array("dir".utf8) + [0xE9])), shown.transcript)
        let history = try log(["--", #""\364\217\274\200""#], in: data.path)
        XCTAssertEqual(history.count, 1)
        // A name that is literally what an escape would read is itself.
        try data.write("literal", to: #"lit\351"#)
        let literal = expect(try E2E.run(["status"], in: data.path), exit: 0)
        XCTAssertTrue(literal.stdout.contains(#"added:     "lit\\351""#), literal.transcript)
        expect(try E2E.run(["restore", "-q", "--discard", "current", "--", #"lit\351"#], in: data.path), exit: 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: data.path + #"/lit\351"#))
    }

    /// The way to a dataset must be UTF-8 (dsnap reaches its repository by text paths): init,
    /// clone and every command refuse a folder whose path is not, with exit 5, instead of
    /// making or reading another folder whose name has U+FFFD for the bytes. From a subfolder
    /// of any bytes inside a dataset, commands work.
    func testTheDatasetFolderItselfMustHaveAUTF8Path() throws {
        let (data, _) = try makeDataset()
        let parent = temporaryFolder(data)
        func dsnap(_ arguments: String, in folder: String) throws -> ProcessResult {
            try E2E.tool("sh", ["-c", "cd \(folder) && \"$0\" \(arguments)", DsnapProcess.binary], in: parent)
        }
        XCTAssertEqual(try E2E.tool("sh", ["-c", "mkdir \"$(printf 'r\\351')\""], in: parent).status, 0)
        let refused = try dsnap("init", in: "\"$(printf 'r\\351')\"")
        XCTAssertEqual(refused.status, 5, refused.stderr)
        XCTAssertTrue(refused.stderr.contains(#"cannot use '\#(parent)/r\351' as a dataset folder: its path is not valid UTF-8"#),
                      refused.stderr)
        XCTAssertEqual(try E2E.tool("sh", ["-c", "ls -A \"$(printf 'r\\351')\""], in: parent).stdout, "", "init wrote something")
        let listing = try E2E.tool("ls", ["-ab", parent], in: parent).stdout   // -b: bytes as octal escapes
        XCTAssertTrue(listing.contains(#"r\351"#), listing)
        XCTAssertFalse(listing.contains(#"\357\277\275"#), "a folder named with U+FFFD was made: \(listing)")
        let clone = try dsnap("clone current \"$(printf '../r\\351/copy')\"", in: "basic")
        XCTAssertEqual(clone.status, 5, clone.stderr)

        // Inside a dataset, a folder of any bytes is a working folder like any other.
        XCTAssertEqual(try E2E.tool("sh", ["-c", "mkdir \"$(printf 'sub\\377')\" && echo new > \"$(printf 'sub\\377')/n.json\""], in: data.path).status, 0)
        let status = try dsnap("status", in: "\"$(printf 'basic/sub\\377')\"")
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("added:     n.json  (json)"), status.stdout)

        // A dataset moved under such a folder is refused, not taken for an empty one.
        XCTAssertEqual(try E2E.tool("mv", ["basic", "r\u{E9}-placeholder"], in: parent).status, 0)
        XCTAssertEqual(try E2E.tool("sh", ["-c", "mv r\u{E9}-placeholder \"$(printf 'r\\351')/moved\""], in: parent).status, 0)
        let moved = try dsnap("status", in: "\"$(printf 'r\\351')/moved\"")
        XCTAssertEqual(moved.status, 5, moved.stderr)
        XCTAssertEqual(try E2E.tool("sh", ["-c", "mv \"$(printf 'r\\351')/moved\" basic"], in: parent).status, 0)
    }
}

import Foundation
import XCTest

/// Every work tree file not excluded by ignore rules is in the snapshot, or the command fails
/// naming it: nothing is left out in silence.
final class NothingSkippedE2ETests: XCTestCase {
    private func sh(_ script: String, in directory: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try E2E.tool("sh", ["-c", script], in: directory)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
    }

    private func snapshotCount(_ root: String) throws -> Int {
        try E2E.snapshotRefs(root).count
    }

    func testNamesWithControlCharactersAreStoredRestoredAndPrintedEscaped() throws {
        let (data, _) = try makeDataset()
        let names = ["new\nline.txt", "ctl\u{01}\u{1B}[31m.txt", "tab\tname.txt", "back\\slash.txt", "quote\".txt",
                     " spaced .txt"]
        for name in names { try data.write("content of \(name)", to: "names/" + name) }
        try commit(["-m", "names"], in: data.path, now: "2026-03-01T10:00:01Z")
        let listed = try E2E.git(["ls-tree", "-r", "-z", "--name-only", "HEAD", "names"], dataset: data.path).stdout
        XCTAssertEqual(Set(listed.split(separator: "\0").map(String.init)), Set(names.map { "names/" + $0 }))

        try FileManager.default.removeItem(atPath: data.path + "/names")
        let status = try E2E.run(["status"], in: data.path)
        expect(status, exit: 0)
        XCTAssertFalse(status.stdout.contains("\u{1B}"), "a raw escape reached the terminal\n\(status.transcript)")
        expect(try E2E.run(["restore", "current"], in: data.path), exit: 0)
        for name in names {
            XCTAssertEqual(try data.read("names/" + name), "content of \(name)", name.debugDescription)
        }
    }

    /// A name that is not UTF-8 is recorded as its bytes (ByteNamesE2ETests has the rest).
    func testANameThatIsNotUTF8IsRecorded() throws {
        let (data, _) = try makeDataset()
        try sh("printf x > \"$(printf 'bad\\377.txt')\"", in: data.path)
        let run = expect(try E2E.run(["commit", "-q", "-m", "bytes"], in: data.path), exit: 0)
        XCTAssertEqual(run.stderr, "", run.transcript)
        let listed = try E2E.git(["ls-tree", "--name-only", "HEAD"], dataset: data.path).stdout
        XCTAssertTrue(listed.contains(#""bad\377.txt""#), listed)
    }

    func testAPathBeyondPathMaxIsRefusedNamingItUnlessIgnored() throws {
        let (data, _) = try makeDataset()
        let segment = String(repeating: "d", count: 200)
        // FileManager cannot remove what no path names; rm works down by folder.
        defer { _ = try? E2E.tool("rm", ["-rf", "deep"], in: data.path) }
        // Relative `cd`s reach depths no absolute path can name.
        try sh("mkdir deep && cd deep && for i in $(seq 22); do mkdir \(segment) && cd \(segment); done; "
               + "printf leaf > leaf.txt", in: data.path)
        let before = try snapshotCount(data.path)
        expectError(try E2E.run(["commit", "-m", "deep"], in: data.path), exit: 5, hint: true,
                    mentioning: ["'deep/\(segment)/", "longer than"])
        XCTAssertEqual(try snapshotCount(data.path), before, "a snapshot was recorded")
        // Status and diff, which libgit2's scan (like git's) cannot take there, say so too.
        for command in [["status"], ["diff"], ["restore", "-q", "--discard", "current"]] {
            expectError(try E2E.run(command, in: data.path), exit: 5, hint: true,
                        mentioning: ["'deep/\(segment)/", "longer than"])
        }
        // The restore refused before touching the file.
        XCTAssertEqual(try E2E.tool("sh", ["-c", "for i in $(seq 22); do cd \(segment); done; cat leaf.txt"],
                                    in: data.path + "/deep").stdout, "leaf")
        try data.write("deep/\n", to: ".dsnapignore")
        expect(try E2E.run(["commit", "-q", "-m", "ignored"], in: data.path), exit: 0)
        expect(try E2E.run(["status"], in: data.path), exit: 0)
    }

    /// A snapshot (made with plain git, whose trees have no length limit) holding a path longer
    /// than the system allows below the dataset folder: restore and clone refuse it whole with
    /// exit 5 naming it, before writing anything.
    func testASnapshotPathBeyondPathMaxIsRefusedByRestoreAndClone() throws {
        let (data, _) = try makeDataset()
        let segment = String(repeating: "e", count: 200)
        let script = """
            set -e
            export GIT_DIR=.dsnap GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@e
            blob=$(printf leaf | git hash-object -w --stdin)
            tree=$(printf '100644 blob %s\tleaf.txt\n' $blob | git mktree)
            for i in $(seq 22); do tree=$(printf '040000 tree %s\t\(segment)\n' $tree | git mktree); done
            tree=$(printf '040000 tree %s\tdeep\n' $tree | git mktree)
            commit=$(git commit-tree -p HEAD -m deep $tree)
            git update-ref refs/dsnap/snapshots/$commit $commit
            git notes --ref=dsnap add -m '{"name": "deep", "description": "", "reason": "manual", "n_images": 0, "n_videos": 0, "training_model_id": null, "training_model_name": null, "created_at": "2026-03-01T10:00:00.000000Z", "created_by": "t@e"}' $commit
            """
        try sh(script, in: data.path)
        let files = try E2E.tool("sh", ["-c", "find . -path ./.dsnap -prune -o -print | sort"], in: data.path).stdout
        let head = try E2E.git(["rev-parse", "HEAD"], dataset: data.path).stdout
        expectError(try E2E.run(["restore", "deep"], in: data.path), exit: 5, hint: true,
                    mentioning: ["'deep/\(segment)/", "longer than"])
        XCTAssertEqual(try E2E.tool("sh", ["-c", "find . -path ./.dsnap -prune -o -print | sort"], in: data.path).stdout,
                       files, "the restore wrote something")
        XCTAssertEqual(try E2E.git(["rev-parse", "HEAD"], dataset: data.path).stdout, head)
        expect(try E2E.run(["status"], in: data.path), exit: 0)

        let parent = (data.path as NSString).deletingLastPathComponent
        expectError(try E2E.run(["clone", "deep", parent + "/copy"], in: data.path), exit: 5, hint: true,
                    mentioning: ["'deep/\(segment)/", "longer than"])
        let left = try FileManager.default.contentsOfDirectory(atPath: parent).filter { $0.contains("copy") }
        XCTAssertEqual(left, [], "the clone left a folder")
    }

    func testFifosAreSkippedWithAWarning() throws {
        let (data, _) = try makeDataset()
        try sh("mkfifo queue && mkdir sub && mkfifo sub/pipe", in: data.path)
        let run = expect(try E2E.run(["commit", "-q", "-m", "fifo"], in: data.path), exit: 0)
        XCTAssertTrue(run.stderr.contains("dsnap: warning: skipped 'queue': it is a fifo"), run.transcript)
        XCTAssertTrue(run.stderr.contains("dsnap: warning: skipped 'sub/pipe': it is a fifo"), run.transcript)
    }

    /// An unreadable folder or file refuses the snapshot with exit 5 naming it, and records
    /// nothing. Root reads everything, so under root dsnap runs as `nobody` through setpriv.
    func testUnreadableFoldersAndFilesFailNamingThem() throws {
        let (data, _) = try makeDataset()
        var prefix: [String] = []
        if getuid() == 0 {
            guard let nobody = getpwnam("nobody"),
                  FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
                throw XCTSkip("running as root without setpriv or a 'nobody' user: cannot make a file unreadable")
            }
            let home = (data.path as NSString).deletingLastPathComponent + "/home"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            try sh("chown -R \(nobody.pointee.pw_uid):\(nobody.pointee.pw_gid) '\(data.path)' '\(home)'", in: data.path)
            prefix = ["/usr/bin/setpriv", "--reuid=\(nobody.pointee.pw_uid)", "--regid=\(nobody.pointee.pw_gid)",
                      "--clear-groups", "env", "HOME=\(home)"]
        }
        func dsnap(_ arguments: [String]) throws -> DsnapRun {
            guard !prefix.isEmpty else { return try E2E.run(arguments, in: data.path) }
            let result = try E2E.tool(prefix[0], Array(prefix.dropFirst()) + [DsnapProcess.binary] + arguments,
                                      in: data.path)
            return DsnapRun(arguments: arguments, status: result.status, stdout: result.stdout, stderr: result.stderr,
                            killedBySignal: false)
        }
        let before = try snapshotCount(data.path)
        try sh("mkdir locked && printf s > locked/s.txt && chmod 000 locked", in: data.path)
        expectError(try dsnap(["commit", "-m", "locked"]), exit: 5, hint: true, mentioning: ["/locked'"])
        XCTAssertEqual(try snapshotCount(data.path), before)

        try sh("chmod 755 locked && printf x > secret.txt && chmod 000 secret.txt", in: data.path)
        expectError(try dsnap(["commit", "-m", "secret"]), exit: 5, hint: true, mentioning: ["/secret.txt'"])
        XCTAssertEqual(try snapshotCount(data.path), before)

        try sh("chmod 644 secret.txt", in: data.path)
        expect(try dsnap(["commit", "-q", "-m", "readable"]), exit: 0)
        let files = try E2E.git(["ls-tree", "-r", "--name-only", "HEAD"], dataset: data.path).stdout
        XCTAssertTrue(files.contains("locked/s.txt") && files.contains("secret.txt"), files)
    }
}

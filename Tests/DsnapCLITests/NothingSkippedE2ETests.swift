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

    /// A path past PATH_MAX is snapshotted like any other (DeepPathsE2ETests has the round trip),
    /// unless ignored; status, diff and restore take it too.
    func testAPathBeyondPathMaxIsRecordedUnlessIgnored() throws {
        let (data, _) = try makeDataset()
        let segment = String(repeating: "d", count: 200)
        // FileManager cannot remove what no path names; rm works down by folder.
        defer { _ = try? E2E.tool("rm", ["-rf", "deep"], in: data.path) }
        try python("deep", "d", "leaf.txt", "leaf", in: data.path)
        let run = expect(try E2E.run(["commit", "-q", "-m", "deep"], in: data.path), exit: 0)
        XCTAssertEqual(run.stderr, "", run.transcript)
        let listed = try E2E.git(["ls-tree", "-r", "--name-only", "HEAD"], dataset: data.path).stdout
        XCTAssertTrue(listed.contains("deep/\(segment)/") && listed.contains("/leaf.txt"), listed)
        for command in [["status"], ["diff"], ["restore", "-q", "--discard", "current"]] {
            expect(try E2E.run(command, in: data.path), exit: 0)
        }
        try python("deep", "d", "leaf.txt", "changed", in: data.path)
        let status = expect(try E2E.run(["status"], in: data.path), exit: 0)
        XCTAssertTrue(status.stdout.contains("modified:") && status.stdout.contains("/leaf.txt"), status.transcript)
        expect(try E2E.run(["restore", "-q", "--discard", "current"], in: data.path), exit: 0)
        XCTAssertEqual(try python("deep", "d", "leaf.txt", in: data.path), "leaf")

        // Ignored: left out, and the dataset is clean.
        try data.write("deep/\n", to: ".dsnapignore")
        expect(try E2E.run(["commit", "-q", "-m", "ignored"], in: data.path), exit: 0)
        XCTAssertFalse(try E2E.git(["ls-tree", "-r", "--name-only", "HEAD"], dataset: data.path).stdout.contains("leaf.txt"))
        let clean = try jsonObject(try E2E.run(["status", "--json"], in: data.path))
        XCTAssertEqual(clean["clean"] as? Bool, true)
    }

    /// A `.gitignore` past PATH_MAX: libgit2 would drop its rules in silence (it reads ignore
    /// files by whole path), so commit and status refuse with exit 5 naming it, until an ignore
    /// rule excludes it (its rules then do not apply).
    func testAGitignoreBeyondPathMaxIsRefusedUnlessIgnored() throws {
        let (data, _) = try makeDataset()
        defer { _ = try? E2E.tool("rm", ["-rf", "deep"], in: data.path) }
        try python("deep", "g", ".gitignore", "*.log\n", in: data.path)
        try python("deep", "g", "x.log", "log", in: data.path)
        let before = try snapshotCount(data.path)
        for command in [["commit", "-m", "rules"], ["status"], ["diff"]] {
            expectError(try E2E.run(command, in: data.path), exit: 5, hint: true,
                        mentioning: ["/.gitignore'", "longer than 4095 bytes", ".dsnapignore"])
        }
        XCTAssertEqual(try snapshotCount(data.path), before, "a snapshot was recorded")
        try data.write("deep/**/.gitignore\n", to: ".dsnapignore")
        expect(try E2E.run(["commit", "-q", "-m", "rules ignored"], in: data.path), exit: 0)
        let listed = try E2E.git(["ls-tree", "-r", "--name-only", "HEAD"], dataset: data.path).stdout
        XCTAssertTrue(listed.contains("/x.log") && !listed.contains("/.gitignore"), listed)
    }

    /// Creates (or, with no content, reads) the file `name` at the end of a chain `ROOT/FOLDER/`
    /// + 22 folders of 200 times `letter`, past PATH_MAX, through folder descriptors.
    @discardableResult
    private func python(_ folder: String, _ letter: String, _ name: String, _ content: String? = nil,
                        in root: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let script = """
            import os, sys
            fd = os.open(sys.argv[1], os.O_RDONLY)
            for name in [sys.argv[2]] + [sys.argv[3] * 200] * 22:
                if len(sys.argv) > 5:
                    try: os.mkdir(name, dir_fd=fd)
                    except FileExistsError: pass
                fd = os.open(name, os.O_RDONLY, dir_fd=fd)
            if len(sys.argv) > 5:
                f = os.open(sys.argv[4], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=fd)
                os.write(f, sys.argv[5].encode())
            else:
                sys.stdout.write(os.read(os.open(sys.argv[4], os.O_RDONLY, dir_fd=fd), 1 << 20).decode())
            """
        let result = try E2E.tool("python3", ["-c", script, root, folder, letter, name] + (content.map { [$0] } ?? []),
                                  in: root)
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        return result.stdout
    }

    /// A snapshot (made with plain git, whose trees have no length limit) holding a path longer
    /// than PATH_MAX below the dataset folder is restored and cloned; one holding a name longer
    /// than any file system takes is refused whole with exit 5 naming it, before writing anything.
    func testASnapshotPathBeyondPathMaxIsRestoredAndClonedAndANameTooLongIsRefused() throws {
        let (data, _) = try makeDataset()
        let segment = String(repeating: "e", count: 200)
        defer { _ = try? E2E.tool("rm", ["-rf", "deep"], in: data.path) }
        func craft(_ name: String, leaf: String) throws {
            let script = """
                set -e
                export GIT_DIR=.dsnap GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@e
                blob=$(printf leaf | git hash-object -w --stdin)
                tree=$(printf '100644 blob %s\t\(leaf)\n' $blob | git mktree)
                for i in $(seq 22); do tree=$(printf '040000 tree %s\t\(segment)\n' $tree | git mktree); done
                tree=$(printf '040000 tree %s\tdeep\n' $tree | git mktree)
                commit=$(git commit-tree -p HEAD -m \(name) $tree)
                git update-ref refs/dsnap/snapshots/$commit $commit
                git notes --ref=dsnap add -m '{"name": "\(name)", "description": "", "reason": "manual", "n_images": 0, "n_videos": 0, "training_model_id": null, "training_model_name": null, "created_at": "2026-03-01T10:00:00.000000Z", "created_by": "t@e"}' $commit
                """
            try sh(script, in: data.path)
        }
        try craft("long", leaf: String(repeating: "n", count: 256))
        try craft("deep", leaf: "leaf.txt")
        let files = try E2E.tool("sh", ["-c", "find . -path ./.dsnap -prune -o -print | sort"], in: data.path).stdout
        let head = try E2E.git(["rev-parse", "HEAD"], dataset: data.path).stdout
        expectError(try E2E.run(["restore", "long"], in: data.path), exit: 5, hint: true,
                    mentioning: ["'deep/\(segment)/", "longer than 255 bytes"])
        XCTAssertEqual(try E2E.tool("sh", ["-c", "find . -path ./.dsnap -prune -o -print | sort"], in: data.path).stdout,
                       files, "the restore wrote something")
        XCTAssertEqual(try E2E.git(["rev-parse", "HEAD"], dataset: data.path).stdout, head)
        let parent = (data.path as NSString).deletingLastPathComponent
        expectError(try E2E.run(["clone", "long", parent + "/refused"], in: data.path), exit: 5, hint: true,
                    mentioning: ["longer than 255 bytes"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: parent + "/refused"), "the clone left a folder")

        expect(try E2E.run(["restore", "-q", "deep"], in: data.path), exit: 0)
        XCTAssertEqual(try python("deep", "e", "leaf.txt", in: data.path), "leaf")
        XCTAssertEqual(try jsonObject(try E2E.run(["status", "--json"], in: data.path))["clean"] as? Bool, true)
        let copy = parent + "/copy"
        defer { _ = try? E2E.tool("rm", ["-rf", copy], in: parent) }
        expect(try E2E.run(["clone", "-q", "deep", copy], in: data.path), exit: 0)
        XCTAssertEqual(try python("deep", "e", "leaf.txt", in: copy), "leaf")
        XCTAssertEqual(try jsonObject(try E2E.run(["status", "--json"], in: copy))["clean"] as? Bool, true)
        XCTAssertEqual(try E2E.git(["fsck", "--full"], dataset: copy).status, 0)
    }

    /// libgit2's work tree scan stops below 99 nested folders: a commit there is refused with
    /// exit 5 saying so (not an internal error), and a snapshot nesting deeper (made with plain
    /// git) is refused by restore before anything is written.
    func testFoldersNestedPastLibgit2sLimitAreRefusedClearly() throws {
        let (data, _) = try makeDataset()
        let nested = Array(repeating: "n", count: 100).joined(separator: "/")
        try data.write("x", to: nested + "/f.txt")
        expectError(try E2E.run(["commit", "-m", "nested"], in: data.path), exit: 5, hint: true,
                    mentioning: ["nested more than 99 deep"])
        expectError(try E2E.run(["status"], in: data.path), exit: 5, hint: true, mentioning: ["nested more than 99 deep"])
        try FileManager.default.removeItem(atPath: data.path + "/n")
        let script = """
            set -e
            export GIT_DIR=.dsnap GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@e
            tree=$(printf '100644 blob %s\tf.txt\n' $(printf x | git hash-object -w --stdin) | git mktree)
            for i in $(seq 100); do tree=$(printf '040000 tree %s\tn\n' $tree | git mktree); done
            commit=$(git commit-tree -p HEAD -m nested $tree)
            git update-ref refs/dsnap/snapshots/$commit $commit
            git notes --ref=dsnap add -m '{"name": "nested", "description": "", "reason": "manual", "n_images": 0, "n_videos": 0, "training_model_id": null, "training_model_name": null, "created_at": "2026-03-01T10:00:00.000000Z", "created_by": "t@e"}' $commit
            """
        try sh(script, in: data.path)
        expectError(try E2E.run(["restore", "nested"], in: data.path), exit: 5, hint: true,
                    mentioning: ["more than 99 nested folders", "nothing was written"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: data.path + "/n"), "the restore wrote something")
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

import Foundation
import XCTest

/// Datasets shared through a git server: a bare repository by path and by file:// URL, and
/// `git daemon` on loopback. Catalogs converge (snapshots a set, records newest-edit-wins,
/// deletes following the record), nothing is lost, plain git reads the remote, and a hostile
/// remote's refs are refused.
final class RemotesE2ETests: XCTestCase {
    private var scratch: TemporaryDataset!

    override func setUpWithError() throws {
        scratch = try TemporaryDataset(emptyNamed: "lab")
    }

    /// A dataset copied from the fixture into the scratch folder, initialised.
    private func dataset(_ name: String) throws -> String {
        let fixture = try TemporaryDataset(fixture: "basic")
        let path = scratch.path + "/" + name
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        expect(try E2E.run(["init", "-q", "--name", "shared"], in: path), exit: 0)
        return path
    }

    private func ids(_ arguments: [String], in root: String) throws -> [String] {
        try jsonArray(try E2E.run(["log", "--json"] + arguments, in: root)).map { try XCTUnwrap($0["snapshot_id"] as? String) }
    }

    private func record(_ id: String, in root: String) throws -> [String: Any] {
        try snapshotObject(try E2E.run(["show", id, "--json"], in: root))
    }

    func testTwoMachinesConvergeAndNothingIsLost() throws {
        let a = try dataset("a")
        let remote = scratch.path + "/server.git"
        expect(try E2E.run(["remote", "add", "origin", "../server.git", "--create"], in: a), exit: 0)
        let pushed = try jsonObject(try E2E.run(["push", "--json"], in: a))
        XCTAssertEqual((pushed["snapshots_sent"] as? [String])?.count, 1)
        XCTAssertEqual(pushed["records_sent"] as? Bool, true)

        // A clone by file:// URL: same snapshot, same id, work tree at the remote's current.
        let clone = try jsonObject(try E2E.run(["clone", "file://" + remote, "b", "--json"], in: scratch.path))
        let b = scratch.path + "/b"
        XCTAssertEqual(clone["dataset_name"] as? String, "shared")
        XCTAssertEqual(try ids([], in: b), try ids([], in: a))
        XCTAssertTrue(try jsonObject(try E2E.run(["status", "--json"], in: b))["clean"] as? Bool ?? false)
        XCTAssertEqual(try E2E.run(["remote", "-v"], in: b).stdout, "origin\tfile://\(remote)\n")

        // Divergent snapshots on both machines: both kept.
        try "{\"by\": \"a\"}\n".write(toFile: a + "/from-a.json", atomically: false, encoding: .utf8)
        let fromA = try idOf(try commit(["-m", "from a"], in: a, now: "2026-03-01T10:01:00Z"))
        try "{\"by\": \"b\"}\n".write(toFile: b + "/from-b.json", atomically: false, encoding: .utf8)
        let fromB = try idOf(try commit(["-m", "from b"], in: b, now: "2026-03-01T10:02:00Z"))
        expect(try E2E.run(["push", "-q"], in: a, now: "2026-03-01T10:03:00Z"), exit: 0)
        expect(try E2E.run(["push", "-q"], in: b, now: "2026-03-01T10:04:00Z"), exit: 0)
        expect(try E2E.run(["fetch", "-q"], in: a, now: "2026-03-01T10:05:00Z"), exit: 0)
        XCTAssertEqual(Set(try ids([], in: a)), Set(try ids([], in: b)))
        XCTAssertTrue(try ids([], in: a).contains(fromB) && ids([], in: b).contains(fromA))
        XCTAssertEqual(try ids(["--remote", "origin"], in: a), try ids([], in: a), "the remote holds them all")
        // Fetch never moves the current snapshot or the files.
        XCTAssertEqual(try record("current", in: a)["snapshot_id"] as? String, fromA)
        XCTAssertFalse(FileManager.default.fileExists(atPath: a + "/from-b.json"))

        // One record edited on both sides: the newer edit wins everywhere.
        let creation = try XCTUnwrap(try ids([], in: a).last)
        expect(try E2E.run(["update", creation, "-m", "older name"], in: a, now: "2026-03-01T10:06:00Z"), exit: 0)
        expect(try E2E.run(["update", creation, "-m", "newer name"], in: b, now: "2026-03-01T10:07:00Z"), exit: 0)
        // A delete on one side, of a snapshot not current anywhere.
        expect(try E2E.run(["delete", fromB], in: a, now: "2026-03-01T10:08:00Z"), exit: 0)
        expect(try E2E.run(["restore", fromA], in: b, now: "2026-03-01T10:08:30Z"), exit: 0)
        for (root, now) in [(a, "2026-03-01T10:09:00Z"), (b, "2026-03-01T10:10:00Z"), (a, "2026-03-01T10:11:00Z")] {
            expect(try E2E.run(["push", "-q"], in: root, now: now), exit: 0)
        }
        for root in [a, b] {
            XCTAssertEqual(try record(creation, in: root)["snapshot_name"] as? String, "newer name", root)
            XCTAssertFalse(try ids([], in: root).contains(fromB), root)
            XCTAssertEqual(try ids(["--deleted"], in: root), [fromB], root)
        }
        // An undelete on the other side, later: it comes back everywhere.
        expect(try E2E.run(["undelete", fromB], in: b, now: "2026-03-01T10:12:00Z"), exit: 0)
        expect(try E2E.run(["push", "-q"], in: b, now: "2026-03-01T10:13:00Z"), exit: 0)
        let fetched = try jsonObject(try E2E.run(["fetch", "--json"], in: a, now: "2026-03-01T10:14:00Z"))
        XCTAssertEqual(fetched["undeleted"] as? [String], [fromB])
        XCTAssertEqual(Set(try ids([], in: a)), Set(try ids([], in: b)))

        // Pull: the remote's current, with restore's safety.
        expect(try E2E.run(["restore", fromB], in: b, now: "2026-03-01T10:15:00Z"), exit: 0)
        expect(try E2E.run(["push", "-q"], in: b, now: "2026-03-01T10:16:00Z"), exit: 0)
        try "{\"dirty\": true}\n".write(toFile: a + "/dirty.json", atomically: false, encoding: .utf8)
        expectError(try E2E.run(["pull"], in: a, now: "2026-03-01T10:17:00Z"), exit: 4, hint: true)
        let pulled = try jsonObject(try E2E.run(["pull", "--discard", "--json"], in: a, now: "2026-03-01T10:18:00Z"))
        XCTAssertEqual((pulled["snapshot"] as? [String: Any])?["snapshot_id"] as? String, fromB)
        XCTAssertNotNil(pulled["autosave"] as? [String: Any], "the discarded change is an autosave")
        XCTAssertTrue(FileManager.default.fileExists(atPath: a + "/from-b.json"))

        // Plain git reads the remote and both datasets cleanly, and clones the remote.
        for root in [a, b] {
            expect(try E2E.run(["verify"], in: root), exit: 0)
            XCTAssertEqual(try E2E.git(["fsck", "--full", "--no-dangling"], dataset: root).status, 0)
        }
        XCTAssertEqual(try E2E.tool("git", ["--git-dir=" + remote, "fsck", "--full", "--no-dangling"], in: scratch.path).status, 0)
        let plain = try E2E.tool("git", ["clone", "-q", remote, "plain"], in: scratch.path)
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.path + "/plain/from-b.json"),
                      "the remote's HEAD is the current snapshot of the last push")
    }

    func testTwoPushesAtOnceBothLand() throws {
        let a = try dataset("a")
        expect(try E2E.run(["remote", "add", "origin", "../server.git", "--create"], in: a), exit: 0)
        expect(try E2E.run(["push", "-q"], in: a), exit: 0)
        expect(try E2E.run(["clone", "-q", "./server.git", "b"], in: scratch.path), exit: 0)
        let b = scratch.path + "/b"
        var expected: Set<String> = []
        for (root, tag) in [(a, "a"), (b, "b")] {
            for step in 0..<3 {
                try "{\"step\": \(step)}\n".write(toFile: root + "/\(tag).json", atomically: false, encoding: .utf8)
                let id = try idOf(try commit(["-m", "\(tag)\(step)"], in: root, now: "2026-03-01T10:0\(step):0\(tag == "a" ? 1 : 2)Z"))
                expected.insert(id)
                expect(try E2E.run(["update", id, "-d", "edited on \(tag)"], in: root, now: "2026-03-01T10:0\(step):3\(tag == "a" ? 1 : 2)Z"), exit: 0)
            }
        }
        let first = try E2E.start(["push", "--json"], in: a, now: "2026-03-01T10:10:00Z")
        let second = try E2E.start(["push", "--json"], in: b, now: "2026-03-01T10:10:01Z")
        expect(first.wait(), exit: 0)
        expect(second.wait(), exit: 0)
        for root in [a, b] { expect(try E2E.run(["fetch", "-q"], in: root, now: "2026-03-01T10:11:00Z"), exit: 0) }
        XCTAssertTrue(expected.isSubset(of: Set(try ids([], in: a))))
        XCTAssertEqual(Set(try ids([], in: a)), Set(try ids([], in: b)))
        for id in expected {
            XCTAssertNotNil((try record(id, in: a)["description"] as? String)?.hasPrefix("edited on"), "record of \(id) kept")
        }
    }

    func testGitDaemonOnLoopback() throws {
        let a = try dataset("a")
        let served = scratch.path + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        expect(try E2E.run(["remote", "add", "lab", "../served/data.git", "--create"], in: a), exit: 0)
        let port = 20_000 + Int(getpid() % 20_000)
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        daemon.arguments = ["daemon", "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(served)",
                            "--export-all", "--enable=receive-pack", "--informative-errors", served]
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        let url = "git://127.0.0.1:\(port)/data.git"
        // The daemon takes a moment to listen.
        var listed = try E2E.run(["clone", "-q", url, "probe"], in: scratch.path)
        for _ in 0..<50 where listed.status == 6 && listed.stderr.contains("cannot reach") {
            usleep(100_000)
            listed = try E2E.run(["clone", "-q", url, "probe"], in: scratch.path)
        }
        expectError(listed, exit: 3, mentioning: ["holds no dataset"])
        expect(try E2E.run(["remote", "add", "daemon", url], in: a), exit: 0)
        expect(try E2E.run(["push", "daemon"], in: a), exit: 0)
        expect(try E2E.run(["clone", url, "c"], in: scratch.path), exit: 0)
        XCTAssertEqual(try ids([], in: scratch.path + "/c"), try ids([], in: a))
        try "{\"c\": 1}\n".write(toFile: scratch.path + "/c/c.json", atomically: false, encoding: .utf8)
        let fromC = try idOf(try commit(["-m", "from c"], in: scratch.path + "/c", now: "2026-03-01T10:20:00Z"))
        expect(try E2E.run(["push"], in: scratch.path + "/c"), exit: 0)
        expect(try E2E.run(["pull", "daemon"], in: a), exit: 0)
        XCTAssertEqual(try record("current", in: a)["snapshot_id"] as? String, fromC)
        // Currents that diverge: the server's main follows the last push, not only forward.
        let creation = try XCTUnwrap(try ids([], in: a).last)
        expect(try E2E.run(["restore", creation], in: a), exit: 0)
        let pushed = try jsonObject(try E2E.run(["push", "daemon", "--json"], in: a))
        XCTAssertTrue(pushed["current_refused"] is NSNull, "\(pushed)")
        // Large pushes go in batches of whole snapshots, each pack under dsnap.pushBatchSize.
        XCTAssertEqual(try E2E.git(["config", "dsnap.pushBatchSize", "1m"], dataset: a).status, 0)
        let random = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom"))
        var bulk: [String] = []
        for step in 0..<3 {
            for part in 0..<2 {
                try random.readData(ofLength: 600 << 10).write(to: URL(fileURLWithPath: a + "/bulk\(step)-\(part).jpg"))
            }
            bulk.append(try idOf(try commit(["-m", "bulk \(step)"], in: a, now: "2026-03-01T10:3\(step):00Z")))
        }
        let batched = try jsonObject(try E2E.run(["push", "daemon", "--json"], in: a, now: "2026-03-01T10:40:00Z"))
        XCTAssertEqual(batched["batches"] as? Int, 3, "\(batched)")
        expect(try E2E.run(["clone", "-q", url, "d"], in: scratch.path), exit: 0)
        XCTAssertTrue(Set(bulk).isSubset(of: Set(try ids([], in: scratch.path + "/d"))))

        // The pack is dsnap's, not libgit2's (whose builder would deflate the sidecar to a few
        // KB): 512 KiB of very compressible text arrives as stored zlib blocks. This fails if the
        // interposition of libgit2's pack builder (push_pack.h) stops taking effect.
        XCTAssertEqual(try E2E.tool("git", ["--git-dir=" + served + "/data.git", "config", "receive.unpackLimit", "1"],
                                    in: served).status, 0)
        let before = try packBytes(served + "/data.git")
        try String(repeating: "{\"label\": \"cat\"}\n", count: 512 * 1024 / 17)
            .write(toFile: a + "/big-sidecar.json", atomically: false, encoding: .utf8)
        _ = try commit(["-m", "big sidecar"], in: a, now: "2026-03-01T10:50:00Z")
        expect(try E2E.run(["push", "-q", "daemon"], in: a, now: "2026-03-01T10:51:00Z"), exit: 0)
        XCTAssertGreaterThan(try packBytes(served + "/data.git") - before, 500 * 1024, "sent at zlib level 0")

        // Nor is any delta searched, as with git's pack.window=0: two sidecars one field apart
        // arrive whole.
        let packsBefore = try packNames(served + "/data.git")
        let common = String(repeating: "{\"label\": \"dog\", \"box\": [12, 34, 56, 78]}\n", count: 40)
        for twin in 1...2 {
            try (common + "{\"score\": 0.\(twin)}\n").write(toFile: a + "/twin-\(twin).json", atomically: false, encoding: .utf8)
        }
        _ = try commit(["-m", "twins"], in: a, now: "2026-03-01T10:52:00Z")
        expect(try E2E.run(["push", "-q", "daemon"], in: a), exit: 0)
        let newPacks = try packNames(served + "/data.git").subtracting(packsBefore)
        XCTAssertEqual(newPacks.count, 1, "\(newPacks)")
        for pack in newPacks {
            let listed = try E2E.tool("git", ["verify-pack", "-v", served + "/data.git/objects/pack/" + pack], in: served)
            XCTAssertEqual(listed.status, 0, listed.stderr)
            XCTAssertTrue(listed.stdout.contains("non delta: "), listed.stdout)
            XCTAssertFalse(listed.stdout.contains("chain length"), "a delta was sent:\n" + listed.stdout)
        }
    }

    func testMistakesNameTheRemoteAndTheCause() throws {
        let a = try dataset("a")
        expectError(try E2E.run(["push"], in: a), exit: 3, hint: true, mentioning: ["origin"])
        expectError(try E2E.run(["remote", "add", "-bad", "/x"], in: a), exit: 2)
        expect(try E2E.run(["remote", "add", "origin", "git://127.0.0.1:1/none.git"], in: a), exit: 0)
        expectError(try E2E.run(["remote", "add", "origin", "/elsewhere"], in: a), exit: 4, hint: true)
        expectError(try E2E.run(["fetch"], in: a), exit: 6, hint: true, mentioning: ["origin", "127.0.0.1:1"])
        expectError(try E2E.run(["fetch", "nowhere"], in: a), exit: 3, hint: true, mentioning: ["origin"])
        expect(try E2E.run(["remote", "remove", "origin"], in: a), exit: 0)
        XCTAssertEqual(try E2E.run(["remote"], in: a).stdout, "")
        expectError(try E2E.run(["clone", "./missing.git", "x"], in: scratch.path), exit: 6)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path + "/x"), "a failed clone leaves nothing")
    }

    /// A remote whose refs lie: a snapshot ref naming another commit, one whose tree would write
    /// outside the dataset, a record that is not JSON. The honest parts arrive; the rest is refused.
    func testAHostileRemoteIsRefusedAndTheCatalogStaysSound() throws {
        let a = try dataset("a")
        let remote = scratch.path + "/server.git"
        expect(try E2E.run(["remote", "add", "origin", remote, "--create"], in: a), exit: 0)
        expect(try E2E.run(["push", "-q"], in: a), exit: 0)
        let honest = try XCTUnwrap(try ids([], in: a).first)
        func git(_ arguments: [String], input: String? = nil) throws -> String {
            let identity = "GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@example.com GIT_COMMITTER_NAME=x GIT_COMMITTER_EMAIL=x@example.com "
            let result = try E2E.tool("sh", ["-c", identity + "git --git-dir='\(remote)' " + arguments.joined(separator: " ")
                                             + (input.map { " <<'EOF'\n\($0)\nEOF" } ?? "")], in: scratch.path)
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // A tree with an entry named '..' cannot be made by git's porcelain: written with mktree.
        let blob = try git(["hash-object", "-w", "--stdin"], input: "evil")
        let inner = try git(["mktree"], input: "100644 blob \(blob)\tpasswd")
        let evilTree = try git(["mktree", "--missing"], input: "040000 tree \(inner)\t..")
        let evil = try git(["commit-tree", evilTree, "-m", "evil"])
        try _ = git(["update-ref", "refs/dsnap/snapshots/\(evil)", evil])
        let liar = try git(["commit-tree", try git(["write-tree"]), "-m", "liar"])
        try _ = git(["update-ref", "refs/dsnap/snapshots/\(String(repeating: "ab", count: 20))", liar])
        try _ = git(["notes", "--ref=dsnap", "add", "-f", "-m", "'not json'", honest])

        let clone = try E2E.run(["clone", "file://" + remote, "b", "--json"], in: scratch.path)
        expect(clone, exit: 0)
        let b = scratch.path + "/b"
        XCTAssertEqual(try ids([], in: b), [honest])
        let refused = try XCTUnwrap(try jsonObject(clone)["refused"] as? [String])
        XCTAssertEqual(refused.count, 3, "\(refused)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path + "/passwd"))
        XCTAssertEqual(try record(honest, in: b)["snapshot_name"] as? String, "shared_snapshot_" + honest.prefix(8))
        let fetched = try E2E.run(["fetch"], in: a)
        expect(fetched, exit: 0)
        XCTAssertTrue(fetched.stderr.contains("warning: refused"), fetched.stderr)
        XCTAssertEqual(try ids([], in: a), [honest])
        expect(try E2E.run(["verify"], in: a), exit: 0)
        expect(try E2E.run(["verify"], in: b), exit: 0)
        // The refused record does not travel on: a push to a clean remote carries none of it.
        let forgedNotes = try git(["rev-parse", "refs/notes/dsnap"])
        expect(try E2E.run(["remote", "add", "clean", scratch.path + "/clean.git", "--create"], in: b), exit: 0)
        expect(try E2E.run(["push", "-q", "clean"], in: b), exit: 0)
        XCTAssertNotEqual(try E2E.tool("git", ["--git-dir=" + scratch.path + "/clean.git", "cat-file", "-e", forgedNotes],
                                       in: scratch.path).status, 0, "the forged notes commit stayed behind")
    }

    /// An object of a path remote whose file is not what its name says never enters the store.
    func testADamagedObjectOnAPathRemoteStopsTheFetchBeforeItLands() throws {
        let a = try dataset("a")
        let remote = scratch.path + "/server.git"
        expect(try E2E.run(["remote", "add", "origin", remote, "--create"], in: a), exit: 0)
        expect(try E2E.run(["push", "-q"], in: a), exit: 0)
        expect(try E2E.run(["clone", "-q", remote, "b"], in: scratch.path), exit: 0)
        let b = scratch.path + "/b"
        try "{\"fresh\": 1}\n".write(toFile: b + "/fresh.json", atomically: false, encoding: .utf8)
        _ = try commit(["-m", "fresh"], in: b, now: "2026-03-01T10:01:00Z")
        expect(try E2E.run(["push", "-q"], in: b), exit: 0)
        let blob = try E2E.tool("git", ["--git-dir=" + remote, "rev-parse", "main:fresh.json"], in: scratch.path)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let file = remote + "/objects/" + blob.prefix(2) + "/" + blob.dropFirst(2)
        chmod(file, 0o644)
        try Data("not a zlib stream".utf8).write(to: URL(fileURLWithPath: file))
        let before = try ids([], in: a)
        expectError(try E2E.run(["fetch"], in: a), exit: 6, mentioning: [String(blob.prefix(12))])
        XCTAssertEqual(try ids([], in: a), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: a + "/.dsnap/objects/" + blob.prefix(2) + "/" + blob.dropFirst(2)))
        expect(try E2E.run(["verify"], in: a), exit: 0)
    }

    /// ssh:// against a throwaway sshd on loopback: an unknown host is refused naming its key;
    /// once in known_hosts, the user's ed25519 key pushes, clones and pulls.
    func testSSHOnLoopback() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd"), getuid() == 0 else {
            throw XCTSkip("needs Debian's openssh-server and root (sshd's privilege separation)")
        }
        let keys = scratch.path + "/keys"
        let ssh = DsnapProcess.home + "/.ssh"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: ssh, withIntermediateDirectories: true)
        for key in ["host", "client"] {
            XCTAssertEqual(try E2E.tool("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keys + "/" + key], in: keys).status, 0)
        }
        try? FileManager.default.removeItem(atPath: ssh + "/id_ed25519")
        try? FileManager.default.removeItem(atPath: ssh + "/id_ed25519.pub")
        try? FileManager.default.removeItem(atPath: ssh + "/known_hosts")
        try FileManager.default.copyItem(atPath: keys + "/client", toPath: ssh + "/id_ed25519")
        try FileManager.default.copyItem(atPath: keys + "/client.pub", toPath: ssh + "/id_ed25519.pub")
        defer {
            for name in ["id_ed25519", "id_ed25519.pub", "known_hosts"] { try? FileManager.default.removeItem(atPath: ssh + "/" + name) }
        }
        let port = 40_000 + Int(getpid() % 20_000)
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(keys)/host
        AuthorizedKeysFile \(keys)/client.pub
        UsePAM no
        StrictModes no
        PasswordAuthentication no
        PermitRootLogin prohibit-password
        PidFile \(keys)/sshd.pid

        """.write(toFile: keys + "/sshd_config", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let started = try E2E.tool("/usr/sbin/sshd", ["-f", keys + "/sshd_config", "-E", keys + "/sshd.log"], in: keys)
        XCTAssertEqual(started.status, 0, started.stderr)
        defer {
            if let pid = try? String(contentsOfFile: keys + "/sshd.pid", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines), let number = Int32(pid) { kill(number, SIGTERM) }
        }
        let a = try dataset("a")
        expect(try E2E.run(["remote", "add", "lab", scratch.path + "/served.git", "--create"], in: a), exit: 0)
        let url = "ssh://root@127.0.0.1:\(port)\(scratch.path)/served.git"
        expect(try E2E.run(["remote", "add", "origin", url], in: a), exit: 0)
        let fingerprint = try E2E.tool("ssh-keygen", ["-lf", keys + "/host.pub"], in: keys).stdout
            .split(separator: " ")[1]
        var refused = try E2E.run(["push"], in: a)
        for _ in 0..<50 where refused.status == 6 {
            usleep(100_000)   // sshd takes a moment to listen
            refused = try E2E.run(["push"], in: a)
        }
        expectError(refused, exit: 5, hint: true, mentioning: [String(fingerprint), "known_hosts"])
        let scanned = try E2E.tool("ssh-keyscan", ["-p", "\(port)", "127.0.0.1"], in: keys)
        try scanned.stdout.write(toFile: ssh + "/known_hosts", atomically: false, encoding: .utf8)
        expect(try E2E.run(["push"], in: a), exit: 0)
        expect(try E2E.run(["clone", "-q", url, "b"], in: scratch.path), exit: 0)
        let b = scratch.path + "/b"
        XCTAssertEqual(try ids([], in: b), try ids([], in: a))
        try "{\"over\": \"ssh\"}\n".write(toFile: b + "/ssh.json", atomically: false, encoding: .utf8)
        let fromB = try idOf(try commit(["-m", "over ssh"], in: b, now: "2026-03-01T10:01:00Z"))
        expect(try E2E.run(["push"], in: b), exit: 0)
        expect(try E2E.run(["pull"], in: a), exit: 0)
        XCTAssertEqual(try record("current", in: a)["snapshot_id"] as? String, fromB)
    }

    /// Smart HTTP (`git http-backend` behind Tests/remotes/smart_http.py, as a forge serves it),
    /// the token from DSNAP_TOKEN: refused without it or with a wrong one, pushes and clones with it.
    func testSmartHTTPWithAToken() throws {
        let served = scratch.path + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        XCTAssertEqual(try E2E.tool("git", ["init", "-q", "--bare", served + "/data.git"], in: served).status, 0)
        XCTAssertEqual(try E2E.tool("git", ["--git-dir=" + served + "/data.git", "config", "http.receivepack", "true"],
                                    in: served).status, 0)
        let (server, port) = try E2E.loopbackServer("smart_http.py", [served, served + "/port", "s3cret"],
                                                    portFile: served + "/port")
        defer { server.terminate(); server.waitUntilExit() }
        let url = "http://127.0.0.1:\(try XCTUnwrap(port))/data.git"
        let a = try dataset("a")
        expect(try E2E.run(["remote", "add", "origin", url], in: a), exit: 0)
        expectError(try E2E.run(["push"], in: a), exit: 5, hint: true, mentioning: ["DSNAP_TOKEN is not set"])
        let token = DsnapProcess.environment(extra: ["DSNAP_TOKEN": "s3cret"])
        let wrong = try RunningDsnap(["push"], in: a, environment: DsnapProcess.environment(extra: ["DSNAP_TOKEN": "no"])).wait()
        expectError(wrong, exit: 5, hint: true, mentioning: ["refused the token"])
        expect(try RunningDsnap(["push"], in: a, environment: token).wait(), exit: 0)
        expect(try RunningDsnap(["clone", "-q", url, "b"], in: scratch.path, environment: token).wait(), exit: 0)
        XCTAssertEqual(try ids([], in: scratch.path + "/b"), try ids([], in: a))
    }

    /// A push killed at any instant (here: a few instants into a push of 48 MB of media to a path
    /// remote) leaves the remote sound and the dataset untouched; the next push sends the rest.
    func testAPushKilledHalfWayIsFinishedByTheNext() throws {
        let a = try dataset("a")
        try FileManager.default.createDirectory(atPath: a + "/bulk", withIntermediateDirectories: true)
        let random = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom"))
        for index in 0..<48 {
            try random.readData(ofLength: 1 << 20).write(to: URL(fileURLWithPath: a + "/bulk/\(index).jpg"))
        }
        let bulk = try idOf(try commit(["-m", "bulk"], in: a, now: "2026-03-01T10:01:00Z"))
        // On another file system where there is one (tmpfs), so objects are copied, not linked:
        // a push that takes long enough to be killed half-way.
        let share = FileManager.default.isWritableFile(atPath: "/dev/shm")
            ? "/dev/shm/dsnap-e2e-" + UUID().uuidString : scratch.path + "/share"
        try FileManager.default.createDirectory(atPath: share, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: share) }
        let remote = share + "/server.git"
        expect(try E2E.run(["remote", "add", "origin", remote, "--create"], in: a), exit: 0)
        var killed = 0
        for delay in [0.01, 0.03, 0.06, 0.1, 0.2] {
            let push = try E2E.start(["push", "-q"], in: a)
            usleep(useconds_t(delay * 1_000_000))
            kill(push.process.processIdentifier, SIGKILL)
            if push.wait().killedBySignal { killed += 1 }
            let fsck = try E2E.tool("git", ["--git-dir=" + remote, "fsck", "--full", "--no-dangling"], in: scratch.path)
            XCTAssertEqual(fsck.status, 0, "after a kill at \(delay) s: \(fsck.stdout)\(fsck.stderr)")
            expect(try E2E.run(["verify"], in: a), exit: 0)
        }
        XCTAssertGreaterThan(killed, 0, "no push was still running when killed")
        expect(try E2E.run(["push", "-q"], in: a), exit: 0)
        expect(try E2E.run(["clone", "-q", remote, "b"], in: scratch.path), exit: 0)
        XCTAssertTrue(try ids([], in: scratch.path + "/b").contains(bulk))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/b/bulk/47.jpg")),
                       try Data(contentsOf: URL(fileURLWithPath: a + "/bulk/47.jpg")))
        XCTAssertEqual(try E2E.tool("git", ["--git-dir=" + remote, "fsck", "--full", "--no-dangling"], in: scratch.path).status, 0)
    }

    /// A delete made elsewhere of the snapshot current here: kept live here, the server keeps the
    /// tombstone (no flip-flop between the two machines' pushes), and a fresh clone checks out
    /// the remote's current even though its record says deleted.
    func testADeleteOfTheSnapshotCurrentElsewhereSettles() throws {
        let a = try dataset("a")
        let remote = scratch.path + "/server.git"
        expect(try E2E.run(["remote", "add", "origin", remote, "--create"], in: a), exit: 0)
        try "{\"x\": 1}\n".write(toFile: a + "/x.json", atomically: false, encoding: .utf8)
        let current = try idOf(try commit(["-m", "current on a"], in: a, now: "2026-03-01T10:01:00Z"))
        expect(try E2E.run(["push", "-q"], in: a, now: "2026-03-01T10:02:00Z"), exit: 0)
        expect(try E2E.run(["clone", "-q", remote, "b"], in: scratch.path), exit: 0)
        let b = scratch.path + "/b"
        let creation = try XCTUnwrap(try ids([], in: b).last)
        expect(try E2E.run(["restore", creation], in: b, now: "2026-03-01T10:03:00Z"), exit: 0)
        expect(try E2E.run(["delete", current], in: b, now: "2026-03-01T10:04:00Z"), exit: 0)
        var tombstones: [String] = []
        for (index, root) in [b, a, b, a, b].enumerated() {
            expect(try E2E.run(["push", "-q"], in: root, now: "2026-03-01T10:1\(index):00Z"), exit: 0)
            tombstones.append(try E2E.tool("git", ["--git-dir=" + remote, "for-each-ref", "refs/dsnap/deleted/"],
                                           in: scratch.path).stdout)
        }
        XCTAssertEqual(Set(tombstones).count, 1, "the server's tombstone stays put: \(tombstones)")
        XCTAssertEqual(try record("current", in: a)["snapshot_id"] as? String, current, "never hidden where current")
        // The remote's HEAD is b's current now (b pushed last); a's current, deleted, stays a's.
        expect(try E2E.run(["push", "-q"], in: a, now: "2026-03-01T10:20:00Z"), exit: 0)
        expect(try E2E.run(["clone", "-q", remote, "c"], in: scratch.path), exit: 0)
        XCTAssertEqual(try record("current", in: scratch.path + "/c")["snapshot_id"] as? String, current,
                       "a clone checks out the remote's current, deleted or not")
    }

    func testCreateAndNamesThatLookLikeURLs() throws {
        let a = try dataset("a")
        try FileManager.default.createDirectory(atPath: scratch.path + "/full", withIntermediateDirectories: true)
        try "x".write(toFile: scratch.path + "/full/file", atomically: false, encoding: .utf8)
        expectError(try E2E.run(["remote", "add", "s", "../full", "--create"], in: a), exit: 4, hint: true,
                    mentioning: ["not an empty folder"])
        expectError(try E2E.run(["remote", "add", "s", "host:/srv/x.git", "--create"], in: a), exit: 2, hint: true,
                    mentioning: ["git init --bare"])
        expect(try E2E.run(["remote", "add", "s", "../shared.git", "--create"], in: a), exit: 0)
        var info = stat()
        XCTAssertEqual(lstat(scratch.path + "/shared.git/objects", &info), 0)
        XCTAssertEqual(info.st_mode & 0o2070, 0o2070, "group-writable, setgid")
        // A bare relative name of an existing folder is a path, stored absolute.
        expect(try E2E.run(["remote", "add", "rel", "shared.git"], in: scratch.path + "/a/.."), exit: 3)
        expect(try E2E.run(["-C", a, "remote", "add", "rel", "../shared.git"], in: scratch.path), exit: 0)
        XCTAssertTrue(try E2E.run(["remote", "-v"], in: a).stdout.contains("rel\t" + scratch.path + "/shared.git"))
        // A snapshot whose name looks like host:path is still a snapshot to clone.
        let creation = try XCTUnwrap(try ids([], in: a).first)
        expect(try E2E.run(["update", creation, "-m", "crop: v2"], in: a), exit: 0)
        expect(try E2E.run(["clone", "-q", "crop: v2", scratch.path + "/cropped"], in: a), exit: 0)
        XCTAssertEqual(try record("current", in: scratch.path + "/cropped")["reason"] as? String, "clone")
    }

    /// Three machines, each with its own snapshots and edits of shared records, pushing and
    /// fetching in turns: every catalog ends equal, every snapshot and the newest edit of each
    /// record kept.
    func testThreeDatasetsConverge() throws {
        let a = try dataset("a")
        expect(try E2E.run(["remote", "add", "origin", "../server.git", "--create"], in: a), exit: 0)
        expect(try E2E.run(["push", "-q"], in: a), exit: 0)
        for name in ["b", "c"] { expect(try E2E.run(["clone", "-q", "./server.git", name], in: scratch.path), exit: 0) }
        let roots = [a, scratch.path + "/b", scratch.path + "/c"]
        let creation = try XCTUnwrap(try ids([], in: a).first)
        var made: Set<String> = []
        for (index, root) in roots.enumerated() {
            try "{\"by\": \(index)}\n".write(toFile: root + "/mine.json", atomically: false, encoding: .utf8)
            made.insert(try idOf(try commit(["-m", "from \(index)"], in: root, now: "2026-03-01T10:0\(index):00Z")))
            expect(try E2E.run(["update", creation, "-d", "described by \(index)"], in: root,
                               now: "2026-03-01T10:0\(index):30Z"), exit: 0)
        }
        for round in 0..<2 {
            for (index, root) in roots.enumerated() {
                expect(try E2E.run(["push", "-q"], in: root, now: "2026-03-01T11:\(round)\(index):00Z"), exit: 0)
            }
        }
        let catalogs = try roots.map { try ids([], in: $0) }
        XCTAssertEqual(Set(catalogs.map { $0.sorted() }).count, 1, "\(catalogs)")
        XCTAssertTrue(made.isSubset(of: Set(catalogs[0])))
        for root in roots {
            XCTAssertEqual(try record(creation, in: root)["description"] as? String, "described by 2", root)
        }
    }

    /// The server killed mid-transfer (its receive-pack, as a crash or a dropped connection
    /// would end it): the push fails with the remote and the cause named, the dataset is untouched,
    /// and the next push sends what is missing.
    func testAServerKilledMidPushFailsClearlyAndTheNextPushFinishes() throws {
        let a = try dataset("a")
        let served = scratch.path + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        XCTAssertEqual(try E2E.tool("git", ["init", "-q", "--bare", served + "/data.git"], in: served).status, 0)
        let port = 30_000 + Int(getpid() % 10_000)
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        daemon.arguments = ["daemon", "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(served)",
                            "--export-all", "--enable=receive-pack", served]
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer { daemon.terminate(); daemon.waitUntilExit() }
        expect(try E2E.run(["remote", "add", "origin", "git://127.0.0.1:\(port)/data.git"], in: a), exit: 0)
        var first = try E2E.run(["push", "-q"], in: a)
        for _ in 0..<50 where first.status == 6 {
            usleep(100_000)   // the daemon takes a moment to listen
            first = try E2E.run(["push", "-q"], in: a)
        }
        expect(first, exit: 0)
        let random = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom"))
        var failures = 0
        for (step, delay) in [0.05, 0.1, 0.2, 0.4, 0.8].enumerated() {
            for part in 0..<24 {
                try random.readData(ofLength: 1 << 20).write(to: URL(fileURLWithPath: a + "/bulk\(step)-\(part).jpg"))
            }
            _ = try commit(["-m", "bulk \(step)"], in: a, now: "2026-03-01T10:1\(step):00Z")
            let before = try ids([], in: a)
            let push = try E2E.start(["push", "-q"], in: a, now: "2026-03-01T10:2\(step):00Z")
            usleep(useconds_t(delay * 1_000_000))
            _ = try E2E.tool("pkill", ["-KILL", "-f", "git receive-pack"], in: served)
            let run = push.wait()
            if run.status != 0 {
                failures += 1
                expectError(run, exit: 6, hint: true, mentioning: ["origin", "127.0.0.1:\(port)"])
            }
            XCTAssertEqual(try ids([], in: a), before, "the dataset is untouched")
            expect(try E2E.run(["verify"], in: a), exit: 0)
            if failures > 0 { break }
        }
        XCTAssertGreaterThan(failures, 0, "no push was still sending when its server was killed")
        expect(try E2E.run(["push", "-q"], in: a, now: "2026-03-01T10:30:00Z"), exit: 0)
        let fsck = try E2E.tool("git", ["--git-dir=" + served + "/data.git", "fsck", "--full", "--no-dangling"], in: served)
        XCTAssertEqual(fsck.status, 0, fsck.stdout + fsck.stderr)
        expect(try E2E.run(["clone", "-q", "git://127.0.0.1:\(port)/data.git", "b"], in: scratch.path), exit: 0)
        XCTAssertEqual(Set(try ids([], in: scratch.path + "/b")), Set(try ids([], in: a)))
    }

    private func packNames(_ repository: String) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: repository + "/objects/pack").filter { $0.hasSuffix(".pack") })
    }

    private func packBytes(_ repository: String) throws -> Int {
        let folder = repository + "/objects/pack"
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".pack") }
            .reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: folder + "/" + $1)[.size] as? Int) ?? 0) }
    }
}

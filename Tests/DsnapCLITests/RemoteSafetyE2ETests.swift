import Foundation
import XCTest

/// What a remote may not do to a dataset that fetches from it: bring in more than the dataset's
/// caps (`dsnap.maxFetchObjects`, `dsnap.maxFetchBytes`), or merge another dataset's catalog into
/// it; and a push with nothing new on the server talks to it once, over one connection.
final class RemoteSafetyE2ETests: XCTestCase {
    private var scratch: TemporaryDataset!

    override func setUpWithError() throws {
        scratch = try TemporaryDataset(emptyNamed: "lab")
    }

    /// A dataset copied from the fixture into the scratch folder, initialised at `now`.
    private func dataset(_ name: String, named datasetName: String = "shared",
                         now: String = "2026-03-01T10:00:00Z") throws -> String {
        let fixture = try TemporaryDataset(fixture: "basic")
        let path = scratch.path + "/" + name
        try FileManager.default.copyItem(atPath: fixture.path, toPath: path)
        expect(try E2E.run(["init", "-q", "--name", datasetName], in: path, now: now), exit: 0)
        return path
    }

    private func ids(_ root: String) throws -> [String] {
        try log(in: root).map { try idOf($0) }
    }

    /// The dataset's refs for remote `name` (what its last fetch or push saw), one line each.
    private func trackingRefs(_ root: String, remote: String = "origin") throws -> String {
        try E2E.git(["for-each-ref", "refs/dsnap/remotes/\(remote)/"], dataset: root).stdout
    }

    /// `git daemon` on loopback serving the bare repositories in `served`, pushes allowed, its
    /// requests logged to `served/daemon.log`.
    private final class GitDaemon {
        let process = Process()
        let port: Int
        let log: String

        init(serving served: String, port: Int) throws {
            self.port = port
            log = served + "/daemon.log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            process.arguments = ["daemon", "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(served)",
                                 "--export-all", "--enable=receive-pack", "--verbose", served]
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            try process.run()
        }

        func url(_ repository: String) -> String { "git://127.0.0.1:\(port)/\(repository)" }

        /// How many times a service (`upload-pack`, `receive-pack`) was asked for so far.
        func requests(_ service: String) -> Int {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "Request \(service)").count - 1
        }

        deinit {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// Starts a daemon and waits until `root` can push to it as `origin`.
    private func daemonWithFirstPush(from root: String, port: Int) throws -> GitDaemon {
        let served = scratch.path + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        XCTAssertEqual(try E2E.tool("git", ["init", "-q", "--bare", served + "/data.git"], in: served).status, 0)
        let daemon = try GitDaemon(serving: served, port: port)
        expect(try E2E.run(["remote", "add", "origin", daemon.url("data.git")], in: root), exit: 0)
        var first = try E2E.run(["push", "-q"], in: root)
        for _ in 0..<50 where first.status == 6 {
            usleep(100_000)   // the daemon takes a moment to listen
            first = try E2E.run(["push", "-q"], in: root)
        }
        expect(first, exit: 0)
        return daemon
    }

    /// Two datasets made apart (no snapshot in common) do not merge through a remote by
    /// mistake: fetch, push and pull refuse before anything moves; --allow-unrelated merges.
    func testARemoteHoldingAnotherDatasetIsRefused() throws {
        let a = try dataset("a")
        expect(try E2E.run(["remote", "add", "origin", "../server.git", "--create"], in: a), exit: 0)
        expect(try E2E.run(["push", "-q"], in: a), exit: 0)
        let other = try dataset("other", named: "birds", now: "2026-03-02T09:00:00Z")
        XCTAssertNotEqual(try ids(other), try ids(a))
        expect(try E2E.run(["remote", "add", "origin", "../server.git"], in: other), exit: 0)
        let mine = try ids(other)
        let serverRefs = try E2E.tool("git", ["--git-dir=" + scratch.path + "/server.git", "for-each-ref"], in: scratch.path).stdout
        for command in [["fetch"], ["push"], ["pull"]] {
            expectError(try E2E.run(command, in: other), exit: 4, hint: true,
                        mentioning: ["origin", "another dataset", "'shared'", "--allow-unrelated"])
        }
        XCTAssertEqual(try ids(other), mine)
        XCTAssertEqual(try trackingRefs(other), "", "nothing fetched is named")
        XCTAssertEqual(try E2E.tool("git", ["--git-dir=" + scratch.path + "/server.git", "for-each-ref"], in: scratch.path).stdout,
                       serverRefs, "nothing pushed")
        // A clone of a clone shares the snapshots: no refusal there.
        expect(try E2E.run(["clone", "-q", "./server.git", "b"], in: scratch.path), exit: 0)
        expect(try E2E.run(["clone", "-q", "./b", "c"], in: scratch.path), exit: 0)
        expect(try E2E.run(["remote", "add", "server", "../server.git"], in: scratch.path + "/c"), exit: 0)
        expect(try E2E.run(["fetch", "-q", "server"], in: scratch.path + "/c"), exit: 0)
        // Asked to, the catalogs merge: snapshots are a set.
        expect(try E2E.run(["fetch", "-q", "--allow-unrelated"], in: other), exit: 0)
        XCTAssertEqual(Set(try ids(other)), Set(mine + (try ids(a))))
        expect(try E2E.run(["push", "-q"], in: other), exit: 0)
    }

    /// Over the network, where nothing can be read before a fetch, the refusal names the remote's
    /// dataset too: only its dataset-info commit comes in (the commit and the empty tree, once; no
    /// ref moves, no FETCH_HEAD). An info commit of more than a few KB, sent or inflated, is not
    /// read: the refusal stands without the name, and nothing of a transfer stopped is kept.
    func testARemoteOverTheNetworkHoldingAnotherDatasetIsRefusedByName() throws {
        let a = try dataset("a")
        let daemon = try daemonWithFirstPush(from: a, port: 30_000 + Int(getpid() % 10_000))
        let url = daemon.url("data.git")
        let other = try dataset("other", named: "birds", now: "2026-03-02T09:00:00Z")
        expect(try E2E.run(["remote", "add", "origin", url], in: other), exit: 0)
        let (refs, mine) = (try E2E.git(["for-each-ref"], dataset: other).stdout, try ids(other))
        for command in [["fetch"], ["push"], ["pull"]] {
            expectError(try E2E.run(command, in: other), exit: 4, hint: true,
                        mentioning: ["origin", url, "another dataset ('shared'): none of its", "--allow-unrelated"])
            // (A push publishes this dataset's own info ref first, whatever the remote holds.)
            if command == ["fetch"] { XCTAssertEqual(try E2E.git(["for-each-ref"], dataset: other).stdout, refs, "no ref moved") }
        }
        XCTAssertEqual(try ids(other), mine)
        XCTAssertFalse(FileManager.default.fileExists(atPath: other + "/.dsnap/FETCH_HEAD"))
        XCTAssertEqual(try packedObjects(other), 2, "the info commit and the empty tree, downloaded once")
        XCTAssertEqual(try trackingRefs(other), "")

        // A server whose info commit weighs more than a few KB: random text (the transfer stops
        // at the cap), then a megabyte of one letter (a small pack, too big once inflated).
        let served = scratch.path + "/served/data.git"
        let message = scratch.path + "/message"
        let random = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom"))
        let heavy = random.readData(ofLength: 48 << 10).base64EncodedString()
        for (text, kept) in [(heavy, 0), (String(repeating: "a", count: 1 << 20), 2)] {
            try "{\"name\": \"\(text)\"}".write(toFile: message, atomically: false, encoding: .utf8)
            let commit = try E2E.tool("git", ["--git-dir=" + served, "-c", "user.name=x", "-c", "user.email=x@example.com",
                                              "commit-tree", "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "-F", message],
                                      in: scratch.path)
            XCTAssertEqual(commit.status, 0, commit.stderr)
            let moved = try E2E.tool("git", ["--git-dir=" + served, "update-ref", "refs/dsnap/info/dataset",
                                             commit.stdout.trimmingCharacters(in: .whitespacesAndNewlines)],
                                     in: scratch.path)
            XCTAssertEqual(moved.status, 0, moved.stderr)
            let fresh = try dataset("fresh-\(kept)", named: "fish", now: "2026-03-03T09:00:00Z")
            expect(try E2E.run(["remote", "add", "origin", url], in: fresh), exit: 0)
            let refused = expectError(try E2E.run(["fetch"], in: fresh), exit: 4, hint: true,
                                      mentioning: ["another dataset: none of its"])
            XCTAssertLessThan(refused.stderr.count, 400, refused.stderr)
            XCTAssertEqual(try packedObjects(fresh), kept)
            XCTAssertEqual(try trackingRefs(fresh), "")
        }
    }

    /// Over smart HTTP, where each request is a connection of its own, the refusal names the
    /// remote's dataset as well, and takes in only its info commit.
    func testARemoteOverSmartHTTPHoldingAnotherDatasetIsRefusedByName() throws {
        let served = scratch.path + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        let (server, port) = try smartHTTP(serving: served)
        defer { server.terminate(); server.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)/data.git"
        let token = DsnapProcess.environment(extra: ["DSNAP_TOKEN": "s3cret"])
        let a = try dataset("a")
        expect(try E2E.run(["remote", "add", "origin", url], in: a), exit: 0)
        expect(try RunningDsnap(["push", "-q"], in: a, environment: token).wait(), exit: 0)
        let other = try dataset("other", named: "birds", now: "2026-03-02T09:00:00Z")
        expect(try E2E.run(["remote", "add", "origin", url], in: other), exit: 0)
        let refs = try E2E.git(["for-each-ref"], dataset: other).stdout
        expectError(try RunningDsnap(["fetch"], in: other, environment: token).wait(), exit: 4, hint: true,
                    mentioning: ["origin", url, "another dataset ('shared'): none of its"])
        XCTAssertEqual(try E2E.git(["for-each-ref"], dataset: other).stdout, refs, "no ref moved")
        XCTAssertEqual(try packedObjects(other), 2)
    }

    /// Objects in the dataset's packs, as `git count-objects` counts them.
    private func packedObjects(_ root: String) throws -> Int? {
        let counted = try E2E.git(["count-objects", "-v"], dataset: root).stdout
        return counted.split(separator: "\n").first { $0.hasPrefix("in-pack: ") }.flatMap { Int($0.dropFirst(9)) }
    }

    /// A fetch over the network past a cap stops with exit 5 naming the remote and the cap, and
    /// moves no ref; lifted, the same fetch completes. A path remote obeys the same caps.
    func testFetchCapsStopARemoteThatSendsTooMuch() throws {
        let a = try dataset("a")
        let daemon = try daemonWithFirstPush(from: a, port: 40_000 + Int(getpid() % 10_000))
        expect(try E2E.run(["clone", "-q", daemon.url("data.git"), "b"], in: scratch.path), exit: 0)
        let b = scratch.path + "/b"
        let random = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom"))
        for part in 0..<4 {
            try random.readData(ofLength: 64 << 10).write(to: URL(fileURLWithPath: a + "/new\(part).jpg"))
        }
        let added = try idOf(try commit(["-m", "new media"], in: a, now: "2026-03-01T10:10:00Z"))
        expect(try E2E.run(["push", "-q"], in: a, now: "2026-03-01T10:11:00Z"), exit: 0)
        let before = (try ids(b), try trackingRefs(b))

        XCTAssertEqual(try E2E.git(["config", "dsnap.maxFetchBytes", "100k"], dataset: b).status, 0)
        expectError(try E2E.run(["fetch"], in: b), exit: 5, hint: true,
                    mentioning: ["origin", daemon.url("data.git"), "dsnap.maxFetchBytes (102400)", "nothing was applied"])
        XCTAssertEqual(try E2E.git(["config", "dsnap.maxFetchBytes", "0"], dataset: b).status, 0)
        XCTAssertEqual(try E2E.git(["config", "dsnap.maxFetchObjects", "3"], dataset: b).status, 0)
        expectError(try E2E.run(["pull"], in: b), exit: 5, hint: true, mentioning: ["origin", "dsnap.maxFetchObjects (3)"])
        XCTAssertEqual(try ids(b), before.0)
        XCTAssertEqual(try trackingRefs(b), before.1, "no ref moved")
        expect(try E2E.run(["verify"], in: b), exit: 0)

        XCTAssertEqual(try E2E.git(["config", "dsnap.maxFetchObjects", "many"], dataset: b).status, 0)
        expectError(try E2E.run(["fetch"], in: b), exit: 2, hint: true, mentioning: ["dsnap.maxFetchObjects", "many"])
        XCTAssertEqual(try E2E.git(["config", "dsnap.maxFetchObjects", "0"], dataset: b).status, 0)
        expect(try E2E.run(["fetch", "-q"], in: b), exit: 0)
        XCTAssertTrue(try ids(b).contains(added))

        // A clone has no settings of its own yet: the user's git config sets its caps.
        let home = scratch.path + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try "[dsnap]\n\tmaxFetchObjects = 3\n".write(toFile: home + "/.gitconfig", atomically: true, encoding: .utf8)
        var environment = DsnapProcess.environment(now: "2026-03-01T10:12:00Z")
        environment["HOME"] = home
        let capped = try RunningDsnap(["clone", daemon.url("data.git"), "capped"], in: scratch.path, environment: environment).wait()
        expectError(capped, exit: 5, hint: true, mentioning: ["origin", "dsnap.maxFetchObjects (3)", "git config --global"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path + "/capped"), "nothing of the clone is left")

        // The same caps for a path remote, counted before the first object is copied.
        expect(try E2E.run(["remote", "add", "share", "../share.git", "--create"], in: a), exit: 0)
        expect(try E2E.run(["push", "-q", "share"], in: a), exit: 0)
        let c = try dataset("c")
        expect(try E2E.run(["remote", "add", "share", "../share.git"], in: c), exit: 0)
        XCTAssertEqual(try E2E.git(["config", "dsnap.maxFetchObjects", "3"], dataset: c).status, 0)
        expectError(try E2E.run(["fetch", "share"], in: c), exit: 5, mentioning: ["share", "dsnap.maxFetchObjects (3)"])
        XCTAssertEqual(try trackingRefs(c, remote: "share"), "")
        XCTAssertEqual(try E2E.git(["config", "dsnap.maxFetchObjects", "0"], dataset: c).status, 0)
        XCTAssertEqual(try E2E.git(["config", "dsnap.maxFetchBytes", "1k"], dataset: c).status, 0)
        expectError(try E2E.run(["fetch", "share"], in: c), exit: 5, mentioning: ["share", "dsnap.maxFetchBytes (1024)"])
        XCTAssertEqual(try trackingRefs(c, remote: "share"), "")
    }

    /// Tests/remotes/hostile_pack_server.py serving a pack of `kind` on loopback, and its port.
    private func hostileServer(_ kind: String, _ arguments: [String] = []) throws -> (Process, String) {
        let (server, port) = try E2E.loopbackServer("hostile_pack_server.py", [kind, scratch.path + "/port-" + kind] + arguments,
                                                    portFile: scratch.path + "/port-" + kind)
        guard let port else {
            server.terminate()
            server.waitUntilExit()
            throw XCTSkip("the hostile server did not start")
        }
        return (server, port)
    }

    /// A server that sends a pack breaking a rule (a delta copying past its base, a wrong
    /// checksum, a pack cut short, an entry that is not zlib) is refused with exit 6 naming the
    /// remote and the reason; nothing of the pack stays in the store, no ref moves, and the
    /// dataset verifies.
    func testAServerSendingABrokenPackIsRefusedAndLeavesNothing() throws {
        let a = try dataset("a")
        let packFolder = a + "/.dsnap/objects/pack"
        let before = (try ids(a), try E2E.git(["for-each-ref"], dataset: a).stdout,
                      (try? FileManager.default.contentsOfDirectory(atPath: packFolder)) ?? [])
        for (kind, reason) in [("bad-delta", "copies past the end"), ("bad-checksum", "checksum does not match"),
                               ("truncated", ""), ("bad-zlib", "not a valid zlib stream")] {
            let (server, port) = try hostileServer(kind)
            defer {
                server.terminate()
                server.waitUntilExit()
            }
            let remote = "hostile-" + kind
            expect(try E2E.run(["remote", "add", remote, "git://127.0.0.1:\(port)/data.git"], in: a), exit: 0)
            let fetched = try E2E.run(["fetch", remote, "--allow-unrelated"], in: a)
            expectError(fetched, exit: 6, hint: true, mentioning: [remote] + (reason.isEmpty ? [] : [reason]))
            XCTAssertEqual(fetched.stderr.split(separator: "\n").count, 2, "one line and a hint: \(fetched.stderr)")
            XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: packFolder)) ?? [], before.2,
                           "\(kind): nothing of the pack is kept")
        }
        XCTAssertEqual(try ids(a), before.0)
        XCTAssertEqual(try E2E.git(["for-each-ref"], dataset: a).stdout, before.1, "no ref moved")
        expect(try E2E.run(["verify"], in: a), exit: 0)
        XCTAssertEqual(try E2E.git(["fsck", "--full"], dataset: a).status, 0)
    }

    /// `bytes` as a zlib stream of one stored block (a loose object's format, under 64 KiB).
    private func storedZlib(_ bytes: [UInt8]) -> Data {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        let length = UInt16(bytes.count)
        let adler = b << 16 | a
        return Data([0x78, 0x01, 0x01, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            + bytes + [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)])
    }

    func testAThinPackOnADamagedLocalObjectIsRefusedAsDamageHere() throws {
        // The server's delta names a base the dataset holds as a loose object whose content is
        // not what its id says: the dataset is damaged, not the remote's pack, and nothing lands.
        let a = try dataset("a")
        let id = "95d09f2b10159347eece71399a7e2e907ea3df4f" // git hash-object of "hello world"
        let objects = a + "/.dsnap/objects"
        try FileManager.default.createDirectory(atPath: objects + "/95", withIntermediateDirectories: true)
        let loose = objects + "/95/" + String(id.dropFirst(2))
        try storedZlib(Array("blob 11\0hello WORLD".utf8)).write(to: URL(fileURLWithPath: loose))
        let packs = (try? FileManager.default.contentsOfDirectory(atPath: objects + "/pack")) ?? []
        let refs = try E2E.git(["for-each-ref"], dataset: a).stdout
        let (server, port) = try hostileServer("thin", [id])
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        expect(try E2E.run(["remote", "add", "thin", "git://127.0.0.1:\(port)/data.git"], in: a), exit: 0)
        let fetched = try E2E.run(["fetch", "thin", "--allow-unrelated"], in: a)
        expectError(fetched, exit: 6, hint: true, mentioning: ["damaged", id, "dsnap verify"])
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: objects + "/pack")) ?? [], packs)
        XCTAssertEqual(try E2E.git(["for-each-ref"], dataset: a).stdout, refs, "no ref moved")
        try FileManager.default.removeItem(atPath: loose)
        expect(try E2E.run(["verify"], in: a), exit: 0)
    }

    /// A push to a server that holds what the tracking refs say asks only for receive-pack, once:
    /// no fetch before it. A server that moved meanwhile is fetched from and merged first.
    func testAPushWithNothingNewOnTheServerUsesOneConnection() throws {
        let a = try dataset("a")
        let daemon = try daemonWithFirstPush(from: a, port: 50_000 + Int(getpid() % 10_000))
        try "{\"more\": 1}\n".write(toFile: a + "/more.json", atomically: false, encoding: .utf8)
        _ = try commit(["-m", "more"], in: a, now: "2026-03-01T10:10:00Z")
        let (uploads, receives) = (daemon.requests("upload-pack"), daemon.requests("receive-pack"))
        let pushed = try jsonObject(try E2E.run(["push", "--json"], in: a, now: "2026-03-01T10:11:00Z"))
        XCTAssertEqual((pushed["snapshots_sent"] as? [String])?.count, 1, "\(pushed)")
        XCTAssertEqual(daemon.requests("upload-pack"), uploads, "no fetch")
        XCTAssertEqual(daemon.requests("receive-pack"), receives + 1, "one connection")

        // Another machine pushes: the next push from here fetches and merges it first.
        expect(try E2E.run(["clone", "-q", daemon.url("data.git"), "b"], in: scratch.path), exit: 0)
        let b = scratch.path + "/b"
        try "{\"by\": \"b\"}\n".write(toFile: b + "/b.json", atomically: false, encoding: .utf8)
        let fromB = try idOf(try commit(["-m", "from b"], in: b, now: "2026-03-01T10:12:00Z"))
        expect(try E2E.run(["update", "current", "-d", "edited by b"], in: b, now: "2026-03-01T10:12:30Z"), exit: 0)
        expect(try E2E.run(["push", "-q"], in: b, now: "2026-03-01T10:13:00Z"), exit: 0)
        try "{\"by\": \"a\"}\n".write(toFile: a + "/a.json", atomically: false, encoding: .utf8)
        _ = try commit(["-m", "from a"], in: a, now: "2026-03-01T10:14:00Z")
        let uploadsBefore = daemon.requests("upload-pack")
        let second = try jsonObject(try E2E.run(["push", "--json"], in: a, now: "2026-03-01T10:15:00Z"))
        XCTAssertEqual((second["received"] as? [String: Any])?["snapshots_received"] as? [String], [fromB], "\(second)")
        XCTAssertEqual(daemon.requests("upload-pack"), uploadsBefore + 1)
        XCTAssertEqual(try show(fromB, in: a)["description"] as? String, "edited by b")
        expect(try E2E.run(["fetch", "-q"], in: b, now: "2026-03-01T10:16:00Z"), exit: 0)
        XCTAssertEqual(Set(try ids(a)), Set(try ids(b)))
    }

    /// A push has libgit2 treat as had only the server's snapshots it builds on (the parents of
    /// what it sends, and the refs it moves), not every snapshot there: a snapshot made on an
    /// older one, restored, travels without the medium it shares with that one alone, and the
    /// server then holds every object its refs need.
    func testAPushSendsWhatTheServerLacksWhicheverSnapshotItBuildsOn() throws {
        let a = try dataset("a")
        let daemon = try daemonWithFirstPush(from: a, port: 30_000 + Int(getpid() % 10_000))
        let served = scratch.path + "/served/data.git"
        XCTAssertEqual(try E2E.tool("git", ["--git-dir=" + served, "config", "receive.unpackLimit", "1"], in: scratch.path).status, 0)
        // Each snapshot holds a 256 KiB medium of its own, in place of the one before.
        let random = try XCTUnwrap(FileHandle(forReadingAtPath: "/dev/urandom"))
        var snapshots: [String] = []
        for step in 1...4 {
            if step > 1 { try FileManager.default.removeItem(atPath: a + "/medium-\(step - 1).jpg") }
            try random.readData(ofLength: 256 << 10).write(to: URL(fileURLWithPath: a + "/medium-\(step).jpg"))
            snapshots.append(try idOf(try commit(["-m", "medium \(step)"], in: a, now: "2026-03-01T10:1\(step):00Z")))
            expect(try E2E.run(["push", "-q"], in: a, now: "2026-03-01T10:1\(step):30Z"), exit: 0)
        }
        expect(try E2E.run(["restore", "-q", snapshots[0]], in: a, now: "2026-03-01T10:20:00Z"), exit: 0)
        try "{\"on\": \"the first\"}\n".write(toFile: a + "/on-first.json", atomically: false, encoding: .utf8)
        let onFirst = try idOf(try commit(["-m", "on the first"], in: a, now: "2026-03-01T10:21:00Z"))
        XCTAssertEqual(try show(onFirst, in: a)["parent_snapshot_id"] as? String, snapshots[0])
        let packs = try packNames(served)
        let pushed = try jsonObject(try E2E.run(["push", "--json"], in: a, now: "2026-03-01T10:22:00Z"))
        XCTAssertEqual(pushed["snapshots_sent"] as? [String], [onFirst], "\(pushed)")
        let sent = try packNames(served).subtracting(packs).reduce(0) {
            $0 + ((try FileManager.default.attributesOfItem(atPath: served + "/objects/pack/" + $1)[.size] as? Int) ?? 0)
        }
        XCTAssertGreaterThan(sent, 0)
        XCTAssertLessThan(sent, 64 << 10, "the first snapshot's medium was sent again")
        let fsck = try E2E.tool("git", ["--git-dir=" + served, "fsck", "--full", "--no-progress"], in: scratch.path)
        XCTAssertEqual(fsck.status, 0, fsck.stderr)
        expect(try E2E.run(["clone", "-q", daemon.url("data.git"), "b"], in: scratch.path), exit: 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/b/medium-1.jpg")),
                       try Data(contentsOf: URL(fileURLWithPath: a + "/medium-1.jpg")))
        XCTAssertEqual(Set(try ids(scratch.path + "/b")), Set(try ids(a)))
    }

    private func packNames(_ repository: String) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: repository + "/objects/pack").filter { $0.hasSuffix(".pack") })
    }

    /// https:// with a certificate from the lab's own authority: refused (exit 5, the hint naming
    /// http.sslCAInfo) until the dataset trusts it, by http.sslCAInfo or GIT_SSL_CAINFO as git.
    func testHTTPSWithTheLabsOwnCertificate() throws {
        let served = scratch.path + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        let (certificate, key) = (scratch.path + "/lab-ca.pem", scratch.path + "/lab-key.pem")
        let made = try E2E.tool("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                            "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
                                            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                                in: scratch.path)
        XCTAssertEqual(made.status, 0, made.stderr)
        let (server, port) = try smartHTTP(serving: served, tls: (certificate, key))
        defer { server.terminate(); server.waitUntilExit() }
        let url = "https://localhost:\(port)/data.git"
        let a = try dataset("a")
        expect(try E2E.run(["remote", "add", "origin", url], in: a), exit: 0)
        let token = DsnapProcess.environment(extra: ["DSNAP_TOKEN": "s3cret"])
        expectError(try RunningDsnap(["push"], in: a, environment: token).wait(), exit: 5, hint: true,
                    mentioning: ["origin", "http.sslCAInfo"])
        XCTAssertEqual(try E2E.git(["config", "http.sslCAInfo", certificate], dataset: a).status, 0)
        expect(try RunningDsnap(["push", "-q"], in: a, environment: token).wait(), exit: 0)
        let trusting = DsnapProcess.environment(extra: ["DSNAP_TOKEN": "s3cret", "GIT_SSL_CAINFO": certificate])
        expect(try RunningDsnap(["clone", "-q", url, "b"], in: scratch.path, environment: trusting).wait(), exit: 0)
        XCTAssertEqual(try ids(scratch.path + "/b"), try ids(a))
    }

    /// `Tests/remotes/smart_http.py` serving a new bare `data.git` in `served` (token `s3cret`),
    /// over TLS with `tls` (certificate, key); returns the server and its port once it listens.
    private func smartHTTP(serving served: String, tls: (String, String)? = nil) throws -> (Process, String) {
        XCTAssertEqual(try E2E.tool("git", ["init", "-q", "--bare", served + "/data.git"], in: served).status, 0)
        XCTAssertEqual(try E2E.tool("git", ["--git-dir=" + served + "/data.git", "config", "http.receivepack", "true"],
                                    in: served).status, 0)
        let (server, port) = try E2E.loopbackServer("smart_http.py", (tls.map { ["--tls", $0.0, $0.1] } ?? [])
            + [served, served + "/port", "s3cret"], portFile: served + "/port")
        return (server, try XCTUnwrap(port))
    }

    /// Without DSNAP_TOKEN, the user's git credential helpers answer for HTTPS, as for git: the
    /// first that holds a credential gives it, every helper is told when the server took it (a
    /// storing helper keeps it), and a refused one is reported (exit 5) and told to the helpers.
    func testAGitCredentialHelperAnswersWithoutDSNAPToken() throws {
        let served = scratch.path + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        let (server, port) = try smartHTTP(serving: served)
        defer { server.terminate(); server.waitUntilExit() }
        let a = try dataset("a")
        expect(try E2E.run(["remote", "add", "origin", "http://127.0.0.1:\(port)/data.git"], in: a), exit: 0)
        let store = scratch.path + "/credentials"
        let getter = "!f() { test \"$1\" = get && echo username=tester && echo password=$(cat ../password); }; f"
        try "wrong\n".write(toFile: a + "/../password", atomically: false, encoding: .utf8)
        XCTAssertEqual(try E2E.git(["config", "--add", "credential.helper", getter], dataset: a).status, 0)
        XCTAssertEqual(try E2E.git(["config", "--add", "credential.helper", "store --file=" + store], dataset: a).status, 0)
        expectError(try E2E.run(["push"], in: a), exit: 5, hint: true, mentioning: ["origin", "git credential helper"])
        XCTAssertEqual((try? String(contentsOfFile: store, encoding: .utf8)) ?? "", "", "a refused credential is not stored")
        try "s3cret\n".write(toFile: a + "/../password", atomically: false, encoding: .utf8)
        expect(try E2E.run(["push", "-q"], in: a), exit: 0)
        let stored = try String(contentsOfFile: store, encoding: .utf8)
        XCTAssertTrue(stored.hasPrefix("http://tester:s3cret@127.0.0.1"), "the storing helper was told: \(stored)")
        expect(try E2E.run(["fetch", "-q"], in: a), exit: 0)
    }
}

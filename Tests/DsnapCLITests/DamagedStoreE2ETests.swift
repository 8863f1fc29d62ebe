import Foundation
import XCTest

/// A damaged store never hangs a command and never reads as "internal error": each command
/// stops with exit 6, names what is broken, and points at `dsnap verify`.
final class DamagedStoreE2ETests: XCTestCase {
    /// The commands a user runs first, each of which reads the current snapshot.
    private let readers: [[String]] = [["status"], ["log"], ["show", "current"], ["diff"],
                                       ["restore", "--discard", "current"]]

    /// A dataset with two snapshots; returns it and the id of the current one.
    private func twoSnapshots() throws -> (TemporaryDataset, String) {
        let (dataset, _) = try makeDataset()
        try dataset.write("{\"a\": 1}", to: "images/extra.json")
        let second = try commit(["-m", "second"], in: dataset.path)
        return (dataset, try idOf(second))
    }

    private func objectPath(_ id: String, in dataset: TemporaryDataset) -> String {
        "\(dataset.path)/.dsnap/objects/\(id.prefix(2))/\(id.dropFirst(2))"
    }

    private func revParse(_ expression: String, in dataset: TemporaryDataset) throws -> String {
        try E2E.git(["rev-parse", expression], dataset: dataset.path).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs each reader with a time limit: a hang fails the test instead of stalling the suite.
    private func expectEveryReaderFails(in dataset: TemporaryDataset, mentioning words: [String],
                                        line: UInt = #line) throws {
        for arguments in readers {
            guard let run = try E2E.start(arguments, in: dataset.path).wait(killingAfter: 20) else {
                XCTFail("'dsnap \(arguments.joined(separator: " "))' hung on a damaged store", line: line)
                continue
            }
            expectError(run, exit: 6, hint: true, mentioning: words + ["dsnap verify"], line: line)
        }
    }

    private func truncate(_ path: String, toHalf: Bool = true) throws {
        chmod(path, 0o644)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertEqual(Glibc.truncate(path, off_t(size / 2)), 0)
    }

    func testATruncatedCommitStopsEveryCommandWithExit6() throws {
        let (dataset, current) = try twoSnapshots()
        try truncate(objectPath(current, in: dataset))
        try expectEveryReaderFails(in: dataset, mentioning: ["damaged", String(current.prefix(12)), "truncated"])
    }

    func testATruncatedTreeStopsEveryCommandThatReadsIt() throws {
        let (dataset, _) = try twoSnapshots()
        let tree = try revParse("HEAD^{tree}", in: dataset)
        try truncate(objectPath(tree, in: dataset))
        for arguments in [["status"], ["diff"], ["restore", "--discard", "current"]] {
            let run = try XCTUnwrap(E2E.start(arguments, in: dataset.path).wait(killingAfter: 20), "hung")
            expectError(run, exit: 6, hint: true, mentioning: ["damaged", String(tree.prefix(12))])
        }
    }

    func testACorruptObjectIsNamedNotInternal() throws {
        let (dataset, current) = try twoSnapshots()
        let path = objectPath(current, in: dataset)
        chmod(path, 0o644)
        try Data(repeating: 0x41, count: 40).write(to: URL(fileURLWithPath: path))
        try expectEveryReaderFails(in: dataset, mentioning: ["damaged", String(current.prefix(12))])
    }

    func testAMissingTreeIsNamed() throws {
        let (dataset, _) = try twoSnapshots()
        let tree = try revParse("HEAD^{tree}", in: dataset)
        try FileManager.default.removeItem(atPath: objectPath(tree, in: dataset))
        let run = try XCTUnwrap(E2E.start(["status"], in: dataset.path).wait(killingAfter: 20), "hung")
        expectError(run, exit: 6, hint: true, mentioning: ["object \(tree.prefix(12)) is missing"])
    }

    func testARefToAMissingCommitIsNamed() throws {
        let (dataset, _) = try twoSnapshots()
        let missing = String(repeating: "ab", count: 20)
        try "\(missing)\n".write(toFile: dataset.path + "/.dsnap/refs/dsnap/snapshots/\(missing)",
                                 atomically: false, encoding: .utf8)
        let run = try XCTUnwrap(E2E.start(["log"], in: dataset.path).wait(killingAfter: 20), "hung")
        expectError(run, exit: 6, hint: true, mentioning: ["object \(missing.prefix(12)) is missing"])
    }

    func testATruncatedPackStopsCommandsWithExit6() throws {
        let (dataset, _) = try twoSnapshots()
        XCTAssertEqual(try E2E.git(["gc", "-q"], dataset: dataset.path).status, 0)
        let packs = try FileManager.default.contentsOfDirectory(atPath: dataset.path + "/.dsnap/objects/pack")
        let pack = try XCTUnwrap(packs.first { $0.hasSuffix(".pack") })
        let path = dataset.path + "/.dsnap/objects/pack/" + pack
        chmod(path, 0o644)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertEqual(Glibc.truncate(path, off_t(size - 100)), 0)
        try expectEveryReaderFails(in: dataset, mentioning: ["damaged"])
    }

    // MARK: the index, a cache dsnap rebuilds

    /// The damage plain git can do to the index; each must neither fail a command nor hide an edit.
    private let indexDamage: [(name: String, damage: (TemporaryDataset) throws -> Void)] = [
        ("missing", { try FileManager.default.removeItem(atPath: $0.path + "/.dsnap/index") }),
        ("cut short", { dataset in
            let path = dataset.path + "/.dsnap/index"
            let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            XCTAssertEqual(Glibc.truncate(path, off_t(size / 2)), 0)
        }),
        ("assume-unchanged", { dataset in
            let run = try E2E.git(["update-index", "--assume-unchanged", "images/cats/a.json"], dataset: dataset.path,
                                  workTree: true)
            XCTAssertEqual(run.status, 0, run.stderr)
        }),
        ("skip-worktree", { dataset in
            let run = try E2E.git(["update-index", "--skip-worktree", "images/cats/a.json"], dataset: dataset.path,
                                  workTree: true)
            XCTAssertEqual(run.status, 0, run.stderr)
        }),
        ("split", { dataset in
            let run = try E2E.git(["update-index", "--split-index"], dataset: dataset.path, workTree: true)
            XCTAssertEqual(run.status, 0, run.stderr)
        }),
    ]

    func testADamagedIndexIsRebuiltAndHidesNoEdit() throws {
        for (name, damage) in indexDamage {
            let (dataset, _) = try makeDataset()
            try damage(dataset)
            try dataset.write("{\"edited\": \"\(name)\"}", to: "images/cats/a.json")
            let status = try jsonObject(E2E.run(["status", "--json"], in: dataset.path))
            let changes = try XCTUnwrap(status["files"] as? [[String: Any]], "\(name): \(status)")
            XCTAssertEqual(changes.compactMap { $0["path"] as? String }, ["images/cats/a.json"], name)
            // The autosave of a restore keeps the edit; the restore brings the file back.
            let restore = try jsonObject(E2E.run(["restore", "--discard", "current", "--json"], in: dataset.path))
            let autosave = try XCTUnwrap((restore["autosave"] as? [String: Any])?["snapshot_id"] as? String, name)
            let saved = try E2E.git(["show", "\(autosave):images/cats/a.json"], dataset: dataset.path)
            XCTAssertEqual(saved.stdout, "{\"edited\": \"\(name)\"}", name)
            XCTAssertNotEqual(try dataset.read("images/cats/a.json"), "{\"edited\": \"\(name)\"}", name)
            let clean = try jsonObject(E2E.run(["status", "--json"], in: dataset.path))
            XCTAssertEqual((clean["files"] as? [Any])?.count, 0, "\(name): \(clean)")
            expect(try E2E.run(["verify"], in: dataset.path), exit: 0)
        }
    }

    func testACommitOverADamagedIndexRecordsEveryFile() throws {
        for (name, damage) in indexDamage {
            let (dataset, creation) = try makeDataset()
            try damage(dataset)
            try dataset.write("{\"edited\": \"\(name)\"}", to: "images/cats/a.json")
            let made = try commit(["-m", name], in: dataset.path)
            XCTAssertEqual(made["n_images"] as? Int, creation["n_images"] as? Int, name)
            let tree = try E2E.git(["ls-tree", "-r", "--name-only", "HEAD"], dataset: dataset.path).stdout
            let before = try E2E.git(["ls-tree", "-r", "--name-only", try idOf(creation)], dataset: dataset.path).stdout
            XCTAssertEqual(tree, before, name)
            let saved = try E2E.git(["show", "HEAD:images/cats/a.json"], dataset: dataset.path)
            XCTAssertEqual(saved.stdout, "{\"edited\": \"\(name)\"}", name)
        }
    }

    func testHeadMovedOffTheBranchIsNamedAndNothingClaimsToBeCurrent() throws {
        let (dataset, creation) = try makeDataset()
        XCTAssertEqual(try E2E.git(["checkout", "-q", "--detach"], dataset: dataset.path).status, 0)
        try dataset.write("{\"edited\": true}", to: "images/cats/a.json")
        for arguments in [["status"], ["commit", "-m", "lost"], ["restore", "--discard", "current"], ["log"]] {
            let run = try XCTUnwrap(E2E.start(arguments, in: dataset.path).wait(killingAfter: 20), "hung")
            expectError(run, exit: 6, hint: true, mentioning: ["HEAD is not on dsnap's branch", "symbolic-ref HEAD"])
        }
        XCTAssertEqual(try E2E.git(["symbolic-ref", "HEAD", "refs/heads/main"], dataset: dataset.path).status, 0)
        XCTAssertEqual(try show("current", in: dataset.path)["snapshot_id"] as? String, try idOf(creation))
        XCTAssertEqual(try dataset.read("images/cats/a.json"), "{\"edited\": true}", "the edit was touched")
    }
}

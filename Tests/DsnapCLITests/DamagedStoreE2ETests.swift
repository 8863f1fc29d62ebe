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
}

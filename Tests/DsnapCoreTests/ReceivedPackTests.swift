import CObjectCodec
@testable import DsnapCore
import Foundation
import XCTest

/// dsnap's receiver of fetched packs against git's own: packs that `git pack-objects` writes
/// (whole objects, delta chains, a thin pack) fed in pieces of every size are indexed exactly as
/// `git index-pack` indexes them, and damaged or hostile packs are refused, leaving nothing.
final class ReceivedPackTests: XCTestCase {
    private var root = ""
    private var source: String { root + "/source" }
    private var objects: String { root + "/objects" }

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "received-pack-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: objects, withIntermediateDirectories: true)
        try run(["git", "init", "-q", source])
        // Sidecars alike enough for git to store most as deltas, edited over three commits.
        for version in 0..<3 {
            for number in 0..<30 {
                let text = "{\n  \"id\": \(number),\n  \"label\": \"v\(version)\",\n  \"notes\": \"" + String(repeating: "lorem ipsum ", count: 200) + "\"\n}\n"
                try Data(text.utf8).write(to: URL(fileURLWithPath: source + "/s\(number).json"))
            }
            try Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> (version + 3)) })
                .write(to: URL(fileURLWithPath: source + "/big.bin"))
            try run(["git", "-C", source, "add", "-A"])
            try run(["git", "-C", source, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v\(version)"])
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    @discardableResult
    private func run(_ arguments: [String], input: Data? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let stdin = Pipe()
        process.standardOutput = output
        process.standardInput = stdin
        process.standardError = FileHandle.nullDevice
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        try output.fileHandleForReading.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "git", code: Int(process.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: arguments.joined(separator: " ")])
        }
        return data
    }

    /// A pack of `revisions` as git sends it to a fetcher.
    private func gitPack(_ revisions: String, thin: Bool = false) throws -> [UInt8] {
        let arguments = ["git", "-C", source, "pack-objects", "--revs", "--stdout", "-q", "--window=10", "--depth=50"]
            + (thin ? ["--thin"] : [])
        return [UInt8](try run(arguments, input: Data(revisions.utf8)))
    }

    /// Feeds `pack` to a receiver in pieces of sizes from `pieces` (cycled), then finishes it.
    private func receive(_ pack: [UInt8], pieces: [Int], limits: ReceivedPack.Limits = ReceivedPack.Limits(),
                         localObject: ReceivedPack.LocalObject = { _ in nil }) throws -> String? {
        let received = try ReceivedPack(objectsDirectory: objects, limits: limits)
        defer { received.discard() }
        var position = 0
        var piece = 0
        while position < pack.count {
            let size = min(pieces[piece % pieces.count], pack.count - position)
            try pack[position ..< position + size].withUnsafeBytes { try received.append($0) }
            position += size
            piece += 1
        }
        return try received.finish(localObject: localObject)
    }

    private func packFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: objects + "/pack")) ?? []).sorted()
    }

    func testAPackWithDeltaChainsIsIndexedExactlyAsGitIndexesIt() throws {
        let pack = try gitPack("HEAD\n")
        for pieces in [[1], [7, 1, 300], [65_520], [pack.count]] {
            try? FileManager.default.removeItem(atPath: objects + "/pack")
            let path = try XCTUnwrap(try receive(pack, pieces: pieces))
            let ours = try Data(contentsOf: URL(fileURLWithPath: String(path.dropLast(5)) + ".idx"))
            let copy = root + "/copy.pack"
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            try? FileManager.default.removeItem(atPath: root + "/copy.idx")
            try run(["git", "index-pack", "-o", root + "/copy.idx", copy])
            let theirs = try Data(contentsOf: URL(fileURLWithPath: root + "/copy.idx"))
            XCTAssertEqual(ours, theirs, "pieces \(pieces)")
            XCTAssertEqual(packFiles().count, 2, "a pack and its index, nothing else: \(packFiles())")
        }
        let verify = String(decoding: try run(["git", "verify-pack", "-v", objects + "/pack/" + packFiles()[0]]), as: UTF8.self)
        XCTAssertTrue(verify.contains("chain length"), "the fixture has deltas")
    }

    func testAThinPackIsCompletedWithTheBasesItLacks() throws {
        let pack = try gitPack("HEAD\n^HEAD~1\n", thin: true)
        var asked: [GitOID] = []
        let path = try XCTUnwrap(try receive(pack, pieces: [4_096]) { id in
            asked.append(id)
            let type = String(decoding: try self.run(["git", "-C", self.source, "cat-file", "-t", id.hex]), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let content = [UInt8](try self.run(["git", "-C", self.source, "cat-file", type, id.hex]))
            return (UInt8(ReceivedPack.typeNames.firstIndex(of: type)!), content)
        })
        XCTAssertFalse(asked.isEmpty, "git sent a thin pack (deltas against objects of HEAD~1)")
        try run(["git", "verify-pack", String(path.dropLast(5)) + ".idx"])
        let listed = String(decoding: try run(["git", "verify-pack", "-v", String(path.dropLast(5)) + ".idx"]), as: UTF8.self)
        let wanted = String(decoding: try run(["git", "-C", source, "rev-list", "--objects", "HEAD", "^HEAD~1"]), as: UTF8.self)
        for line in wanted.split(separator: "\n") {
            XCTAssertTrue(listed.contains(String(line.prefix(40))), "\(line) is in the completed pack")
        }
        for id in asked { XCTAssertTrue(listed.contains(id.hex), "the base \(id.hex) was appended") }
    }

    func testAThinPackWhoseBaseIsMissingHereIsRefused() throws {
        let pack = try gitPack("HEAD\n^HEAD~1\n", thin: true)
        XCTAssertThrowsError(try receive(pack, pieces: [4_096])) { error in
            XCTAssertTrue((error as? ReceivedPack.Failure)?.reason.contains("neither it nor this dataset holds") == true, "\(error)")
        }
        XCTAssertEqual(packFiles(), [])
    }

    func testDamagedPacksAreRefusedAndLeaveNothing() throws {
        let pack = try gitPack("HEAD\n")
        var flippedChecksum = pack
        flippedChecksum[pack.count - 1] ^= 0x01
        var flippedData = pack
        flippedData[pack.count / 2] ^= 0x40
        var moreDeclared = pack
        moreDeclared[11] &+= 1
        var version = pack
        version[7] = 9
        let cases: [(String, [UInt8], String)] = [
            ("cut short", Array(pack.dropLast(100)), "ends after"),
            ("checksum", flippedChecksum, "checksum"),
            ("a byte of data", flippedData, ""),
            ("bytes after the end", pack + [1, 2, 3], "past the end"),
            ("a count too high", moreDeclared, ""),
            ("not a pack", Array("GIT!".utf8) + pack.dropFirst(4), "not a pack"),
            ("version", version, "version 9"),
            ("empty", [], "ends after"),
        ]
        for (name, bytes, reason) in cases {
            XCTAssertThrowsError(try receive(bytes, pieces: [1_000]), name) { error in
                let failure = error as? ReceivedPack.Failure
                XCTAssertNotNil(failure, "\(name): \(error)")
                if !reason.isEmpty { XCTAssertTrue(failure?.reason.contains(reason) == true, "\(name): \(error)") }
            }
            XCTAssertEqual(packFiles(), [], name)
        }
    }

    func testTheObjectCapStopsAPackAtItsHeader() throws {
        struct OverCap: Error {}
        var limits = ReceivedPack.Limits()
        var declared = 0
        limits.checkCount = { count in
            declared = count
            throw OverCap()
        }
        XCTAssertThrowsError(try receive(try gitPack("HEAD\n"), pieces: [12], limits: limits)) { XCTAssertTrue($0 is OverCap) }
        XCTAssertGreaterThan(declared, 90)
        XCTAssertEqual(packFiles(), [])
    }

    // MARK: Hostile deltas, written by hand

    /// A pack of `entries` (each a header and its content, deflated here) with its checksum.
    private func handmadePack(_ entries: [(header: [UInt8], content: [UInt8])]) -> [UInt8] {
        var pack: [UInt8] = Array("PACK".utf8) + [0, 0, 0, 2, 0, 0, 0, UInt8(entries.count)]
        for entry in entries {
            var length = compressBound(uLong(entry.content.count))
            var compressed = [UInt8](repeating: 0, count: Int(length))
            _ = compress(&compressed, &length, entry.content, uLong(entry.content.count))
            pack += entry.header + compressed.prefix(Int(length))
        }
        var context = dsnap_sha1_context()
        dsnap_sha1_init(&context)
        dsnap_sha1_update(&context, pack, pack.count)
        var digest = [UInt8](repeating: 0, count: 20)
        dsnap_sha1_finish(&context, &digest)
        return pack + digest
    }

    /// A blob `hello world` (11 bytes) and a delta against it, 13 bytes back in the pack.
    private func deltaPack(_ delta: [UInt8]) -> [UInt8] {
        let blob = Array("hello world".utf8)
        var pack = handmadePack([([0x3B], blob)])
        pack.removeLast(20)
        let distance = pack.count - 12
        let rest = handmadePack([([0x60 | UInt8(delta.count & 0x0F), UInt8(distance)], delta)])
        pack += rest[12 ..< rest.count - 20]
        pack[11] = 2
        var context = dsnap_sha1_context()
        dsnap_sha1_init(&context)
        dsnap_sha1_update(&context, pack, pack.count)
        var digest = [UInt8](repeating: 0, count: 20)
        dsnap_sha1_finish(&context, &digest)
        return pack + digest
    }

    func testHostileDeltasAreRefused() throws {
        // base size 11, result size 5, then: copy 5 bytes from offset 0 ("hello").
        let good: [UInt8] = [11, 5, 0x91, 0, 5]
        let path = try XCTUnwrap(try receive(deltaPack(good), pieces: [3]))
        let listed = String(decoding: try run(["git", "verify-pack", "-v", String(path.dropLast(5)) + ".idx"]), as: UTF8.self)
        let hello = String(decoding: try run(["git", "hash-object", "--stdin"], input: Data("hello".utf8)), as: UTF8.self)
        XCTAssertTrue(listed.contains(hello.prefix(40)), listed)
        try FileManager.default.removeItem(atPath: objects + "/pack")
        let hostile: [(String, [UInt8], String)] = [
            ("copies past the base", [11, 5, 0x91, 8, 5], "past the end"),
            ("writes past the result", [11, 5, 0x91, 0, 9], "past the end"),
            ("a wrong base size", [12, 5, 0x91, 0, 5], "expects a base of 12"),
            ("the reserved instruction", [11, 5, 0], "reserved"),
            ("short of its result", [11, 6, 0x91, 0, 5], "declares 6"),
            ("a huge result", [11, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], "over the cap"),
        ]
        for (name, delta, reason) in hostile {
            XCTAssertThrowsError(try receive(deltaPack(delta), pieces: [5]), name) { error in
                XCTAssertTrue((error as? ReceivedPack.Failure)?.reason.contains(reason) == true, "\(name): \(error)")
            }
            XCTAssertEqual(packFiles(), [], name)
        }
    }
}

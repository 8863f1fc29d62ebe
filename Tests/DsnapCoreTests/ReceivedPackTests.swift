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
        try runTool(["git", "init", "-q", source])
        // Sidecars alike enough for git to store most as deltas, edited over three commits.
        for version in 0..<3 {
            for number in 0..<30 {
                let text = "{\n  \"id\": \(number),\n  \"label\": \"v\(version)\",\n  \"notes\": \"" + String(repeating: "lorem ipsum ", count: 200) + "\"\n}\n"
                try Data(text.utf8).write(to: URL(fileURLWithPath: source + "/s\(number).json"))
            }
            try Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> (version + 3)) })
                .write(to: URL(fileURLWithPath: source + "/big.bin"))
            try runTool(["git", "-C", source, "add", "-A"])
            try runTool(["git", "-C", source, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v\(version)"])
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A pack of `revisions` as git sends it to a fetcher.
    private func gitPack(_ revisions: String, thin: Bool = false) throws -> [UInt8] {
        let arguments = ["git", "-C", source, "pack-objects", "--revs", "--stdout", "-q", "--window=10", "--depth=50"]
            + (thin ? ["--thin"] : [])
        return [UInt8](try runTool(arguments, input: Data(revisions.utf8)))
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
            try runTool(["git", "index-pack", "-o", root + "/copy.idx", copy])
            let theirs = try Data(contentsOf: URL(fileURLWithPath: root + "/copy.idx"))
            XCTAssertEqual(ours, theirs, "pieces \(pieces)")
            XCTAssertEqual(packFiles().count, 2, "a pack and its index, nothing else: \(packFiles())")
        }
        let verify = String(decoding: try runTool(["git", "verify-pack", "-v", objects + "/pack/" + packFiles()[0]]), as: UTF8.self)
        XCTAssertTrue(verify.contains("chain length"), "the fixture has deltas")
    }

    func testAThinPackIsCompletedWithTheBasesItLacks() throws {
        let pack = try gitPack("HEAD\n^HEAD~1\n", thin: true)
        var asked: [GitOID] = []
        let path = try XCTUnwrap(try receive(pack, pieces: [4_096]) { id in
            asked.append(id)
            let type = String(decoding: try runTool(["git", "-C", self.source, "cat-file", "-t", id.hex]), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let content = [UInt8](try runTool(["git", "-C", self.source, "cat-file", type, id.hex]))
            return (UInt8(ReceivedPack.typeNames.firstIndex(of: type)!), content)
        })
        XCTAssertFalse(asked.isEmpty, "git sent a thin pack (deltas against objects of HEAD~1)")
        try runTool(["git", "verify-pack", String(path.dropLast(5)) + ".idx"])
        let listed = String(decoding: try runTool(["git", "verify-pack", "-v", String(path.dropLast(5)) + ".idx"]), as: UTF8.self)
        let wanted = String(decoding: try runTool(["git", "-C", source, "rev-list", "--objects", "HEAD", "^HEAD~1"]), as: UTF8.self)
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
        return withPackChecksum(pack)
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
        return withPackChecksum(pack)
    }

    func testHostileDeltasAreRefused() throws {
        // base size 11, result size 5, then: copy 5 bytes from offset 0 ("hello").
        let good: [UInt8] = [11, 5, 0x91, 0, 5]
        let path = try XCTUnwrap(try receive(deltaPack(good), pieces: [3]))
        let listed = String(decoding: try runTool(["git", "verify-pack", "-v", String(path.dropLast(5)) + ".idx"]), as: UTF8.self)
        let hello = String(decoding: try runTool(["git", "hash-object", "--stdin"], input: Data("hello".utf8)), as: UTF8.self)
        XCTAssertTrue(listed.contains(hello.prefix(40)), listed)
        try FileManager.default.removeItem(atPath: objects + "/pack")
        let hostile: [(String, [UInt8], String)] = [
            ("copies past the base", [11, 5, 0x91, 8, 5], "past the end"),
            ("writes past the result", [11, 5, 0x91, 0, 9], "past the end"),
            ("a wrong base size", [12, 5, 0x91, 0, 5], "expects a base of 12"),
            ("the reserved instruction", [11, 5, 0], "reserved"),
            ("short of its result", [11, 6, 0x91, 0, 5], "declares 6"),
            ("a huge result", [11, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], "over the cap"),
            // 16 MiB + 1 from one 3-byte copy instruction (which copies 5 bytes).
            ("more than its instructions make", [11, 0x81, 0x80, 0x80, 0x08, 0x91, 0, 5], "more than its 3 bytes"),
        ]
        for (name, delta, reason) in hostile {
            XCTAssertThrowsError(try receive(deltaPack(delta), pieces: [5]), name) { error in
                XCTAssertTrue((error as? ReceivedPack.Failure)?.reason.contains(reason) == true, "\(name): \(error)")
            }
            XCTAssertEqual(packFiles(), [], name)
        }
    }

    // MARK: Hostile packs, entry by entry

    /// The distance back to an OFS_DELTA's base as git writes it (each continuation adds one).
    private func ofsDistance(_ distance: Int) -> [UInt8] {
        var bytes = [UInt8(distance & 0x7F)]
        var rest = distance >> 7
        while rest > 0 {
            rest -= 1
            bytes.insert(0x80 | UInt8(rest & 0x7F), at: 0)
            rest >>= 7
        }
        return bytes
    }

    private func deflated(_ content: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(content.count))
        var compressed = [UInt8](repeating: 0, count: Int(length))
        _ = compress(&compressed, &length, content, uLong(content.count))
        return Array(compressed.prefix(Int(length)))
    }

    /// A pack of raw `entries` (headers and zlib streams as given) declaring `count` objects, with its checksum.
    private func sealed(_ entries: [[UInt8]], count: Int? = nil) -> [UInt8] {
        let declared = UInt32(count ?? entries.count)
        var pack: [UInt8] = Array("PACK".utf8) + [0, 0, 0, 2]
        pack += [UInt8(declared >> 24), UInt8(declared >> 16 & 0xFF), UInt8(declared >> 8 & 0xFF), UInt8(declared & 0xFF)]
        for entry in entries { pack += entry }
        return withPackChecksum(pack)
    }

    private func blobID(_ content: [UInt8]) -> GitOID {
        content.withUnsafeBytes { ReceivedPack.objectID(type: 3, content: $0) }
    }

    /// Receives `pack` expecting a refusal whose reason contains `reason`, and nothing left behind.
    private func assertRefused(_ pack: [UInt8], _ reason: String, limits: ReceivedPack.Limits = ReceivedPack.Limits(),
                               localObject: ReceivedPack.LocalObject = { _ in nil }, line: UInt = #line) {
        for pieces in [[1], [4_096]] {
            XCTAssertThrowsError(try receive(pack, pieces: pieces, limits: limits, localObject: localObject), line: line) { error in
                let failure = error as? ReceivedPack.Failure
                XCTAssertTrue(failure?.reason.contains(reason) == true, "\(error)", line: line)
            }
            XCTAssertEqual(packFiles(), [], line: line)
        }
    }

    func testAPackOfNoObjectsIsAcceptedAndLeavesNothing() throws {
        XCTAssertNil(try receive(sealed([]), pieces: [1]))
        XCTAssertEqual(packFiles(), [])
        assertRefused(sealed([PackEntryHeader.encode(type: 3, size: 2) + deflated([1, 2])], count: 0), "checksum")
    }

    func testDeclaredSizesThatDisagreeWithTheirStreamsAreRefused() throws {
        let hello = Array("hello world".utf8)
        assertRefused(sealed([PackEntryHeader.encode(type: 3, size: 5) + deflated(hello)]), "inflates past the 5 bytes")
        assertRefused(sealed([PackEntryHeader.encode(type: 3, size: 12) + deflated(hello)]), "inflates to 11 bytes where it declares 12")
        // Sizes no memory holds: nothing is reserved by what a header declares, so the 11 bytes
        // the stream holds are what refuses them (1 TiB, and the largest size a header may carry, as in git).
        assertRefused(sealed([PackEntryHeader.encode(type: 3, size: 1 << 40) + deflated(hello)]), "where it declares \(1 << 40)")
        assertRefused(sealed([PackEntryHeader.encode(type: 3, size: (1 << 60) - 1) + deflated(hello)]), "where it declares \((1 << 60) - 1)")
        let base = PackEntryHeader.encode(type: 3, size: 11) + deflated(hello)
        let delta: [UInt8] = [11, 5, 0x91, 0, 5]
        assertRefused(sealed([base, PackEntryHeader.encode(type: 6, size: 1 << 40) + ofsDistance(base.count) + deflated(delta)]),
                      "where it declares \(1 << 40)")
        // A header whose size runs past 63 bits.
        assertRefused(sealed([[0xB3] + [UInt8](repeating: 0xFF, count: 9) + [0x01] + deflated(hello)]), "past 64 bits")
        // Two streams back to back under one header: the second is read as the pack's checksum.
        assertRefused(sealed([PackEntryHeader.encode(type: 3, size: 11) + deflated(hello) + deflated(hello)]), "checksum")
    }

    func testABaseOverTheDeltaCapIsRefusedBeforeItIsReadBack() throws {
        let content = [UInt8](repeating: 0x61, count: 100)
        let base = PackEntryHeader.encode(type: 3, size: 100) + deflated(content)
        let delta: [UInt8] = [100, 5, 0x91, 0, 5]
        var limits = ReceivedPack.Limits()
        limits.maxDeltaResult = 50
        assertRefused(sealed([base, PackEntryHeader.encode(type: 6, size: delta.count) + ofsDistance(base.count) + deflated(delta)]),
                      "is 100 bytes, over the cap of 50", limits: limits)
        // The same from the local store, for a thin pack.
        let thin = PackEntryHeader.encode(type: 7, size: delta.count) + blobID(content).rawBytes + deflated(delta)
        assertRefused(sealed([thin]), "100 bytes here, over the cap of 50", limits: limits) { _ in (3, content) }
        // The cap stays within what zlib counts in one go.
        limits.maxDeltaResult = 1 << 40
        XCTAssertEqual(limits.maxDeltaResult, Int(UInt32.max))
    }

    func testAnOffsetDeltaMustNameWhereAnEntryStarts() throws {
        let hello = Array("hello world".utf8)
        let base = PackEntryHeader.encode(type: 3, size: 11) + deflated(hello)
        let delta: [UInt8] = [11, 5, 0x91, 0, 5]
        func pack(distance: Int) -> [UInt8] {
            sealed([base, PackEntryHeader.encode(type: 6, size: delta.count) + ofsDistance(distance) + deflated(delta)])
        }
        XCTAssertNotNil(try receive(pack(distance: base.count), pieces: [3]))
        try FileManager.default.removeItem(atPath: objects + "/pack")
        assertRefused(pack(distance: base.count - 3), "where no entry starts")
        assertRefused(pack(distance: 1), "where no entry starts")
        assertRefused(pack(distance: 0), "outside the pack")
        assertRefused(pack(distance: base.count + 4), "outside the pack")
        assertRefused(pack(distance: base.count + 12), "outside the pack")
        assertRefused(pack(distance: 1 << 40), "outside the pack")
        assertRefused(sealed([base, [0x65, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]]), "past 64 bits")
    }

    func testDeltasNamingEachOtherOrAMissingBaseAreRefused() throws {
        // Two REF_DELTAs, each naming the object the other would make: neither can start.
        let first: [UInt8] = [5, 5, 0x05] + Array("hello".utf8)
        let second: [UInt8] = [5, 5, 0x05] + Array("other".utf8)
        let firstID = blobID(Array("hello".utf8))
        let secondID = blobID(Array("other".utf8))
        let cycle = sealed([PackEntryHeader.encode(type: 7, size: first.count) + secondID.rawBytes + deflated(first),
                            PackEntryHeader.encode(type: 7, size: second.count) + firstID.rawBytes + deflated(second)])
        assertRefused(cycle, "that neither it nor this dataset holds")
        // An OFS_DELTA on a REF_DELTA whose base is missing.
        let ref = PackEntryHeader.encode(type: 7, size: first.count) + secondID.rawBytes + deflated(first)
        assertRefused(sealed([ref, PackEntryHeader.encode(type: 6, size: second.count) + ofsDistance(ref.count) + deflated(second)]),
                      "that neither it nor this dataset holds")
        // A base the store holds as something other than a commit, tree, blob or tag.
        assertRefused(sealed([ref]), "that neither it nor this dataset holds") { _ in (6, Array("other".utf8)) }
        // With the two in the store, the cycle resolves from one's copy and rebuilds it a second time.
        assertRefused(cycle, "twice") { id in
            id == secondID ? (3, Array("other".utf8)) : id == firstID ? (3, Array("hello".utf8)) : nil
        }
    }

    func testAnObjectSentTwiceIsRefused() throws {
        let hello = Array("hello world".utf8)
        let blob = PackEntryHeader.encode(type: 3, size: 11) + deflated(hello)
        assertRefused(sealed([blob, blob]), "holds object \(blobID(hello).hex) twice")
        // Once whole, once as a delta that rebuilds it.
        let copy: [UInt8] = [11, 11, 0x90 | 0x01, 0, 11]
        assertRefused(sealed([blob, PackEntryHeader.encode(type: 6, size: copy.count) + ofsDistance(blob.count) + deflated(copy)]), "twice")
    }

    func testADeltaOnAnEmptyBaseIsResolved() throws {
        let empty = PackEntryHeader.encode(type: 3, size: 0) + deflated([])
        let delta: [UInt8] = [0, 2, 0x02] + Array("hi".utf8)
        let path = try XCTUnwrap(try receive(sealed([empty, PackEntryHeader.encode(type: 6, size: delta.count) + ofsDistance(empty.count)
                                                        + deflated(delta)]), pieces: [2]))
        let listed = String(decoding: try runTool(["git", "verify-pack", "-v", String(path.dropLast(5)) + ".idx"]), as: UTF8.self)
        XCTAssertTrue(listed.contains(blobID(Array("hi".utf8)).hex), listed)
        XCTAssertTrue(listed.contains(blobID([]).hex), listed)
    }

    func testAChainOfDeltasDeeperThanTenThousandIsResolvedAsGitResolvesIt() throws {
        // 10,001 deltas, each on the one before, alternately by offset and by id: resolved without
        // recursion, and indexed exactly as git's index-pack indexes the same pack.
        func content(_ number: Int) -> [UInt8] { Array(String(format: "%08d", number).utf8) }
        var entries = [PackEntryHeader.encode(type: 3, size: 8) + deflated(content(0))]
        for number in 1...10_001 {
            let delta: [UInt8] = [8, 8, 0x08] + content(number)
            entries.append(number % 2 == 0
                ? PackEntryHeader.encode(type: 6, size: delta.count) + ofsDistance(entries[number - 1].count) + deflated(delta)
                : PackEntryHeader.encode(type: 7, size: delta.count) + blobID(content(number - 1)).rawBytes + deflated(delta))
        }
        let pack = sealed(entries)
        let path = try XCTUnwrap(try receive(pack, pieces: [65_536]))
        let ours = try Data(contentsOf: URL(fileURLWithPath: String(path.dropLast(5)) + ".idx"))
        try Data(pack).write(to: URL(fileURLWithPath: root + "/deep.pack"))
        try runTool(["git", "index-pack", "-o", root + "/deep.idx", root + "/deep.pack"])
        XCTAssertEqual(ours, try Data(contentsOf: URL(fileURLWithPath: root + "/deep.idx")))
    }

    func testTheLocalStoreGivesAThinBaseOnlyWithinTheCapAndOnlyIfItHashesToItsID() throws {
        let repository = try GitRepository.open(gitDir: source + "/.git")
        let readme = Array("a base in the store\n".utf8)
        let id = GitOID(hex: String(decoding: try runTool(["git", "-C", source, "hash-object", "-w", "--stdin"], input: Data(readme)),
                                    as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))!
        try repository.withObjectDatabase { odb in
            let found = try ReceivedPackBackend.localObject(id, in: odb, maxSize: 1 << 20)
            XCTAssertEqual(found?.type, 3)
            XCTAssertEqual(found?.content, readme)
            XCTAssertThrowsError(try ReceivedPackBackend.localObject(id, in: odb, maxSize: 5)) { error in
                XCTAssertTrue((error as? ReceivedPack.Failure)?.reason.contains("over the cap of 5") == true, "\(error)")
            }
            XCTAssertNil(try ReceivedPackBackend.localObject(blobID([9, 9, 9]), in: odb, maxSize: 1 << 20))
        }
        // A loose object whose content is not what its name says (git's "local object is corrupt").
        let damaged = blobID(Array("what the name promises".utf8))
        let folder = source + "/.git/objects/" + String(damaged.hex.prefix(2))
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let stored = Array("blob 9\0something".utf8)
        try Data(deflated(stored)).write(to: URL(fileURLWithPath: folder + "/" + String(damaged.hex.dropFirst(2))))
        try repository.withObjectDatabase { odb in
            XCTAssertThrowsError(try ReceivedPackBackend.localObject(damaged, in: odb, maxSize: 1 << 20)) { error in
                guard case StorageError.corrupt(let detail)? = error as? StorageError else { return XCTFail("\(error)") }
                XCTAssertTrue(detail.contains(damaged.hex), detail)
            }
        }
    }

    func testOffsetsPast2GiBAndPast4GiBAreIndexedAsGitReadsThem() throws {
        // A received pack over 4 GiB is too large to write here: its index is, and git reads it.
        // Offsets from 2^31 go to the 64-bit table, as git's index-pack writes them.
        let offsets = [12, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1 << 32, (5 << 32) + 77]
        let entries = offsets.enumerated().map { number, offset in
            PackWriter.Entry(id: blobID(Array("object \(number)".utf8)), offset: offset, crc: UInt32(number) * 0x0101_0101)
        }.sorted { $0.id < $1.id }
        let path = root + "/large.idx"
        try PackIndexWriter.write(entries, packChecksum: [UInt8](repeating: 0xAB, count: 20), to: path)
        let shown = String(decoding: try runTool(["git", "show-index"], input: try Data(contentsOf: URL(fileURLWithPath: path))), as: UTF8.self)
        let expected = entries.map { "\($0.offset) \($0.id.hex) (\(String(format: "%08x", $0.crc)))" }.joined(separator: "\n") + "\n"
        XCTAssertEqual(shown, expected)
        let index = try XCTUnwrap(PackIndex(indexPath: path))
        XCTAssertEqual(entries.indices.map { index.offset(at: $0) }, entries.map(\.offset))
    }
}

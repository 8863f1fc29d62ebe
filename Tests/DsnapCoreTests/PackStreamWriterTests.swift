@testable import DsnapCore
import Foundation
import XCTest

/// The pack a push sends: written from loose objects, whole entries of a pack and objects a
/// pack keeps as deltas, it is one `git index-pack --strict` accepts, holding exactly the
/// objects asked for, and dsnap's own receiver reads it back to the same ids.
final class PackStreamWriterTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "pack-stream-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    func testAPushPackFromEveryKindOfStorageIsOneGitAccepts() throws {
        let source = root + "/source"
        try runTool(["git", "init", "-q", source])
        func commit(_ version: Int) throws {
            for number in 0..<20 {
                let text = "{\"id\": \(number), \"v\": \(version), \"notes\": \"" + String(repeating: "lorem ", count: 300) + "\"}\n"
                try Data(text.utf8).write(to: URL(fileURLWithPath: source + "/s\(number).json"))
            }
            try Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* (version + 7) >> 3) })
                .write(to: URL(fileURLWithPath: source + "/video\(version).bin"))
            try Data().write(to: URL(fileURLWithPath: source + "/empty\(version)"))
            try runTool(["git", "-C", source, "add", "-A"])
            try runTool(["git", "-C", source, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v\(version)"])
        }
        // Two versions packed (with deltas), the last one loose.
        try commit(0)
        try commit(1)
        try runTool(["git", "-C", source, "repack", "-a", "-d", "-q", "--window=10", "--depth=50"])
        try commit(2)
        let listed = String(decoding: try runTool(["git", "-C", source, "rev-list", "--objects", "HEAD"]), as: UTF8.self)
        let ids = listed.split(separator: "\n").compactMap { GitOID(hex: String($0.prefix(40))) }
        XCTAssertGreaterThan(ids.count, 60)

        var rebuilt = 0
        let writer = PackStreamWriter(objectsDirectory: source + "/.git/objects") { id in
            rebuilt += 1
            let type = String(decoding: try runTool(["git", "-C", source, "cat-file", "-t", id.hex]), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let content = [UInt8](try runTool(["git", "-C", source, "cat-file", type, id.hex]))
            return (UInt8(ReceivedPack.typeNames.firstIndex(of: type)!), content)
        }
        var pack: [UInt8] = []
        var reported = 0
        var largestSend = 0
        try writer.write(ids, send: { bytes in
            pack += bytes
            largestSend = max(largestSend, bytes.count)
        }, progress: { objects, _ in reported = objects })
        XCTAssertEqual(reported, ids.count)
        XCTAssertGreaterThan(rebuilt, 0, "the packed deltas were rebuilt")
        XCTAssertLessThan(rebuilt, ids.count, "only they")
        XCTAssertLessThanOrEqual(largestSend, 1 << 20, "sent in pieces, not whole objects")

        let target = root + "/target.git"
        try runTool(["git", "init", "-q", "--bare", target])
        try runTool(["git", "--git-dir=" + target, "index-pack", "--strict", "--stdin"], input: Data(pack))
        let packs = try FileManager.default.contentsOfDirectory(atPath: target + "/objects/pack").filter { $0.hasSuffix(".idx") }
        let verify = String(decoding: try runTool(["git", "verify-pack", "-v", target + "/objects/pack/" + packs[0]]), as: UTF8.self)
        XCTAssertTrue(verify.contains("non delta: \(ids.count) objects"), verify)
        for id in ids { XCTAssertTrue(verify.contains(id.hex), "\(id.hex) is in the pack") }

        // dsnap's receiver agrees.
        try FileManager.default.createDirectory(atPath: root + "/objects", withIntermediateDirectories: true)
        let received = try ReceivedPack(objectsDirectory: root + "/objects", limits: ReceivedPack.Limits())
        defer { received.discard() }
        try pack.withUnsafeBytes { try received.append($0) }
        XCTAssertNotNil(try received.finish { _ in nil })
        XCTAssertEqual(Set(received.ids), Set(ids))
    }
}

@testable import DsnapCore
import XCTest

/// `PathBytes` is a bijection from names' bytes to Strings, and `QuotedPath` prints and reads
/// back every name: checked on random byte strings built to hit the edge cases (bytes that are
/// not UTF-8, truncated and overlong sequences, surrogates, the escape code points themselves).
final class PathBytesTests: XCTestCase {
    /// Pieces random names are made of: each is a case the mapping must get right.
    private static let pieces: [[UInt8]] = [
        Array("a".utf8), Array("é".utf8), Array("€".utf8), Array("😀".utf8), Array("/".utf8),
        [0xE9], [0x80], [0xBF], [0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80],
        [0xF4, 0x90, 0x80, 0x80], [0xF5], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
        [0xF4, 0x8F, 0xBC, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x8F, 0xBB, 0xBF],   // escapes and their neighbour
        Array("\u{10FFFD}".utf8), Array("\u{100000}".utf8), [0x09], [0x0A], [0x22], [0x5C], [0x7F], [0x01],
        Array("\u{85}".utf8), Array("\u{2028}".utf8), Array("e\u{301}".utf8),
    ]

    private func randomName(_ random: inout DiffTestRandom) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<(1 + random.below(8)) {
            if random.below(4) == 0 {
                bytes.append(UInt8(1 + random.below(255)))   // any byte but NUL
            } else {
                bytes += Self.pieces[random.below(Self.pieces.count)]
            }
        }
        return bytes
    }

    func testRandomByteStringsRoundTrip() {
        var random = DiffTestRandom(seed: 0x5EED_B17E)
        var seen: [String: [UInt8]] = [:]
        var escaped = 0
        let cases = 20_000
        for _ in 0..<cases {
            let bytes = randomName(&random)
            let text = PathBytes.string(bytes)
            XCTAssertEqual(PathBytes.bytes(text), bytes, "bytes -> String -> bytes: \(bytes)")
            XCTAssertEqual(PathBytes.cString(text).dropLast().map { UInt8(bitPattern: $0) }, bytes)
            PathBytes.withCString(text) { pointer in
                XCTAssertEqual(PathBytes.string(cString: pointer).unicodeScalars.map(\.value),
                               text.unicodeScalars.map(\.value))
            }
            // Injective: two byte strings never share a String (compared by scalars, not by
            // String ==, which takes canonically equivalent texts for one).
            let key = text.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " ")
            if let earlier = seen.updateValue(bytes, forKey: key) { XCTAssertEqual(earlier, bytes) }
            XCTAssertEqual(PathBytes.hasEscapes(text), String(validating: bytes, as: UTF8.self) == nil
                || bytes.indices.contains { bytes[$0...].starts(with: [0xF4, 0x8F]) && bytes.count > $0 + 2 && bytes[$0 + 2] >= 0xBC })
            if PathBytes.hasEscapes(text) { escaped += 1 }

            // The quoted form reads back as the same bytes; so does the JSON form.
            let quoted = QuotedPath.text(text)
            if quoted != text {
                XCTAssertEqual(QuotedPath.parse(quoted).map(PathBytes.bytes), bytes, quoted)
                XCTAssertEqual(QuotedPath.unescaped(String(quoted.unicodeScalars.dropFirst().dropLast())).map(PathBytes.bytes), bytes, quoted)
            }
            XCTAssertFalse(quoted.unicodeScalars.contains { $0.value < 0x20 || PathBytes.escapedByte($0) != nil }, quoted)
            let json = QuotedPath.json(text)
            if json.utf8.first == UInt8(ascii: "\"") {
                XCTAssertEqual(QuotedPath.parse(json).map(PathBytes.bytes), bytes, json)
            } else {
                XCTAssertEqual(PathBytes.bytes(json), bytes)
            }
        }
        // The generator reached both kinds: the assertions above ran on each.
        XCTAssertGreaterThan(escaped, cases / 4)
        XCTAssertGreaterThan(cases - escaped, cases / 20)
    }

    func testValidUTF8OutsideTheEscapeRangeIsUnchanged() {
        var random = DiffTestRandom(seed: 42)
        var checked = 0
        for _ in 0..<5_000 {
            let scalars = (0..<(1 + random.below(6))).compactMap { _ -> Unicode.Scalar? in
                let ranges: [ClosedRange<UInt32>] = [0x01...0x7F, 0x80...0x7FF, 0x800...0xFFFF, 0x10000...0x10FEFF]
                let range = ranges[random.below(ranges.count)]
                return Unicode.Scalar(range.lowerBound + UInt32(random.below(Int(range.upperBound - range.lowerBound + 1))))
            }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            let bytes = Array(text.utf8)
            XCTAssertEqual(PathBytes.string(bytes).unicodeScalars.map(\.value), scalars.map(\.value))
            XCTAssertFalse(PathBytes.hasEscapes(text))
            XCTAssertEqual(PathBytes.bytes(text), bytes)
            checked += 1
        }
        XCTAssertEqual(checked, 5_000)
    }

    func testQuotedFormsAsGitPrintsThem() {
        XCTAssertEqual(QuotedPath.text(PathBytes.string(Array("caf".utf8) + [0xE9] + Array(".json".utf8))),
                       "\"caf\\351.json\"")
        XCTAssertEqual(QuotedPath.text("tab\there"), "\"tab\\there\"")
        XCTAssertEqual(QuotedPath.text("back\\slash\"q"), "\"back\\\\slash\\\"q\"")
        XCTAssertEqual(QuotedPath.text("café/e\u{301}.jpg"), "café/e\u{301}.jpg")
        XCTAssertEqual(QuotedPath.text(PathBytes.string([0xF4, 0x8F, 0xBC, 0x80])), "\"\\364\\217\\274\\200\"")
        XCTAssertEqual(QuotedPath.json("plain \"inner\" quote"), "plain \"inner\" quote")
        XCTAssertEqual(QuotedPath.json("\"lead"), "\"\\\"lead\"")
        XCTAssertNil(QuotedPath.parse("\"unterminated"))
        XCTAssertNil(QuotedPath.parse("\"bad \\q escape\""))
        XCTAssertNil(QuotedPath.parse("\"nul \\000\""))
        XCTAssertNil(QuotedPath.unescaped("no escape"))
    }
}

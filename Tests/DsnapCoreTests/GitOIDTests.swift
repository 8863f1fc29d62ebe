@testable import DsnapCore
import Clibgit2
import XCTest

/// Object ids are 20 bytes held inline; their text, order and libgit2 form must be git's.
final class GitOIDTests: XCTestCase {
    private let sample = "0123456789abcdef00ff10203040506070809aa0"

    func testHexRoundTripsAndIsLowercase() throws {
        let id = try XCTUnwrap(GitOID(hex: sample.uppercased()))
        XCTAssertEqual(id.hex, sample)
        XCTAssertEqual(id.description, sample)
        XCTAssertEqual(GitOID(hex: sample), id)
        XCTAssertEqual(id.rawBytes.first, 0x01)
        XCTAssertEqual(id.rawBytes.last, 0xA0)
        XCTAssertEqual(id.firstByte, 0x01)
        XCTAssertEqual(GitOID(rawBytes: id.rawBytes), id)
    }

    func testAnythingButFortyHexDigitsIsRefused() {
        XCTAssertNil(GitOID(hex: String(sample.dropLast())))
        XCTAssertNil(GitOID(hex: sample + "0"))
        XCTAssertNil(GitOID(hex: String(sample.dropLast()) + "g"))
        XCTAssertNil(GitOID(hex: ""))
    }

    func testLibgit2sFormIsTheSameId() throws {
        let id = try XCTUnwrap(GitOID(hex: sample))
        var raw = id.raw
        XCTAssertEqual(String(cString: git_oid_tostr_s(&raw)), sample)
        XCTAssertEqual(GitOID(raw), id)
    }

    func testOrderIsTheOrderOfTheHexDigits() {
        let texts = ["ff" + String(repeating: "0", count: 38), String(repeating: "0", count: 39) + "1",
                     String(repeating: "0", count: 40), "00000000000000010000000000000000000000ff",
                     "0000000000000000000000000000000100000000", sample]
        let ids = texts.compactMap { GitOID(hex: $0) }
        XCTAssertEqual(ids.sorted().map(\.hex), texts.sorted())
        XCTAssertEqual(Set(ids).count, texts.count)
    }

    func testLooseObjectPathSplitsAfterTwoDigits() throws {
        let id = try XCTUnwrap(GitOID(hex: sample))
        let path = id.looseObjectPath(in: "/r/objects")
        XCTAssertEqual(path.folder, "/r/objects/01")
        XCTAssertEqual(path.file, "/r/objects/01/23456789abcdef00ff10203040506070809aa0")
    }
}

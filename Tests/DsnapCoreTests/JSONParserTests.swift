@testable import DsnapCore
import XCTest

final class JSONParserTests: XCTestCase {
    func testNumbersKeepTheirExactText() throws {
        let value = try JSONParser.parse(#"{"a": 0.1, "b": 12345678901234567890, "c": -1.5e-7, "d": 1.0}"#)
        XCTAssertEqual(value["a"], .number("0.1"))
        XCTAssertEqual(value["b"], .number("12345678901234567890"))
        XCTAssertEqual(value["c"], .number("-1.5e-7"))
        XCTAssertEqual(value["d"], .number("1.0"))
    }

    func testMemberOrderIsKept() throws {
        let value = try JSONParser.parse(#"{"z": 1, "a": 2, "m": 3}"#)
        guard case let .object(members) = value else { return XCTFail("not an object") }
        XCTAssertEqual(members.map(\.key), ["z", "a", "m"])
    }

    func testStringEscapesAndUnicode() throws {
        let value = try JSONParser.parse(#"["a\"b\\c\/d\n\t", "\u00e9\ud83d\udc31", "猫"]"#)
        XCTAssertEqual(value, .array([.string("a\"b\\c/d\n\t"), .string("é🐱"), .string("猫")]))
    }

    func testRoundTripThroughTheWriter() throws {
        let text = #"{"name":"x\ny","list":[1,2.50,true,false,null,{}],"nested":{"k":[]},"ctl":"\u0001"}"#
        let value = try JSONParser.parse(text)
        XCTAssertEqual(JSONWriter.render(value), text)
        XCTAssertEqual(try JSONParser.parse(JSONWriter.render(value, pretty: true)), value)
    }

    func testInvalidJSONReportsLineAndColumn() {
        XCTAssertThrowsError(try JSONParser.parse("{\n  \"a\": 1,\n  \"b\" 2\n}")) { error in
            let syntax = error as? JSONSyntaxError
            XCTAssertEqual(syntax?.line, 3)
            XCTAssertEqual(syntax?.column, 7)
        }
    }

    func testRejectsWhatRFC8259Rejects() {
        for text in ["", "01", "1.", ".5", "+1", "[1,]", "{\"a\":1,}", "'x'", "\"a\u{01}\"", "tru", "[1] 2",
                     "\"\\ud800\"", "{1:2}", "NaN"] {
            XCTAssertThrowsError(try JSONParser.parse(text), "accepted \(text.debugDescription)")
        }
    }

    func testRootScalarsAndByteOrderMark() throws {
        XCTAssertEqual(try JSONParser.parse("  42 "), .number("42"))
        XCTAssertEqual(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("null".utf8)), .null)
    }

    func testDeepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        XCTAssertThrowsError(try JSONParser.parse(deep))
    }

    func testNestingUpToTheLimitParsesAndDeeperIsToldApartFromInvalidJSON() throws {
        func nested(_ levels: Int) -> String {
            String(repeating: "{\"a\":[", count: levels / 2) + "0" + String(repeating: "]}", count: levels / 2)
        }
        XCTAssertNoThrow(try JSONParser.parse(nested(JSONParser.maximumDepth)))
        XCTAssertThrowsError(try JSONParser.parse(nested(JSONParser.maximumDepth + 2))) { error in
            XCTAssertEqual(error as? JSONTooDeepError, JSONTooDeepError(line: 1, column: 6 * 256 + 1, limit: 512))
        }
    }
}

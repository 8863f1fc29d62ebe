@testable import DsnapCore
import Foundation
import XCTest

// MARK: - Test-side RFC 6902 applier and equality (independent of dsnap's own helpers)

/// Applies `JSONChange`s as an RFC 6902 patch (add / remove / replace) to a `JSONValue`. Written
/// for the tests, independently of `JSONPointer`: its own pointer parsing and strict array indices
/// (no `-`, no leading zeros). Each `remove` and `replace` must find exactly its `old` value where
/// it applies (`==`, so literal number text and member order included).
enum DiffTestPatch {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func apply(_ changes: [JSONChange], to document: JSONValue, checkOld: Bool = true) throws -> JSONValue {
        var current = document
        for (index, change) in changes.enumerated() {
            do {
                try apply(change, to: &current, checkOld: checkOld)
            } catch let failure as Failure {
                throw Failure(description: "operation #\(index) \(describe(change)): \(failure.description)")
            }
        }
        return current
    }

    static func apply(_ change: JSONChange, to document: JSONValue, checkOld: Bool = true) throws -> JSONValue {
        var result = document
        try apply(change, to: &result, checkOld: checkOld)
        return result
    }

    static func apply(_ change: JSONChange, to document: inout JSONValue, checkOld: Bool = true) throws {
        let tokens = try parsePointer(change.path)
        switch change.operation {
        case .add:
            guard change.new != nil else { throw Failure(description: "add without a value") }
        case .replace:
            guard change.new != nil else { throw Failure(description: "replace without a value") }
            guard change.old != nil else { throw Failure(description: "replace without an old value") }
        case .remove:
            guard change.old != nil else { throw Failure(description: "remove without an old value") }
            guard change.new == nil else { throw Failure(description: "remove with a new value") }
        }
        if checkOld, change.operation != .add {
            let found = try value(at: tokens[...], in: document)
            guard found == change.old! else {
                throw Failure(description: "old value \(JSONWriter.render(change.old!)) but the document holds "
                              + JSONWriter.render(found))
            }
        }
        try apply(change.operation, tokens[...], change.new, in: &document)
    }

    /// RFC 6901: "" is the whole document; otherwise "/"-separated tokens, `~1` -> `/` then `~0` -> `~`.
    static func parsePointer(_ pointer: String) throws -> [String] {
        if pointer.isEmpty { return [] }
        guard pointer.first == "/" else { throw Failure(description: "pointer '\(pointer)' does not start with '/'") }
        var tokens: [String] = []
        var token = ""
        var scalars = Array(pointer.unicodeScalars.dropFirst())
        scalars.append("/")
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "/" {
                tokens.append(token)
                token = ""
            } else if scalar == "~" {
                // The sentinel "/" always follows, so index + 1 exists; a bare "~" meets it and fails.
                switch scalars[index + 1] {
                case "0": token.unicodeScalars.append("~")
                case "1": token.unicodeScalars.append("/")
                default: throw Failure(description: "pointer '\(pointer)' has an invalid escape")
                }
                index += 1
            } else {
                token.unicodeScalars.append(scalar)
            }
            index += 1
        }
        return tokens
    }

    private static func arrayIndex(_ token: String, count: Int, allowEnd: Bool) throws -> Int {
        guard !token.isEmpty, token.unicodeScalars.allSatisfy({ $0.value >= 0x30 && $0.value <= 0x39 }),
              token == "0" || !token.hasPrefix("0"), let index = Int(token) else {
            throw Failure(description: "'\(token)' is not an array index")
        }
        guard index < count || (allowEnd && index == count) else {
            throw Failure(description: "index \(index) out of range (count \(count))")
        }
        return index
    }

    private static func memberIndex(_ key: String, in members: [(key: String, value: JSONValue)]) -> Int? {
        // Exact scalar comparison: Swift's `==` on String would match canonically equivalent keys.
        return members.lastIndex { $0.key.utf8.elementsEqual(key.utf8) }
    }

    static func value(at tokens: ArraySlice<String>, in document: JSONValue) throws -> JSONValue {
        guard let token = tokens.first else { return document }
        switch document {
        case let .object(members):
            guard let index = memberIndex(token, in: members) else {
                throw Failure(description: "no member '\(token)'")
            }
            return try value(at: tokens.dropFirst(), in: members[index].value)
        case let .array(items):
            return try value(at: tokens.dropFirst(), in: items[try arrayIndex(token, count: items.count, allowEnd: false)])
        default:
            throw Failure(description: "'\(token)' goes into a scalar")
        }
    }

    /// Mutates `document` in place (the container is taken out of the enum first, so a long array
    /// is not copied for every operation).
    private static func apply(_ operation: JSONChange.Operation, _ tokens: ArraySlice<String>, _ new: JSONValue?,
                              in document: inout JSONValue) throws {
        guard let token = tokens.first else {
            switch operation {
            case .add, .replace: document = new!; return
            case .remove: throw Failure(description: "cannot remove the whole document")
            }
        }
        let last = tokens.count == 1
        switch document {
        case var .object(members):
            document = .null
            defer { document = .object(members) }
            let found = memberIndex(token, in: members)
            if last {
                switch operation {
                case .add:
                    if let found { members[found].value = new! } else { members.append((token, new!)) }
                case .remove:
                    guard let found else { throw Failure(description: "remove: no member '\(token)'") }
                    members.remove(at: found)
                case .replace:
                    guard let found else { throw Failure(description: "replace: no member '\(token)'") }
                    members[found].value = new!
                }
            } else {
                guard let found else { throw Failure(description: "no member '\(token)'") }
                try apply(operation, tokens.dropFirst(), new, in: &members[found].value)
            }
        case var .array(items):
            document = .null
            defer { document = .array(items) }
            if last {
                switch operation {
                case .add:
                    items.insert(new!, at: try arrayIndex(token, count: items.count, allowEnd: true))
                case .remove:
                    items.remove(at: try arrayIndex(token, count: items.count, allowEnd: false))
                case .replace:
                    items[try arrayIndex(token, count: items.count, allowEnd: false)] = new!
                }
            } else {
                let index = try arrayIndex(token, count: items.count, allowEnd: false)
                try apply(operation, tokens.dropFirst(), new, in: &items[index])
            }
        default:
            throw Failure(description: "'\(token)' goes into a scalar")
        }
    }

    static func describe(_ change: JSONChange) -> String {
        var text = "{\"op\":\"\(change.operation.rawValue)\",\"path\":"
        JSONWriter.writeString(change.path, into: &text)
        if let old = change.old { text += ",\"old\":" + JSONWriter.render(old) }
        if let new = change.new { text += ",\"new\":" + JSONWriter.render(new) }
        return text + "}"
    }

    static func describe(_ changes: [JSONChange]) -> String {
        "[\n  " + changes.map { describe($0) }.joined(separator: ",\n  ") + "\n]"
    }
}

/// Equality by meaning, written for the tests (not `isEquivalent`): numbers by exact decimal value
/// computed here, strings and keys by Unicode scalars, object members by key with order ignored.
enum DiffTestEquality {
    /// (negative, significant digits without leading/trailing zeros, power of ten of the last digit).
    static func decimal(_ literal: String) -> (Bool, String, Int) {
        var text = Substring(literal)
        var negative = false
        if text.first == "-" { negative = true; text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...].filter { $0 != "+" })!
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0])
        if parts.count == 2 {
            digits += parts[1]
            exponent -= parts[1].count
        }
        var scalars = Array(digits)
        while scalars.first == "0" { scalars.removeFirst() }
        if scalars.isEmpty { return (false, "", 0) }
        while scalars.last == "0" { scalars.removeLast(); exponent += 1 }
        return (negative, String(scalars), exponent)
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y || decimal(x) == decimal(y)
        case let (.string(x), .string(y)): return x.utf8.elementsEqual(y.utf8)
        case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (.object(x), .object(y)):
            // Keys as UTF-8 bytes: Swift's String == would match canonically equivalent keys.
            guard x.count == y.count else { return false }
            if zip(x, y).allSatisfy({ $0.key.utf8.elementsEqual($1.key.utf8) }) {
                // Same keys in the same order: the usual case.
                return zip(x, y).allSatisfy { equal($0.value, $1.value) }
            }
            var right: [[UInt8]: JSONValue] = [:]
            for member in y {
                guard right.updateValue(member.value, forKey: Array(member.key.utf8)) == nil else { return false }
            }
            guard right.count == x.count else { return false }
            return x.allSatisfy { member in right[Array(member.key.utf8)].map { equal(member.value, $0) } ?? false }
        default: return false
        }
    }
}

// MARK: - Unit tests of the structural diff

final class JSONDiffTests: XCTestCase {
    private func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
        do {
            return try JSONParser.parse(text)
        } catch {
            XCTFail("test input does not parse: \(text): \(error)", file: file, line: line)
            return .null
        }
    }

    /// An expected change: op, path, and the old / new values as compact JSON text (nil: absent).
    private struct Expected: Equatable, CustomStringConvertible {
        let op: JSONChange.Operation
        let path: String
        let old: String?
        let new: String?
        var description: String { "\(op.rawValue) \(path) \(old ?? "-") -> \(new ?? "-")" }
    }

    private func add(_ path: String, _ new: String) -> Expected { Expected(op: .add, path: path, old: nil, new: new) }
    private func remove(_ path: String, _ old: String) -> Expected { Expected(op: .remove, path: path, old: old, new: nil) }
    private func replace(_ path: String, _ old: String, _ new: String) -> Expected {
        Expected(op: .replace, path: path, old: old, new: new)
    }

    /// Diffs A and B, checks the changes (when given, in order), then that they apply to A and give
    /// B, and that the reverse diff applies to B and gives A.
    @discardableResult
    private func check(_ a: String, _ b: String, arrayKey: String? = nil, expect expected: [Expected]? = nil,
                       count: Int? = nil, file: StaticString = #filePath, line: UInt = #line) -> [JSONChange] {
        let old = parse(a, file: file, line: line)
        let new = parse(b, file: file, line: line)
        let differ = JSONStructuralDiff(arrayKey: arrayKey)
        let changes = differ.changes(from: old, to: new)
        let got = changes.map { Expected(op: $0.operation, path: $0.path, old: $0.old.map { JSONWriter.render($0) },
                                         new: $0.new.map { JSONWriter.render($0) }) }
        if let expected {
            XCTAssertEqual(got, expected, "A: \(a)\nB: \(b)\npatch: \(DiffTestPatch.describe(changes))",
                           file: file, line: line)
        }
        if let count {
            XCTAssertEqual(changes.count, count, "A: \(a)\nB: \(b)\npatch: \(DiffTestPatch.describe(changes))",
                           file: file, line: line)
        }
        for (from, to, patch, label) in [(old, new, changes, "A->B"),
                                         (new, old, differ.changes(from: new, to: old), "B->A")] {
            do {
                let result = try DiffTestPatch.apply(patch, to: from)
                XCTAssertTrue(DiffTestEquality.equal(result, to),
                              "\(label): patch does not give the target\nA: \(a)\nB: \(b)\npatch: "
                                  + "\(DiffTestPatch.describe(patch))\nresult: \(JSONWriter.render(result))",
                              file: file, line: line)
                XCTAssertTrue(result.isEquivalent(to: to), "\(label): isEquivalent disagrees", file: file, line: line)
            } catch {
                XCTFail("\(label): patch does not apply: \(error)\nA: \(a)\nB: \(b)\npatch: \(DiffTestPatch.describe(patch))",
                        file: file, line: line)
            }
        }
        return changes
    }

    // MARK: Objects

    func testObjectReplaceAddRemove() {
        check(#"{"a": 1, "b": "x"}"#, #"{"a": 2, "b": "x"}"#, expect: [replace("/a", "1", "2")])
        check(#"{"a": 1}"#, #"{"a": 1, "b": [1, 2]}"#, expect: [add("/b", "[1,2]")])
        check(#"{"a": 1, "b": {"c": true}}"#, #"{"a": 1}"#, expect: [remove("/b", #"{"c":true}"#)])
        check(#"{"a": 1, "b": 2, "c": 3}"#, #"{"c": 4, "d": 5, "a": 1}"#, count: 3)
        let changes = check(#"{"a": 1, "b": 2, "c": 3}"#, #"{"c": 4, "d": 5, "a": 1}"#)
        XCTAssertEqual(Set(changes.map { DiffTestPatch.describe($0) }),
                       [#"{"op":"remove","path":"/b","old":2}"#, #"{"op":"replace","path":"/c","old":3,"new":4}"#,
                        #"{"op":"add","path":"/d","new":5}"#])
    }

    func testObjectKeyOrderIsIgnored() {
        check(#"{"a": 1, "b": {"x": 1, "y": 2}, "c": [1]}"#, #"{"c": [1], "b": {"y": 2, "x": 1}, "a": 1}"#, expect: [])
    }

    func testNestedObjects() {
        check(#"{"tags": {"quality": "low", "source": "camera-3"}}"#,
              #"{"tags": {"quality": "high", "source": "camera-3"}}"#,
              expect: [replace("/tags/quality", #""low""#, #""high""#)])
        check(#"{"a": {"b": {"c": {"d": 1, "e": 2}}}}"#, #"{"a": {"b": {"c": {"d": 1, "f": 2}}}}"#,
              expect: [remove("/a/b/c/e", "2"), add("/a/b/c/f", "2")])
        check(#"{"a": {"b": [1, {"c": null, "d": 1}]}}"#, #"{"a": {"b": [1, {"c": false, "d": 1}]}}"#,
              expect: [replace("/a/b/1/c", "null", "false")])
        // An array element that is an object sharing fewer than half its members is not "alike":
        // removed and added whole (by design), still a correct patch.
        check(#"{"a": {"b": [1, {"c": null}]}}"#, #"{"a": {"b": [1, {"c": false}]}}"#, count: 2)
    }

    // MARK: Arrays by LCS

    func testInsertInTheMiddleIsOneAdd() {
        check(#"{"labels": ["cat", "indoor"]}"#, #"{"labels": ["cat", "fluffy", "indoor"]}"#,
              expect: [add("/labels/1", #""fluffy""#)])
        check("[1, 2, 3, 4, 5, 6, 7, 8]", "[1, 2, 3, 99, 4, 5, 6, 7, 8]", expect: [add("/3", "99")])
        check(#"["a", "b", "c", "d", "e"]"#, #"["a", "b", "X", "c", "d", "e"]"#, expect: [add("/2", #""X""#)])
        // Repeated values around the insertion do not cause a cascade either.
        check(#"["x", "x", "x", "x"]"#, #"["x", "x", "y", "x", "x"]"#, count: 1)
        check(#"[{"a": 1}, {"a": 2}, {"a": 3}]"#, #"[{"a": 1}, {"a": 9, "b": 9}, {"a": 2}, {"a": 3}]"#,
              expect: [add("/1", #"{"a":9,"b":9}"#)])
    }

    func testRemoveInTheMiddleIsOneRemove() {
        check(#"["a", "b", "c", "d", "e"]"#, #"["a", "b", "d", "e"]"#, expect: [remove("/2", #""c""#)])
        check("[[1], [2], [3]]", "[[1], [3]]", expect: [remove("/1", "[2]")])
    }

    func testAppendAndPrepend() {
        check(#"["a", "b"]"#, #"["a", "b", "c"]"#, expect: [add("/2", #""c""#)])
        check(#"["a", "b"]"#, #"["z", "a", "b"]"#, expect: [add("/0", #""z""#)])
        check(#"["a", "b"]"#, #"["a", "b", "c", "d"]"#, expect: [add("/2", #""c""#), add("/3", #""d""#)])
    }

    func testReplaceOneElement() {
        check(#"["a", "b", "c", "d"]"#, #"["a", "b", "Z", "d"]"#, expect: [replace("/2", #""c""#, #""Z""#)])
        check("[1, 2, 3]", "[1, 20, 3]", expect: [replace("/1", "2", "20")])
        // An object changed in place is diffed inside (it is alike: most members agree).
        check(#"[{"id": 1, "category_id": 3, "area": 5}, {"id": 2, "category_id": 7, "area": 6}]"#,
              #"[{"id": 1, "category_id": 3, "area": 5}, {"id": 2, "category_id": 9, "area": 6}]"#,
              expect: [replace("/1/category_id", "7", "9")])
    }

    func testEmptyArrays() {
        check("[]", "[]", expect: [])
        check(#"{"a": []}"#, #"{"a": [1, 2]}"#, expect: [add("/a/0", "1"), add("/a/1", "2")])
        check(#"{"a": [1, 2]}"#, #"{"a": []}"#, expect: [remove("/a/0", "1"), remove("/a/0", "2")])
        check("[]", "[[]]", expect: [add("/0", "[]")])
        // Nested arrays are never paired with each other (by design): replaced whole, as remove + add.
        check("[[]]", "[[1]]", count: 2)
    }

    func testScatteredEditsAreMinimal() {
        // LCS a,c,d,e,f: one removal and two insertions.
        check(#"["a", "b", "c", "d", "e", "f"]"#, #"["a", "c", "d", "x", "e", "f", "g"]"#,
              expect: [remove("/1", #""b""#), add("/3", #""x""#), add("/6", #""g""#)])
        check("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", "[0, 1, 3, 4, 5, 55, 6, 7, 9, 10, 11]", count: 5)
    }

    func testArrayReorderAndMixedKinds() {
        check("[1, 2, 3, 4]", "[4, 3, 2, 1]")
        check(#"[1, "1", null, true, [1], {"1": 1}]"#, #"[{"1": 1}, [1], true, null, "1", 1]"#)
        check(#"[1, "a", {"k": 1}]"#, #"["a", 1, [{"k": 1}]]"#)
        check(#"[[1, 2], [3, 4]]"#, #"[[1, 2, 3], [4]]"#)
    }

    func testArraysTooLargeForTheLCSTableStillPatchCorrectly() {
        // 2001 x 2001 cells is above the LCS limit: the fallback must still give B.
        let a = "[" + (0..<2001).map(String.init).joined(separator: ",") + "]"
        let b = "[" + (0..<2001).reversed().map(String.init).joined(separator: ",") + "]"
        check(a, b)
        // Below the limit: a real LCS over a few hundred elements.
        let c = "[" + (0..<600).map { "\"s\($0)\"" }.joined(separator: ",") + "]"
        let d = "[\"new\"," + (0..<600).filter { $0 % 200 != 5 }.map { "\"s\($0)\"" }.joined(separator: ",") + "]"
        check(c, d, count: 4)
    }

    // MARK: Arrays by key

    private let coco = #"""
    {"annotations": [
      {"id": 1, "category_id": 3, "bbox": [12, 8, 40, 30], "area": 1200},
      {"id": 2, "category_id": 7, "bbox": [0, 0, 16, 16], "area": 256},
      {"id": 3, "category_id": 3, "bbox": [30, 20, 20, 18], "area": 360}
    ]}
    """#

    func testArrayKeyDiffsMatchedElementsInside() {
        let b = coco.replacingOccurrences(of: #""category_id": 7"#, with: #""category_id": 9"#)
            .replacingOccurrences(of: "[30, 20, 20, 18]", with: "[30, 20, 22, 18]")
        check(coco, b, arrayKey: "id",
              expect: [replace("/annotations/1/category_id", "7", "9"), replace("/annotations/2/bbox/2", "20", "22")])
    }

    func testArrayKeyAddedAndRemovedElements() {
        let added = coco.replacingOccurrences(of: #"{"id": 2,"#, with: #"{"id": 9, "category_id": 1}, {"id": 2,"#)
        check(coco, added, arrayKey: "id", expect: [add("/annotations/1", #"{"id":9,"category_id":1}"#)])
        let removed = #"{"annotations": [{"id": 1, "category_id": 3, "bbox": [12, 8, 40, 30], "area": 1200},"#
            + #"{"id": 3, "category_id": 3, "bbox": [30, 20, 20, 18], "area": 360}]}"#
        check(coco, removed, arrayKey: "id",
              expect: [remove("/annotations/1", #"{"id":2,"category_id":7,"bbox":[0,0,16,16],"area":256}"#)])
        // Every element replaced by new ids.
        check(#"[{"id": 1}, {"id": 2}]"#, #"[{"id": 3}, {"id": 4}, {"id": 5}]"#, arrayKey: "id", count: 5)
        check(#"[{"id": 1}]"#, "[]", arrayKey: "id", expect: [remove("/0", #"{"id":1}"#)])
        check("[]", #"[{"id": 1}]"#, arrayKey: "id", expect: [add("/0", #"{"id":1}"#)])
    }

    func testArrayKeyReorderedElementsStillGiveB() {
        let reordered = #"""
        {"annotations": [
          {"id": 3, "category_id": 3, "bbox": [30, 20, 20, 18], "area": 360},
          {"id": 1, "category_id": 3, "bbox": [12, 8, 40, 30], "area": 1200},
          {"id": 2, "category_id": 9, "bbox": [0, 0, 16, 16], "area": 256}
        ]}
        """#
        let changes = check(coco, reordered, arrayKey: "id")
        // Only id 3 moves (ids 1 and 2 keep their relative order); id 2 is diffed inside.
        XCTAssertEqual(changes.count, 3, DiffTestPatch.describe(changes))
        XCTAssertTrue(changes.contains { $0.operation == .replace && $0.path == "/annotations/2/category_id" },
                      DiffTestPatch.describe(changes))
        check(#"[{"id": "a", "v": 1}, {"id": "b", "v": 2}, {"id": "c", "v": 3}, {"id": "d", "v": 4}]"#,
              #"[{"id": "d", "v": 4}, {"id": "c", "v": 30}, {"id": "b", "v": 2}, {"id": "a", "v": 1}]"#, arrayKey: "id")
        check(#"[{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}, {"id": 5}]"#,
              #"[{"id": 2}, {"id": 1}, {"id": 6}, {"id": 4}, {"id": 3, "x": 1}]"#, arrayKey: "id")
    }

    func testArrayKeyMatchesNumericKeysByValue() {
        check(#"[{"id": 1, "v": 1}, {"id": 2.0, "v": 2}]"#, #"[{"id": 1.0, "v": 1}, {"id": 2, "v": 3}]"#, arrayKey: "id",
              expect: [replace("/1/v", "2", "3")])
        // The string "1" and the number 1 are different keys.
        check(#"[{"id": 1, "v": 1}]"#, #"[{"id": "1", "v": 1}]"#, arrayKey: "id", count: 2)
    }

    func testArrayKeyFallsBackWhenAKeyIsMissingOrDuplicated() {
        // Missing key in one element: aligned by LCS instead (still a correct patch).
        check(#"[{"id": 1, "v": 1}, {"v": 2}, {"id": 3, "v": 3}]"#, #"[{"id": 1, "v": 1}, {"v": 2}, {"id": 3, "v": 4}]"#,
              arrayKey: "id", expect: [replace("/2/v", "3", "4")])
        // Duplicated key.
        check(#"[{"id": 1, "v": 1}, {"id": 1, "v": 2}]"#, #"[{"id": 1, "v": 2}, {"id": 1, "v": 1}]"#, arrayKey: "id")
        check(#"[{"id": 1, "v": 1}, {"id": 1, "v": 2}]"#, #"[{"id": 1, "v": 1}, {"id": 1, "v": 2}, {"id": 1, "v": 3}]"#,
              arrayKey: "id", expect: [add("/2", #"{"id":1,"v":3}"#)])
        // Elements that are not objects.
        check(#"[1, {"id": 1}]"#, #"[{"id": 1}, 1]"#, arrayKey: "id")
        check(#"["a", "b"]"#, #"["a", "x", "b"]"#, arrayKey: "id", expect: [add("/1", #""x""#)])
        // Keyed on one side only.
        check(#"[{"id": 1}, {"id": 2}]"#, #"[{"id": 2}, {"v": 1}]"#, arrayKey: "id")
    }

    func testArrayKeyNested() {
        let a = #"{"images": [{"id": 1, "anns": [{"id": 10, "c": 1}, {"id": 11, "c": 2}]}, {"id": 2, "anns": []}]}"#
        let b = #"{"images": [{"id": 2, "anns": [{"id": 12, "c": 5}]}, {"id": 1, "anns": [{"id": 11, "c": 3}, {"id": 10, "c": 1}]}]}"#
        check(a, b, arrayKey: "id")
        check(a, b)
    }

    // MARK: Unicode, escaping

    func testUnicodeKeysAndValues() {
        check(#"{"ключ": "значение", "猫": "🐱", "café": "crème"}"#, #"{"ключ": "значение", "猫": "🐶", "café": "brûlée"}"#,
              expect: [replace("/猫", #""🐱""#, #""🐶""#), replace("/café", #""crème""#, #""brûlée""#)])
        check(#"{"labels": ["dessert", "intérieur"]}"#, #"{"labels": ["dessert", "日本", "intérieur"]}"#,
              expect: [add("/labels/1", #""日本""#)])
        check(#"{"s": "line\nbreak \"quoted\" \\ \u0001"}"#, #"{"s": "line\nbreak \"quoted\" \\ \u0002"}"#, count: 1)
        check(#"{"😀": {"🐱": 1}}"#, #"{"😀": {"🐱": 2}}"#, expect: [replace("/😀/🐱", "1", "2")])
    }

    func testKeysWithTildeAndSlashAreEscaped() {
        check(#"{"a/b": 1, "m~n": 2, "~1": 3, "/": 4, "~": 5, "": 6}"#,
              #"{"a/b": 10, "m~n": 20, "~1": 30, "/": 40, "~": 50, "": 60}"#,
              expect: [replace("/a~1b", "1", "10"), replace("/m~0n", "2", "20"), replace("/~01", "3", "30"),
                       replace("/~1", "4", "40"), replace("/~0", "5", "50"), replace("/", "6", "60")])
        check(#"{"x/y": {"~0": [1]}}"#, #"{"x/y": {"~0": [1, 2]}, "~/~": null}"#,
              expect: [add("/x~1y/~00/1", "2"), add("/~0~1~0", "null")])
        check(#"{"a": {"b/c": 1}}"#, #"{"a": {}}"#, expect: [remove("/a/b~1c", "1")])
    }

    // MARK: Numbers

    func testNumbersEqualByValue() {
        check(#"{"a": 1}"#, #"{"a": 1.0}"#, expect: [])
        check(#"{"a": 0.1}"#, #"{"a": 0.10}"#, expect: [])
        check(#"{"a": 1e2}"#, #"{"a": 100}"#, expect: [])
        check(#"{"a": 1E2}"#, #"{"a": 1e+2}"#, expect: [])
        check(#"{"a": 100}"#, #"{"a": 1000e-1}"#, expect: [])
        check(#"{"a": 0.5}"#, #"{"a": 5e-1}"#, expect: [])
        check(#"{"a": 0.0000001}"#, #"{"a": 1e-7}"#, expect: [])
        check(#"{"a": -0}"#, #"{"a": 0}"#, expect: [])
        check(#"{"a": -0.0}"#, #"{"a": 0e10}"#, expect: [])
        check(#"{"a": 12345678901234567890}"#, #"{"a": 12345678901234567890.0}"#, expect: [])
        check(#"{"a": 12345678901234567890}"#, #"{"a": 1.2345678901234567890e19}"#, expect: [])
        check("[1, 2.0, 3e0]", "[1.0, 2, 0.3e1]", expect: [])
        XCTAssertTrue(JSONNumber.equal("1", "1.000"))
        XCTAssertTrue(JSONNumber.equal("-1.5", "-15e-1"))
        XCTAssertFalse(JSONNumber.equal("-1.5", "1.5"))
        XCTAssertFalse(JSONNumber.equal("100", "10"))
        XCTAssertFalse(JSONNumber.equal("0.01", "0.001"))
    }

    func testNumbersThatDifferAreReplacedWithTheirLiteralText() {
        check(#"{"a": 1}"#, #"{"a": 1.5}"#, expect: [replace("/a", "1", "1.5")])
        check(#"{"a": 0.1}"#, #"{"a": 0.2}"#, expect: [replace("/a", "0.1", "0.2")])
        check(#"{"a": 1.50}"#, #"{"a": 2.0e0}"#, expect: [replace("/a", "1.50", "2.0e0")])
        check(#"{"a": 0.1}"#, #"{"a": 0.30000000000000004}"#, expect: [replace("/a", "0.1", "0.30000000000000004")])
        check(#"{"s": 12345678901234567890}"#, #"{"s": 12345678901234567891}"#,
              expect: [replace("/s", "12345678901234567890", "12345678901234567891")])
        // Doubles cannot tell these apart; exact decimals can.
        check(#"{"s": 9007199254740993}"#, #"{"s": 9007199254740992}"#,
              expect: [replace("/s", "9007199254740993", "9007199254740992")])
        check(#"{"a": 0.1}"#, #"{"a": 0.1000000000000000000001}"#, count: 1)
        check(#"{"a": 1}"#, #"{"a": -1}"#, expect: [replace("/a", "1", "-1")])
        check(#"{"a": 120}"#, #"{"a": 12}"#, count: 1)
        check(#"{"a": 1e2}"#, #"{"a": 1e3}"#, expect: [replace("/a", "1e2", "1e3")])
    }

    func testExponentBeyondIntIsComparedExactly() {
        // `1e99999999999999999999` is not 1, yet its exponent does not fit an Int and is read as 0.
        XCTAssertFalse(JSONNumber.equal("1", "1e99999999999999999999"), "1 == 1e99999999999999999999")
        XCTAssertFalse(JSONNumber.equal("48", "48e99999999999999999999"))
        let changes = JSONStructuralDiff().changes(from: parse(#"{"a": 1}"#), to: parse(#"{"a": 1e99999999999999999999}"#))
        XCTAssertEqual(changes.count, 1, "the change is lost: \(DiffTestPatch.describe(changes))")
    }

    // MARK: Root values, type changes, null

    func testRootLevelValues() {
        check("1", "2", expect: [replace("", "1", "2")])
        check("1", "1.0", expect: [])
        check(#""a""#, "null", expect: [replace("", #""a""#, "null")])
        check("{}", "[]", expect: [replace("", "{}", "[]")])
        check(#"{"a": 1}"#, "[1]", expect: [replace("", #"{"a":1}"#, "[1]")])
        check("[1]", #"{"0": 1}"#, expect: [replace("", "[1]", #"{"0":1}"#)])
        check("{}", "{}", expect: [])
        check("{}", #"{"a": 1}"#, expect: [add("/a", "1")])
        check("true", "false", expect: [replace("", "true", "false")])
        check("null", "null", expect: [])
        check("null", "{}", expect: [replace("", "null", "{}")])
    }

    func testTypeChanges() {
        check(#"{"a": 1}"#, #"{"a": "1"}"#, expect: [replace("/a", "1", #""1""#)])
        check(#"{"a": "true"}"#, #"{"a": true}"#, expect: [replace("/a", #""true""#, "true")])
        check(#"{"a": 0}"#, #"{"a": false}"#, expect: [replace("/a", "0", "false")])
        check(#"{"a": [1]}"#, #"{"a": {"0": 1}}"#, expect: [replace("/a", "[1]", #"{"0":1}"#)])
        check(#"{"a": {}}"#, #"{"a": []}"#, expect: [replace("/a", "{}", "[]")])
        check(#"{"a": ""}"#, #"{"a": []}"#, expect: [replace("/a", #""""#, "[]")])
        check("[1, 2, 3]", #"[1, "2", 3]"#)
    }

    func testNullHandling() {
        let removed = check(#"{"a": null, "b": 1}"#, #"{"b": 1}"#, expect: [remove("/a", "null")])
        XCTAssertEqual(removed.first?.old, .null, "a removed null keeps old = .null, not nil")
        let added = check(#"{"b": 1}"#, #"{"a": null, "b": 1}"#, expect: [add("/a", "null")])
        XCTAssertEqual(added.first?.new, .null)
        check(#"{"a": null}"#, #"{"a": 0}"#, expect: [replace("/a", "null", "0")])
        check(#"{"a": 0}"#, #"{"a": null}"#, expect: [replace("/a", "0", "null")])
        check(#"{"a": null}"#, #"{"a": null}"#, expect: [])
        check("[null, null]", "[null, 1, null]", expect: [add("/1", "1")])
    }

    func testCanonicallyEquivalentStringsAreAChange() {
        // NFC "é" (U+00E9) and NFD "e" + U+0301 are different strings (different code points and
        // bytes), but Swift's String == treats them as equal: the diff reports nothing, and the
        // patch applied to A does not give B.
        check(#"{"a": "caf\u00e9"}"#, #"{"a": "cafe\u0301"}"#, count: 1)
        check(#"{"caf\u00e9": 1}"#, #"{"cafe\u0301": 1}"#, count: 2)
    }

    // MARK: JSONPointer

    func testPointerEscape() {
        XCTAssertEqual(JSONPointer.escape("a/b"), "a~1b")
        XCTAssertEqual(JSONPointer.escape("~"), "~0")
        XCTAssertEqual(JSONPointer.escape("~/"), "~0~1")
        XCTAssertEqual(JSONPointer.escape("~1"), "~01")
        XCTAssertEqual(JSONPointer.escape("/~"), "~1~0")
        XCTAssertEqual(JSONPointer.escape("plain"), "plain")
        XCTAssertEqual(JSONPointer.escape(""), "")
        XCTAssertEqual(JSONPointer.escape("猫/🐱"), "猫~1🐱")
        for token in ["a/b", "~", "~/", "~1", "~01", "/~", "~~//", "", "猫/🐱"] {
            XCTAssertEqual(JSONPointer.unescape(Substring(JSONPointer.escape(token))), token)
        }
        XCTAssertEqual(JSONPointer.unescape("~01"), "~1")
        XCTAssertEqual(JSONPointer.tokens(""), [])
        XCTAssertEqual(JSONPointer.tokens("/"), [""])
        XCTAssertEqual(JSONPointer.tokens("/a~1b/~0/0"), ["a/b", "~", "0"])
        XCTAssertEqual(JSONPointer.tokens("//"), ["", ""])
        XCTAssertNil(JSONPointer.tokens("a/b"))
    }

    func testPointerResolve() {
        let document = parse(#"""
        {"a": [10, {"b": "x"}], "a/b": 1, "m~n": 2, "": 3, "n": null, "tags": {"quality": "low"}, "big": 12345678901234567890}
        """#)
        XCTAssertEqual(JSONPointer.resolve("", in: document), document)
        XCTAssertEqual(JSONPointer.resolve("/a/0", in: document), .number("10"))
        XCTAssertEqual(JSONPointer.resolve("/a/1/b", in: document), .string("x"))
        XCTAssertEqual(JSONPointer.resolve("/a~1b", in: document), .number("1"))
        XCTAssertEqual(JSONPointer.resolve("/m~0n", in: document), .number("2"))
        XCTAssertEqual(JSONPointer.resolve("/", in: document), .number("3"))
        XCTAssertEqual(JSONPointer.resolve("/n", in: document), .null)
        XCTAssertEqual(JSONPointer.resolve("/tags/quality", in: document), .string("low"))
        XCTAssertEqual(JSONPointer.resolve("/big", in: document), .number("12345678901234567890"))
        XCTAssertNil(JSONPointer.resolve("/missing", in: document))
        XCTAssertNil(JSONPointer.resolve("/a/2", in: document))
        XCTAssertNil(JSONPointer.resolve("/a/-", in: document))
        XCTAssertNil(JSONPointer.resolve("/a/01", in: document))
        XCTAssertNil(JSONPointer.resolve("/a/-1", in: document))
        XCTAssertNil(JSONPointer.resolve("/a/+1", in: document))
        XCTAssertNil(JSONPointer.resolve("/a/0/x", in: document))
        XCTAssertNil(JSONPointer.resolve("/n/x", in: document))
        XCTAssertNil(JSONPointer.resolve("a", in: document))
        XCTAssertNil(JSONPointer.resolve("/a/b", in: document))
    }

    /// Every path the diff emits resolves (in the document as patched so far) to the change's old
    /// value, through dsnap's own resolver too.
    func testEmittedPathsResolveWithJSONPointer() throws {
        let a = parse(#"{"a/b": [1, 2, 3], "~": {"x": [{"id": 1, "v": 1}, {"id": 2, "v": 2}]}, "猫": "🐱"}"#)
        let b = parse(#"{"a/b": [1, 3, 4], "~": {"x": [{"id": 2, "v": 3}, {"id": 1, "v": 1}]}, "猫": "🐶"}"#)
        for key in [nil, "id"] as [String?] {
            var current = a
            for change in JSONStructuralDiff(arrayKey: key).changes(from: a, to: b) {
                if change.operation != .add {
                    XCTAssertEqual(JSONPointer.resolve(change.path, in: current), change.old, DiffTestPatch.describe(change))
                }
                current = try DiffTestPatch.apply(change, to: current)
            }
            XCTAssertTrue(current.isEquivalent(to: b))
        }
    }

    // MARK: The test applier itself

    func testTheTestApplierFollowsRFC6902() throws {
        let document = parse(#"{"a": [1, 2], "b/c": {"~": 1}}"#)
        XCTAssertEqual(try DiffTestPatch.parsePointer("/b~1c/~0"), ["b/c", "~"])
        XCTAssertEqual(try DiffTestPatch.parsePointer("/~01"), ["~1"])
        XCTAssertThrowsError(try DiffTestPatch.parsePointer("/a~"))
        XCTAssertThrowsError(try DiffTestPatch.parsePointer("/a~2"))
        let patched = try DiffTestPatch.apply([
            JSONChange(operation: .add, path: "/a/2", old: nil, new: .number("3")),
            JSONChange(operation: .remove, path: "/a/0", old: .number("1"), new: nil),
            JSONChange(operation: .replace, path: "/b~1c/~0", old: .number("1"), new: .string("x")),
        ], to: document)
        XCTAssertEqual(JSONWriter.render(patched), #"{"a":[2,3],"b/c":{"~":"x"}}"#)
        XCTAssertThrowsError(try DiffTestPatch.apply(JSONChange(operation: .add, path: "/a/3", old: nil, new: .null), to: document))
        XCTAssertThrowsError(try DiffTestPatch.apply(JSONChange(operation: .add, path: "/a/-", old: nil, new: .null), to: document))
        XCTAssertThrowsError(try DiffTestPatch.apply(JSONChange(operation: .remove, path: "/a/0", old: .number("2"), new: nil),
                                                     to: document))
        XCTAssertThrowsError(try DiffTestPatch.apply(JSONChange(operation: .replace, path: "/zz", old: .null, new: .null),
                                                     to: document))
        XCTAssertFalse(DiffTestEquality.equal(.string("caf\u{e9}"), .string("cafe\u{301}")))
        XCTAssertTrue(DiffTestEquality.equal(parse(#"{"a": 1, "b": 0.10}"#), parse(#"{"b": 1e-1, "a": 1.0}"#)))
        XCTAssertFalse(DiffTestEquality.equal(parse("[1, 2]"), parse("[2, 1]")))
    }
}

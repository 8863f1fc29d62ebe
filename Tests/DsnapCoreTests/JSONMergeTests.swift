@testable import DsnapCore
import Foundation
import XCTest

/// One side's edit of a base document, at a pointer (as tokens).
private struct MergeTestEdit {
    enum Kind { case replace(JSONValue), remove, add(JSONValue) }
    let tokens: [String]
    let kind: Kind
}

/// Picks places in a document and edits them, each side with values no other place holds, so
/// that no alignment can mistake one edit for another.
private struct MergeTestEditor {
    var random: DiffTestRandom
    private var counter = 0

    init(seed: UInt64) { random = DiffTestRandom(seed: seed) }

    /// Every object member and array element, as pointer tokens.
    static func slots(_ value: JSONValue, _ tokens: [String] = []) -> [(tokens: [String], inArray: Bool)] {
        switch value {
        case let .object(members):
            return members.flatMap { member in
                [(tokens + [member.key], false)] + slots(member.value, tokens + [member.key])
            }
        case let .array(items):
            return items.indices.flatMap { index in
                [(tokens + [String(index)], true)] + slots(items[index], tokens + [String(index)])
            }
        default:
            return []
        }
    }

    /// Objects, as pointer tokens (the root included when it is one).
    static func objects(_ value: JSONValue, _ tokens: [String] = []) -> [[String]] {
        switch value {
        case let .object(members):
            return [tokens] + members.flatMap { objects($0.value, tokens + [$0.key]) }
        case let .array(items):
            return items.indices.flatMap { objects(items[$0], tokens + [String($0)]) }
        default:
            return []
        }
    }

    static func overlaps(_ a: [String], _ b: [String]) -> Bool {
        a.starts(with: b) || b.starts(with: a)
    }

    /// A value nothing else holds; with `arrays` false never an array (two arrays in place of one
    /// merge inside, their insertions both kept).
    mutating func unique(_ side: String, arrays: Bool = true) -> JSONValue {
        counter += 1
        switch random.below(arrays ? 3 : 2) {
        case 0: return .string("\(side)-\(counter)")
        case 1: return .object([("by", .string(side)), ("n", .number("\(counter)"))])
        default: return .array([.string("\(side)-\(counter)"), .number("\(counter).5")])
        }
    }

    /// Up to `count` edits by `side`, none overlapping `taken` (which grows by them).
    mutating func edits(of base: JSONValue, side: String, count: Int, taken: inout [[String]],
                        arrays: Bool = true) -> [MergeTestEdit] {
        var result: [MergeTestEdit] = []
        let slots = Self.slots(base).filter { arrays || !$0.inArray }
        let objects = Self.objects(base)
        for _ in 0..<count {
            if random.chance(30), !objects.isEmpty {
                let tokens = random.pick(objects) + ["\(side)-key-\(counter)"]
                counter += 1
                guard !taken.contains(where: { Self.overlaps($0, tokens) }) else { continue }
                taken.append(tokens)
                result.append(MergeTestEdit(tokens: tokens, kind: .add(unique(side))))
                continue
            }
            guard !slots.isEmpty else { continue }
            let slot = random.pick(slots)
            guard !taken.contains(where: { Self.overlaps($0, slot.tokens) }) else { continue }
            taken.append(slot.tokens)
            let kind: MergeTestEdit.Kind = !slot.inArray && random.chance(25) ? .remove : .replace(unique(side))
            result.append(MergeTestEdit(tokens: slot.tokens, kind: kind))
        }
        return result
    }

    static func apply(_ edits: [MergeTestEdit], to value: JSONValue) -> JSONValue {
        edits.reduce(value) { document, edit in apply(edit, at: edit.tokens[...], in: document) }
    }

    private static func apply(_ edit: MergeTestEdit, at tokens: ArraySlice<String>, in value: JSONValue) -> JSONValue {
        guard let token = tokens.first else {
            if case let .replace(new) = edit.kind { return new }
            return value
        }
        switch value {
        case var .object(members):
            let index = members.lastIndex { $0.key == token }
            if tokens.count == 1 {
                switch edit.kind {
                case let .replace(new): members[index!].value = new
                case .remove: members.remove(at: index!)
                case let .add(new): members.append((token, new))
                }
            } else {
                members[index!].value = apply(edit, at: tokens.dropFirst(), in: members[index!].value)
            }
            return .object(members)
        case var .array(items):
            let index = Int(token)!
            items[index] = apply(edit, at: tokens.dropFirst(), in: items[index])
            return .array(items)
        default:
            return value
        }
    }
}

final class JSONMergeTests: XCTestCase {
    private let baseSeed: UInt64 = ProcessInfo.processInfo.environment["DSNAP_PROPERTY_SEED"].flatMap { UInt64($0) }
        ?? 0x3E76_E5EE_D000_0001

    private func document(_ seed: UInt64) -> JSONValue {
        var generator = DiffTestGenerator(random: DiffTestRandom(seed: seed))
        // Object roots with unique keys: a duplicated key is one member to the merge.
        if case .object = generator.document() {} // keep the generator's stream as the diff tests use it
        return generator.object(depth: 0)
    }

    private func text(_ value: JSONValue?) -> String { value.map { JSONWriter.render($0) } ?? "(none)" }

    /// Sides that touch disjoint places merge with no conflict into what both sides' RFC 6902
    /// patches give, applied to the base in either order.
    func testDisjointEditsMergeAsBothPatchesInEitherOrder() throws {
        var failures = 0
        var checked = 0
        for run in 0..<800 {
            let seed = baseSeed &+ UInt64(run)
            let base = document(seed)
            var editor = MergeTestEditor(seed: seed ^ 0xABCD)
            var taken: [[String]] = []
            let ours = MergeTestEditor.apply(editor.edits(of: base, side: "ours", count: editor.random.int(0...4), taken: &taken), to: base)
            let theirs = MergeTestEditor.apply(editor.edits(of: base, side: "theirs", count: editor.random.int(0...4), taken: &taken), to: base)
            let arrayKey: String? = run % 3 == 0 ? "id" : nil
            let diff = JSONStructuralDiff(arrayKey: arrayKey)
            let oursPatch = diff.changes(from: base, to: ours)
            let theirsPatch = diff.changes(from: base, to: theirs)
            // Diff may align an array with repeated or look-alike elements so that one side's
            // patch names an element the other side's edit moved: those pairs are not disjoint
            // as patches, and prove nothing here.
            guard let oneWay = try? DiffTestPatch.apply(theirsPatch, to: try DiffTestPatch.apply(oursPatch, to: base)),
                  let otherWay = try? DiffTestPatch.apply(oursPatch, to: try DiffTestPatch.apply(theirsPatch, to: base)),
                  DiffTestEquality.equal(oneWay, otherWay) else { continue }
            checked += 1
            let result = JSONMerge(arrayKey: arrayKey).merge(base: base, ours: ours, theirs: theirs)
            if !result.conflicts.isEmpty || result.merged.map({ DiffTestEquality.equal($0, oneWay) }) != true {
                failures += 1
                if failures <= 5 {
                    XCTFail("""
                        seed \(seed) (replay with DSNAP_PROPERTY_SEED=\(baseSeed)), arrayKey \(arrayKey ?? "nil")
                        base:     \(text(base))
                        ours:     \(text(ours))
                        theirs:   \(text(theirs))
                        merged:   \(text(result.merged))
                        expected: \(text(oneWay))
                        conflicts: \(result.conflicts.map(\.pointer))
                        """)
                }
            }
        }
        XCTAssertGreaterThan(checked, 740)
    }

    /// Both sides change one place differently (or one removes what the other changes), with
    /// disjoint edits elsewhere: exactly that place is a conflict, the merged document holds
    /// ours' value there until it is resolved, and theirs' once resolved so; the rest merges.
    func testConflictsAreExactlyWhereBothSidesTouchOnePlaceDifferently() throws {
        var checked = 0
        for run in 0..<800 {
            let seed = baseSeed &+ 0x10000 &+ UInt64(run)
            let base = document(seed)
            var editor = MergeTestEditor(seed: seed ^ 0x5EED)
            let slots = MergeTestEditor.slots(base)
            guard !slots.isEmpty else { continue }
            let place = editor.random.pick(slots)
            let pointer = place.tokens.map(JSONPointer.escape).map { "/" + $0 }.joined()
            // Edits elsewhere leave arrays' lengths alone, so the place keeps its pointer.
            var taken = [place.tokens]
            let oursElsewhere = editor.edits(of: base, side: "ours", count: 3, taken: &taken, arrays: false)
            let theirsElsewhere = editor.edits(of: base, side: "theirs", count: 3, taken: &taken, arrays: false)
                .filter { if case .add = $0.kind { return false }; return true }
            let removedByOurs = !place.inArray && editor.random.chance(30)
            let oursValue = removedByOurs ? nil : editor.unique("ours", arrays: false)
            let theirsValue = editor.unique("theirs", arrays: false)
            let oursEdit = MergeTestEdit(tokens: place.tokens, kind: oursValue.map { .replace($0) } ?? .remove)
            let ours = MergeTestEditor.apply(oursElsewhere.filter { if case .add = $0.kind { return false }; return true } + [oursEdit], to: base)
            let theirs = MergeTestEditor.apply(theirsElsewhere + [MergeTestEdit(tokens: place.tokens, kind: .replace(theirsValue))], to: base)

            let merge = JSONMerge()
            let result = merge.merge(base: base, ours: ours, theirs: theirs)
            let context = "seed \(seed): base \(text(base))\nours \(text(ours))\ntheirs \(text(theirs))\nmerged \(text(result.merged))"
            // Two objects (or arrays) in place of one merge inside: their conflicts are below it.
            XCTAssertFalse(result.conflicts.isEmpty, context)
            for conflict in result.conflicts {
                XCTAssertTrue(conflict.pointer == pointer || conflict.pointer.hasPrefix(pointer + "/"),
                              "conflict at \(conflict.pointer), not at or below \(pointer): \(context)")
                XCTAssertNil(conflict.resolution)
            }
            guard let merged = result.merged else { continue }
            if result.conflicts.count == 1, let conflict = result.conflicts.first, conflict.pointer == pointer {
                XCTAssertEqual(conflict.base.map(text), text(JSONPointer.resolve(pointer, in: base)), context)
                XCTAssertEqual(conflict.ours.map(text), oursValue.map(text), context)
                XCTAssertEqual(conflict.theirs.map(text), text(theirsValue), context)
            }
            XCTAssertEqual(JSONPointer.resolve(pointer, in: merged).map(text), oursValue.map(text), context)

            let all = Dictionary(uniqueKeysWithValues: result.conflicts.map { ($0.ordinal, MergeSide.theirs) })
            let resolved = merge.merge(base: base, ours: ours, theirs: theirs, resolutions: all)
            XCTAssertEqual(resolved.conflicts.map(\.pointer).count, result.conflicts.count)
            XCTAssertTrue(resolved.unresolved.isEmpty)
            XCTAssertEqual(resolved.merged.flatMap { JSONPointer.resolve(pointer, in: $0) }.map(text), text(theirsValue), context)
            XCTAssertEqual(merge.merge(base: base, ours: ours, theirs: theirs, prefer: .theirs).merged, resolved.merged)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 500)
    }

    func testNumbersMergeByExactValueAndKeepOursText() throws {
        let base = try JSONParser.parse(#"{"score": 0.5, "n": 1}"#)
        let ours = try JSONParser.parse(#"{"score": 0.50, "n": 2}"#)
        let theirs = try JSONParser.parse(#"{"score": 5e-1, "n": 1.0}"#)
        let result = JSONMerge().merge(base: base, ours: ours, theirs: theirs)
        XCTAssertTrue(result.conflicts.isEmpty)
        XCTAssertEqual(result.merged, try JSONParser.parse(#"{"score": 0.50, "n": 2}"#))
        let clash = JSONMerge().merge(base: base, ours: ours, theirs: try JSONParser.parse(#"{"score": 0.5, "n": 3}"#))
        XCTAssertEqual(clash.conflicts.map(\.pointer), ["/n"])
    }

    func testRemovedOnOneSideChangedOnTheOtherIsAConflict() throws {
        let base = try JSONParser.parse(#"{"label": "cat", "ok": true}"#)
        let ours = try JSONParser.parse(#"{"ok": true}"#)
        let theirs = try JSONParser.parse(#"{"label": "dog", "ok": true}"#)
        let result = JSONMerge().merge(base: base, ours: ours, theirs: theirs)
        XCTAssertEqual(result.conflicts.map(\.pointer), ["/label"])
        XCTAssertNil(result.conflicts[0].ours)
        XCTAssertEqual(result.merged, ours)
        XCTAssertEqual(JSONMerge().merge(base: base, ours: ours, theirs: theirs, prefer: .theirs).merged,
                       try JSONParser.parse(#"{"label": "dog", "ok": true}"#))
    }

    /// COCO: both annotators add annotations; by `id` they are all kept, an annotation both
    /// edited merges inside, and one id added on both sides differently is a conflict.
    func testCOCOAnnotationsMergeByArrayKey() throws {
        let base = try JSONParser.parse(#"{"annotations": [{"id": 1, "category_id": 3}, {"id": 2, "category_id": 4}]}"#)
        let ours = try JSONParser.parse(#"{"annotations": [{"id": 1, "category_id": 3, "area": 10}, {"id": 2, "category_id": 4}, {"id": 3, "category_id": 1}]}"#)
        let theirs = try JSONParser.parse(#"{"annotations": [{"id": 1, "category_id": 5}, {"id": 2, "category_id": 4}, {"id": 4, "category_id": 2}]}"#)
        let result = JSONMerge(arrayKey: "id").merge(base: base, ours: ours, theirs: theirs)
        XCTAssertTrue(result.conflicts.isEmpty, "\(result.conflicts)")
        XCTAssertEqual(result.merged, try JSONParser.parse(
            #"{"annotations": [{"id": 1, "category_id": 5, "area": 10}, {"id": 2, "category_id": 4}, {"id": 3, "category_id": 1}, {"id": 4, "category_id": 2}]}"#))
        let clash = try JSONParser.parse(#"{"annotations": [{"id": 1, "category_id": 3}, {"id": 2, "category_id": 4}, {"id": 3, "category_id": 9}]}"#)
        let conflicted = JSONMerge(arrayKey: "id").merge(base: base, ours: ours, theirs: clash)
        XCTAssertEqual(conflicted.conflicts.map(\.pointer), ["/annotations/2/category_id"])
    }

    func testInsertionsAtOnePlaceOnBothSidesAreBothKept() throws {
        let base = try JSONParser.parse(#"{"tags": ["a"]}"#)
        let ours = try JSONParser.parse(#"{"tags": ["a", "indoor", "cat"]}"#)
        let theirs = try JSONParser.parse(#"{"tags": ["a", "cat", "night"]}"#)
        let result = JSONMerge().merge(base: base, ours: ours, theirs: theirs)
        XCTAssertTrue(result.conflicts.isEmpty)
        XCTAssertEqual(result.merged, try JSONParser.parse(#"{"tags": ["a", "indoor", "cat", "night"]}"#))
    }

    // MARK: Layout

    private func merged(_ base: String, _ ours: String, _ theirs: String, arrayKey: String? = nil) throws -> String {
        let oursValue = try JSONParser.parse(ours)
        let result = JSONMerge(arrayKey: arrayKey).merge(base: try JSONParser.parse(base), ours: oursValue,
                                                         theirs: try JSONParser.parse(theirs))
        let bytes = JSONLayoutWriter.render(result.merged!, like: Array(ours.utf8), oursValue: oursValue)
        XCTAssertEqual(try JSONParser.parse(bytes), result.merged)
        return String(decoding: bytes, as: UTF8.self)
    }

    func testMergedFileKeepsOursLayout() throws {
        let base = "{\n    \"name\": \"a\",\n    \"labels\": [\"x\"],\n    \"score\": 1\n}\n"
        let ours = "{\n    \"name\": \"caf\\u00e9\",\n    \"labels\": [\"x\"],\n    \"score\": 1.0\n}\n"
        let theirs = #"{"name":"a","labels":["x","y"],"score":1,"by":{"who":"b","n":[1,2]}}"#
        XCTAssertEqual(try merged(base, ours, theirs),
                       "{\n    \"name\": \"caf\\u00e9\",\n    \"labels\": [\"x\", \"y\"],\n    \"score\": 1.0,\n"
                       + "    \"by\": {\n        \"who\": \"b\",\n        \"n\": [\n            1,\n            2\n        ]\n    }\n}\n")
        // Python's json.dumps default: one line, ", " and ": ".
        XCTAssertEqual(try merged(#"{"a": 1, "b": [1, 2]}"#, #"{"b": [1, 2], "a": 2}"#, #"{"a": 1, "b": [1, 2, 3], "c": {"d": true}}"#),
                       #"{"b": [1, 2, 3], "a": 2, "c": {"d": true}}"#)
        XCTAssertEqual(try merged("{\"a\":1}", "{\"a\":1,\"z\":0}", "{\"a\":2}"), "{\"a\":2,\"z\":0}")
        // Tabs and CRLF.
        XCTAssertEqual(try merged("{\r\n\t\"a\": 1\r\n}", "{\r\n\t\"a\": 1,\r\n\t\"b\": 2\r\n}", "{\"a\": {\"x\": 1}}"),
                       "{\r\n\t\"a\": {\r\n\t\t\"x\": 1\r\n\t},\r\n\t\"b\": 2\r\n}")
    }

    /// Whatever the layout, the text written parses to exactly the merged document.
    func testLayoutWriterGivesTheMergedDocumentForRandomDocuments() throws {
        for run in 0..<800 {
            let seed = baseSeed &+ 0x20000 &+ UInt64(run)
            let base = document(seed)
            var editor = MergeTestEditor(seed: seed)
            var taken: [[String]] = []
            let ours = MergeTestEditor.apply(editor.edits(of: base, side: "ours", count: 3, taken: &taken), to: base)
            let theirs = MergeTestEditor.apply(editor.edits(of: base, side: "theirs", count: 3, taken: &taken), to: base)
            let oursText: String
            switch run % 3 {
            case 0: oursText = JSONWriter.render(ours)
            case 1: oursText = JSONWriter.render(ours, pretty: true) + "\n"
            default: oursText = JSONWriter.render(ours, pretty: true).replacing("  ", with: "\t")
            }
            let oursParsed = try JSONParser.parse(oursText)
            guard let result = JSONMerge().merge(base: base, ours: oursParsed, theirs: theirs).merged else { continue }
            let bytes = JSONLayoutWriter.render(result, like: Array(oursText.utf8), oursValue: oursParsed)
            XCTAssertEqual(try JSONParser.parse(bytes), result, "seed \(seed):\n\(String(decoding: bytes, as: UTF8.self))")
        }
    }
}

@testable import DsnapCore
import Foundation
import XCTest

/// A small, seeded, deterministic PRNG (SplitMix64), so every failure can be replayed.
struct DiffTestRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Random JSON documents and realistic mutations of them.
struct DiffTestGenerator {
    var random: DiffTestRandom
    private var nextID = 100

    init(random: DiffTestRandom) { self.random = random }

    static let keys = ["a", "b", "c", "id", "name", "labels", "tags", "bbox", "x/y", "~", "~1", "~0", "a~b/c", "/", "",
                       "ключ", "猫", "café", "🐱", "k 1", "\"q\"", "back\\slash", "0", "1", "-"]
    static let strings = ["", "a", "b", "cat", "dog", "indoor", "outdoor", "café", "日本", "🐱", "a\"b", "line\nbreak",
                          "tab\t", "back\\slash", "~", "/", "~1", "x/y", "null", "1", "1.0", "true", " ", "Crème brûlée",
                          "\u{01}", "Ω≈ç√", "👩‍👩‍👧"]
    static let labels = ["cat", "dog", "x", "y", "indoor"]

    // MARK: Numbers

    /// A number literal for ±digits x 10^exponent in one of several forms, all valid JSON.
    mutating func render(negative: Bool, digits: String, exponent: Int) -> String {
        let sign = negative ? "-" : ""
        if digits.isEmpty || digits.allSatisfy({ $0 == "0" }) {
            return random.pick(["0", "-0", "0.0", "0e5", "-0.0E-2", "0.000", "0E0"])
        }
        let e = random.pick(["e", "E"])
        switch random.below(5) {
        case 0, 1:
            // Plain decimal, maybe with trailing zeros after the point.
            let extra = String(repeating: "0", count: random.int(0...2))
            if exponent >= 0 {
                let integer = digits + String(repeating: "0", count: exponent)
                return sign + integer + (extra.isEmpty ? (random.chance(30) ? ".0" : "") : "." + extra)
            }
            let places = -exponent
            if digits.count > places {
                return sign + digits.dropLast(places) + "." + digits.suffix(places) + extra
            }
            return sign + "0." + String(repeating: "0", count: places - digits.count) + digits + extra
        case 2:
            // digits e exponent.
            let plus = exponent >= 0 && random.chance(50) ? "+" : ""
            return sign + digits + e + plus + String(exponent)
        case 3:
            // Normalized scientific: d.ddd e n.
            let first = digits.prefix(1)
            let rest = digits.dropFirst()
            return sign + first + (rest.isEmpty ? "" : "." + rest) + e + String(exponent + digits.count - 1)
        default:
            // Padded mantissa: digits followed by zeros, exponent lowered to match.
            let pad = random.int(1...3)
            return sign + digits + String(repeating: "0", count: pad) + e + String(exponent - pad)
        }
    }

    mutating func number() -> String {
        let digits: String
        switch random.below(6) {
        case 0: digits = String(random.int(0...20))
        case 1, 2: digits = String(random.int(1...100_000))
        case 3: digits = random.pick(["12345678901234567890", "9007199254740993", "18446744073709551616",
                                      "99999999999999999999999", "1"])
        case 4: digits = random.pick(["1", "5", "25", "125", "3"])
        default: digits = "0"
        }
        let exponent = random.chance(50) ? 0 : random.int(-4...4)
        return render(negative: random.chance(25), digits: digits, exponent: exponent)
    }

    /// The same value written another way.
    mutating func rewrite(_ literal: String) -> String {
        let (negative, digits, exponent) = DiffTestEquality.decimal(literal)
        return render(negative: negative, digits: digits, exponent: exponent)
    }

    // MARK: Values

    mutating func scalar() -> JSONValue {
        switch random.below(10) {
        case 0: return .null
        case 1: return .bool(random.chance(50))
        case 2, 3, 4, 5: return .number(number())
        default: return .string(random.pick(Self.strings))
        }
    }

    mutating func key() -> String { random.pick(Self.keys) }

    mutating func value(depth: Int) -> JSONValue {
        if depth >= 4 { return scalar() }
        switch random.below(20) {
        case 0..<7: return scalar()
        case 7..<11: return .array((0..<random.int(0...5)).map { _ in value(depth: depth + 1) })
        case 11..<13: return .array((0..<random.int(0...6)).map { _ in .string(random.pick(Self.labels)) })
        case 13..<17: return object(depth: depth)
        default: return keyedArray(depth: depth)
        }
    }

    mutating func object(depth: Int) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        for _ in 0..<random.int(0...5) {
            let name = key()
            if members.contains(where: { $0.key == name }) { continue }
            members.append((name, value(depth: depth + 1)))
        }
        return .object(members)
    }

    mutating func identifier() -> JSONValue {
        nextID += 1
        switch random.below(4) {
        case 0: return .string("id-\(nextID)")
        case 1: return .number(rewrite(String(nextID)))
        default: return .number(String(nextID))
        }
    }

    mutating func keyedElement(depth: Int) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("id", identifier())]
        for name in ["category_id", "bbox", "area", "tags", "x/y"] where random.chance(45) {
            switch name {
            case "bbox": members.append((name, .array((0..<4).map { _ in .number(String(random.int(0...64))) })))
            case "tags": members.append((name, depth < 3 ? object(depth: depth + 1) : scalar()))
            default: members.append((name, .number(number())))
            }
        }
        if random.chance(50) { members.shuffle(using: &random) }
        return .object(members)
    }

    mutating func keyedArray(depth: Int) -> JSONValue {
        .array((0..<random.int(0...6)).map { _ in keyedElement(depth: depth + 1) })
    }

    mutating func document() -> JSONValue {
        random.chance(8) ? value(depth: 3) : object(depth: 0)
    }

    // MARK: Mutations

    /// Every number rewritten in another form (same values).
    mutating func rewriteNumbers(_ value: JSONValue) -> JSONValue {
        switch value {
        case let .number(literal): return .number(rewrite(literal))
        case let .array(items): return .array(items.map { rewriteNumbers($0) })
        case let .object(members): return .object(members.map { ($0.key, rewriteNumbers($0.value)) })
        default: return value
        }
    }

    /// One random change somewhere in `value`.
    mutating func mutate(_ value: JSONValue, depth: Int = 0) -> JSONValue {
        switch value {
        case var .object(members):
            if !members.isEmpty && random.chance(55) {
                let index = random.below(members.count)
                members[index].value = mutate(members[index].value, depth: depth + 1)
                return .object(members)
            }
            switch random.below(7) {
            case 0, 1:
                let name = key()
                if let existing = members.firstIndex(where: { $0.key == name }) {
                    members[existing].value = self.value(depth: depth + 1)
                } else {
                    members.insert((name, self.value(depth: depth + 1)), at: random.below(members.count + 1))
                }
            case 2, 3:
                if !members.isEmpty { members.remove(at: random.below(members.count)) }
            case 4 where !members.isEmpty:
                // A key renamed.
                let index = random.below(members.count)
                let name = key()
                if !members.contains(where: { $0.key == name }) { members[index].key = name }
            case 5:
                members.shuffle(using: &random)
            default:
                if !members.isEmpty {
                    let index = random.below(members.count)
                    members[index].value = self.value(depth: depth + 1)
                }
            }
            return .object(members)
        case var .array(items):
            if !items.isEmpty && random.chance(45) {
                let index = random.below(items.count)
                items[index] = mutate(items[index], depth: depth + 1)
                return .array(items)
            }
            let keyed = !items.isEmpty && items.allSatisfy { $0["id"] != nil }
            switch random.below(8) {
            case 0, 1:
                let element: JSONValue
                if keyed {
                    element = random.chance(85) ? keyedElement(depth: depth + 1) : items[random.below(items.count)]
                } else if !items.isEmpty && random.chance(40) {
                    element = items[random.below(items.count)]
                } else {
                    element = self.value(depth: depth + 1)
                }
                items.insert(element, at: random.below(items.count + 1))
            case 2, 3:
                if !items.isEmpty { items.remove(at: random.below(items.count)) }
            case 4 where items.count > 1:
                // Moved.
                let element = items.remove(at: random.below(items.count))
                items.insert(element, at: random.below(items.count + 1))
            case 5 where items.count > 1:
                items.swapAt(random.below(items.count), random.below(items.count))
            case 6 where !items.isEmpty:
                items[random.below(items.count)] = keyed ? keyedElement(depth: depth + 1) : self.value(depth: depth + 1)
            default:
                if random.chance(30) { items.reverse() } else { items.append(self.value(depth: depth + 1)) }
            }
            return .array(items)
        case let .number(literal):
            switch random.below(3) {
            case 0: return .number(rewrite(literal))
            case 1: return .number(number())
            default: return scalar()
            }
        default:
            return random.chance(20) ? self.value(depth: depth) : scalar()
        }
    }
}

final class JSONPatchPropertyTests: XCTestCase {
    /// DSNAP_PROPERTY_SEED replays another run.
    private let baseSeed: UInt64 = ProcessInfo.processInfo.environment["DSNAP_PROPERTY_SEED"].flatMap { UInt64($0) }
        ?? 0x00D5_4A9D_1FF5_EED0
    private var failures = 0

    private func report(_ what: String, seed: UInt64, _ a: JSONValue, _ b: JSONValue, arrayKey: String?,
                        _ patch: [JSONChange], detail: String, file: StaticString = #filePath, line: UInt = #line) {
        failures += 1
        guard failures <= 8 else { return }
        XCTFail("""
            \(what) (seed \(seed), arrayKey \(arrayKey ?? "nil"); replay with DSNAP_PROPERTY_SEED=\(baseSeed))
            A: \(JSONWriter.render(a))
            B: \(JSONWriter.render(b))
            patch: \(DiffTestPatch.describe(patch))
            \(detail)
            """, file: file, line: line)
    }

    /// Diff A -> B, apply, compare with B (by the test's own equality and by isEquivalent).
    private func verify(_ a: JSONValue, _ b: JSONValue, seed: UInt64, arrayKey: String?) -> [JSONChange] {
        let patch = JSONStructuralDiff(arrayKey: arrayKey).changes(from: a, to: b)
        do {
            let result = try DiffTestPatch.apply(patch, to: a)
            if !DiffTestEquality.equal(result, b) {
                report("patch applied to A does not give B", seed: seed, a, b, arrayKey: arrayKey, patch,
                       detail: "result: \(JSONWriter.render(result))")
            } else if !result.isEquivalent(to: b) {
                report("isEquivalent disagrees with the test's equality", seed: seed, a, b, arrayKey: arrayKey, patch,
                       detail: "result: \(JSONWriter.render(result))")
            }
        } catch {
            report("patch does not apply to A", seed: seed, a, b, arrayKey: arrayKey, patch, detail: "\(error)")
        }
        return patch
    }

    /// A written as text and read back: the generator only makes valid JSON, and A is what a file holds.
    private func roundTrip(_ value: JSONValue, seed: UInt64) -> JSONValue? {
        let text = JSONWriter.render(value, pretty: seed % 2 == 0)
        do {
            return try JSONParser.parse(text)
        } catch {
            XCTFail("generated JSON does not parse (seed \(seed)): \(error)\n\(text)")
            return nil
        }
    }

    func testPatchesFromRandomPairsApplyExactly() {
        let start = Date()
        var pairs = 0
        var totalChanges = 0
        for iteration in 0..<2000 {
            let seed = baseSeed &+ UInt64(iteration)
            var generator = DiffTestGenerator(random: DiffTestRandom(seed: seed))
            let original = generator.document()
            let other: JSONValue
            switch iteration % 10 {
            case 0, 1:
                other = generator.document()                  // unrelated documents
            case 2:
                var value = original                           // many edits
                for _ in 0..<generator.random.int(5...15) { value = generator.mutate(value) }
                other = value
            case 3:
                other = generator.mutate(generator.rewriteNumbers(original))
            default:
                var value = original                           // a few edits: the usual case
                for _ in 0..<generator.random.int(1...4) { value = generator.mutate(value) }
                other = value
            }
            guard let a = roundTrip(original, seed: seed), let b = roundTrip(other, seed: seed) else { continue }
            for key in [nil, "id"] as [String?] {
                totalChanges += verify(a, b, seed: seed, arrayKey: key).count
            }
            // B -> A too, with and without the key on alternate pairs (keeps the run short).
            _ = verify(b, a, seed: seed, arrayKey: iteration % 2 == 0 ? nil : "id")
            pairs += 1
            if failures > 8 { break }
        }
        XCTAssertEqual(pairs, 2000)
        XCTAssertGreaterThan(totalChanges, 2000, "the generator makes too few changes to test anything")
        print("JSONPatchPropertyTests: \(pairs) pairs, \(totalChanges) changes, \(Date().timeIntervalSince(start)) s")
    }

    func testEqualDocumentsAndRewrittenNumbersHaveNoChanges() {
        // Counted, so that a document that fails to round-trip cannot shrink the run unnoticed.
        var checked = 0
        for iteration in 0..<300 {
            let seed = baseSeed &+ 100_000 &+ UInt64(iteration)
            var generator = DiffTestGenerator(random: DiffTestRandom(seed: seed))
            guard let a = roundTrip(generator.document(), seed: seed) else { continue }
            var reordered = generator.rewriteNumbers(a)
            // Object members in another order: still equal.
            func shuffleMembers(_ value: JSONValue, _ random: inout DiffTestRandom) -> JSONValue {
                switch value {
                case let .object(members):
                    return .object(members.map { ($0.key, shuffleMembers($0.value, &random)) }.shuffled(using: &random))
                case let .array(items):
                    return .array(items.map { shuffleMembers($0, &random) })
                default:
                    return value
                }
            }
            reordered = shuffleMembers(reordered, &generator.random)
            guard let b = roundTrip(reordered, seed: seed) else { continue }
            for key in [nil, "id"] as [String?] {
                let same = JSONStructuralDiff(arrayKey: key).changes(from: a, to: a)
                if !same.isEmpty { report("A vs A has changes", seed: seed, a, a, arrayKey: key, same, detail: "") }
                let rewritten = JSONStructuralDiff(arrayKey: key).changes(from: a, to: b)
                if !rewritten.isEmpty {
                    report("numbers rewritten / members reordered, values equal, yet changes", seed: seed, a, b,
                           arrayKey: key, rewritten, detail: "")
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 600)
    }

    /// Pointers (as token lists) of the containers reachable from the root through object members only.
    private func objectOnlyContainers(_ value: JSONValue, _ tokens: [String] = []) -> [[String]] {
        switch value {
        case let .object(members):
            return [tokens] + members.flatMap { objectOnlyContainers($0.value, tokens + [$0.key]) }
        case .array:
            return [tokens]
        default:
            return []
        }
    }

    private func edit(_ value: JSONValue, at tokens: ArraySlice<String>, _ body: (JSONValue) -> JSONValue) -> JSONValue {
        guard let token = tokens.first, case var .object(members) = value,
              let index = members.firstIndex(where: { $0.key == token }) else { return body(value) }
        members[index].value = edit(members[index].value, at: tokens.dropFirst(), body)
        return .object(members)
    }

    /// One element inserted in or removed from an array, one member added or removed, one scalar
    /// changed: exactly one operation, never a cascade (for arrays not inside other arrays).
    func testSingleEditsGiveOneOperation() {
        var checked = 0
        for iteration in 0..<700 {
            let seed = baseSeed &+ 200_000 &+ UInt64(iteration)
            var generator = DiffTestGenerator(random: DiffTestRandom(seed: seed))
            guard let a = roundTrip(generator.object(depth: 0), seed: seed) else { continue }
            let containers = objectOnlyContainers(a)
            let target = generator.random.pick(containers)
            var expected: JSONChange.Operation = .add
            var expectedPath: String?
            let pointer = target.map { "/" + JSONPointer.escape($0) }.joined()
            let b = edit(a, at: target[...]) { container in
                switch container {
                case var .array(items):
                    if !items.isEmpty && generator.random.chance(50) {
                        items.remove(at: generator.random.below(items.count))
                        expected = .remove
                    } else {
                        let keyed = !items.isEmpty && items.allSatisfy { $0["id"] != nil }
                        let element = keyed ? generator.keyedElement(depth: 1) : generator.value(depth: 2)
                        items.insert(element, at: generator.random.below(items.count + 1))
                    }
                    return .array(items)
                case var .object(members):
                    if !members.isEmpty && generator.random.chance(35) {
                        let index = generator.random.below(members.count)
                        expectedPath = pointer + "/" + JSONPointer.escape(members[index].key)
                        members.remove(at: index)
                        expected = .remove
                    } else if !members.isEmpty && generator.random.chance(50),
                              let index = members.firstIndex(where: { if case .number = $0.value { return true }; return false }),
                              case let .number(literal) = members[index].value {
                        // A different value: append a non-zero digit to the significant digits.
                        let (negative, digits, exponent) = DiffTestEquality.decimal(literal)
                        members[index].value = .number(generator.render(negative: negative, digits: digits + "7",
                                                                        exponent: exponent - 1))
                        expectedPath = pointer + "/" + JSONPointer.escape(members[index].key)
                        expected = .replace
                    } else {
                        var name = generator.key()
                        while members.contains(where: { $0.key == name }) { name += "+" }
                        members.insert((name, generator.value(depth: 2)), at: generator.random.below(members.count + 1))
                        expectedPath = pointer + "/" + JSONPointer.escape(name)
                    }
                    return .object(members)
                default:
                    return container
                }
            }
            for key in [nil, "id"] as [String?] {
                let patch = verify(a, b, seed: seed, arrayKey: key)
                let ok = patch.count == 1 && patch[0].operation == expected
                    && (expectedPath == nil || patch[0].path == expectedPath)
                if !ok {
                    report("one \(expected.rawValue) at \(expectedPath ?? pointer + "/…") expected", seed: seed, a, b,
                           arrayKey: key, patch, detail: "")
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 1400)
    }

    func testTheGeneratorWritesNumbersInVariedFormsWithTheSameValue() throws {
        var generator = DiffTestGenerator(random: DiffTestRandom(seed: baseSeed))
        var forms = Set<String>()
        for _ in 0..<400 {
            let literal = generator.number()
            let again = generator.rewrite(literal)
            forms.insert(again)
            guard case .number = try JSONParser.parse(literal), case .number = try JSONParser.parse(again) else {
                return XCTFail("not a number: \(literal) / \(again)")
            }
            XCTAssertTrue(JSONNumber.equal(literal, again), "\(literal) vs \(again)")
            XCTAssertEqual(DiffTestEquality.decimal(literal).1, DiffTestEquality.decimal(again).1)
        }
        XCTAssertTrue(forms.contains { $0.contains("e") || $0.contains("E") })
        XCTAssertTrue(forms.contains { $0.contains(".") })
        XCTAssertTrue(forms.contains { $0.hasPrefix("-") })
        XCTAssertTrue(forms.contains { $0.count >= 20 })
    }
}

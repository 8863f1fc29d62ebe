/// Compares JSON numbers by exact decimal value, from their literal text: `1` equals `1.0` and
/// `1e0`, `0.1` equals `0.10`, and `12345678901234567890` is not rounded to a Double.
enum JSONNumber {
    /// A canonical form: sign, significant digits without leading or trailing zeros, and the
    /// power of ten of the last digit, as decimal text so no exponent overflows (`1e99999999999999999999`
    /// is a valid JSON number). Zero is `("", "0", false)`.
    struct Canonical: Equatable {
        let digits: String
        let exponent: String
        let negative: Bool
    }

    static func canonical(_ text: String) -> Canonical {
        var negative = false
        var body = Substring(text)
        if body.hasPrefix("-") { negative = true; body = body.dropFirst() }
        var exponent = "0"
        if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = normalizedInteger(String(body[body.index(after: e)...]))
            body = body[..<e]
        }
        var digits: String
        var adjustment = 0
        if let dot = body.firstIndex(of: ".") {
            let fraction = body[body.index(after: dot)...]
            digits = String(body[..<dot]) + fraction
            adjustment -= fraction.count
        } else {
            digits = String(body)
        }
        let significant = digits.drop(while: { $0 == "0" })
        if significant.isEmpty { return Canonical(digits: "", exponent: "0", negative: false) }
        digits = String(significant)
        while digits.hasSuffix("0") {
            digits.removeLast()
            adjustment += 1
        }
        return Canonical(digits: digits, exponent: add(exponent, adjustment), negative: negative)
    }

    static func equal(_ a: String, _ b: String) -> Bool {
        a == b || canonical(a) == canonical(b)
    }

    /// `+007` -> `7`, `-0` -> `0`: an integer's text without sign noise or leading zeros.
    private static func normalizedInteger(_ text: String) -> String {
        var body = Substring(text)
        var negative = false
        if body.hasPrefix("+") { body = body.dropFirst() } else if body.hasPrefix("-") { negative = true; body = body.dropFirst() }
        let digits = body.drop(while: { $0 == "0" })
        if digits.isEmpty { return "0" }
        return (negative ? "-" : "") + digits
    }

    /// Adds a small number to an integer written in decimal, of any size.
    static func add(_ decimal: String, _ delta: Int) -> String {
        if delta == 0 { return decimal }
        if let value = Int(decimal) {
            let (sum, overflow) = value.addingReportingOverflow(delta)
            if !overflow { return String(sum) }
        }
        // Beyond Int: |decimal| > 2^63 dwarfs |delta|, so the sign stays and only the magnitude moves.
        let negative = decimal.hasPrefix("-")
        let magnitude = Array(negative ? decimal.dropFirst() : Substring(decimal))
        let grows = (delta > 0) != negative
        var digits = magnitude.reversed().map { Int($0.asciiValue! - 48) }
        var carry = delta.magnitude
        var position = 0
        while carry > 0 {
            if position == digits.count { digits.append(0) }
            let step = Int(carry % 10)
            carry /= 10
            if grows {
                let total = digits[position] + step
                digits[position] = total % 10
                carry += UInt(total / 10)
            } else {
                var total = digits[position] - step
                if total < 0 { total += 10; carry += 1 }
                digits[position] = total
            }
            position += 1
        }
        while digits.count > 1 && digits.last == 0 { digits.removeLast() }
        return (negative ? "-" : "") + String(digits.reversed().map { Character(String($0)) })
    }
}

extension JSONValue {
    /// Equality by meaning: object members by key (order ignored), numbers by exact value.
    func isEquivalent(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return JSONNumber.equal(a, b)
        case let (.string(a), .string(b)): return a.isIdentical(to: b)
        case let (.array(a), .array(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isEquivalent(to: $1) }
        case let (.object(a), .object(b)):
            let left = a.lastByKey
            let right = b.lastByKey
            guard left.count == right.count else { return false }
            for (key, value) in left {
                guard let match = right[key], value.isEquivalent(to: match) else { return false }
            }
            return true
        default: return false
        }
    }
}

extension JSONValue {
    /// A text equal for equivalent values: members sorted by key, numbers in canonical form.
    var canonicalText: String {
        switch self {
        case .null, .bool, .string: return JSONWriter.render(self)
        case let .number(literal):
            let canonical = JSONNumber.canonical(literal)
            return canonical.digits.isEmpty ? "0" : "\(canonical.negative ? "-" : "")\(canonical.digits)e\(canonical.exponent)"
        case let .array(items):
            return "[" + items.map(\.canonicalText).joined(separator: ",") + "]"
        case let .object(members):
            return "{" + members.lastByKey.sorted { Array($0.key.string.utf8).lexicographicallyPrecedes($1.key.string.utf8) }
                .map { key, value in JSONWriter.render(.string(key.string)) + ":" + value.canonicalText }
                .joined(separator: ",") + "}"
        }
    }
}

extension Array where Element == (key: String, value: JSONValue) {
    /// Members by exact key; a duplicated key keeps its last value, as most parsers do.
    var lastByKey: [ExactKey: JSONValue] {
        var result: [ExactKey: JSONValue] = [:]
        for member in self { result[ExactKey(member.key)] = member.value }
        return result
    }

    /// Keys in first-appearance order, each once.
    var orderedKeys: [String] {
        var seen = Set<ExactKey>()
        return compactMap { seen.insert(ExactKey($0.key)).inserted ? $0.key : nil }
    }
}

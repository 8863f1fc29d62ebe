/// Compares JSON numbers by exact decimal value, from their literal text: `1` equals `1.0` and
/// `1e0`, `0.1` equals `0.10`, and `12345678901234567890` is not rounded to a Double.
enum JSONNumber {
    /// A canonical form: sign, significant digits without leading or trailing zeros, and the
    /// power of ten of the last digit. Zero is `("", 0, false)`.
    struct Canonical: Equatable {
        let digits: String
        let exponent: Int
        let negative: Bool
    }

    static func canonical(_ text: String) -> Canonical {
        var negative = false
        var body = Substring(text)
        if body.hasPrefix("-") { negative = true; body = body.dropFirst() }
        var exponent = 0
        if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            // Exponents beyond Int are not realistic JSON; clamp rather than trap.
            exponent = Int(body[body.index(after: e)...].replacingOccurrences(of: "+", with: "")) ?? 0
            body = body[..<e]
        }
        var digits = ""
        if let dot = body.firstIndex(of: ".") {
            let fraction = body[body.index(after: dot)...]
            digits = String(body[..<dot]) + fraction
            exponent -= fraction.count
        } else {
            digits = String(body)
        }
        let trimmedLeading = digits.drop(while: { $0 == "0" })
        if trimmedLeading.isEmpty { return Canonical(digits: "", exponent: 0, negative: false) }
        var significant = String(trimmedLeading)
        while significant.hasSuffix("0") {
            significant.removeLast()
            exponent += 1
        }
        return Canonical(digits: significant, exponent: exponent, negative: negative)
    }

    static func equal(_ a: String, _ b: String) -> Bool {
        a == b || canonical(a) == canonical(b)
    }
}

extension JSONValue {
    /// Equality by meaning: object members by key (order ignored), numbers by exact value.
    func isEquivalent(to other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return JSONNumber.equal(a, b)
        case let (.string(a), .string(b)): return a == b
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
            return "{" + members.lastByKey.sorted { $0.key < $1.key }.map { key, value in
                JSONWriter.render(.string(key)) + ":" + value.canonicalText
            }.joined(separator: ",") + "}"
        }
    }
}

extension Array where Element == (key: String, value: JSONValue) {
    /// Members by key; a duplicated key keeps its last value, as most parsers do.
    var lastByKey: [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for member in self { result[member.key] = member.value }
        return result
    }

    /// Keys in first-appearance order, each once.
    var orderedKeys: [String] {
        var seen = Set<String>()
        return compactMap { seen.insert($0.key).inserted ? $0.key : nil }
    }
}

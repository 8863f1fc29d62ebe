/// A size as git's config writes one: a whole number of bytes, optionally with `k`, `m` or `g`
/// (binary multiples, either case), as in `pack.packSizeLimit = 512m`.
enum ByteSize {
    static func parse(_ text: String) -> Int64? {
        let trimmed = text.trimmed().lowercased()
        guard let last = trimmed.last else { return nil }
        let multipliers: [Character: Int64] = ["k": 1 << 10, "m": 1 << 20, "g": 1 << 30]
        let multiplier = multipliers[last] ?? 1
        let digits = multipliers[last] == nil ? trimmed : String(trimmed.dropLast())
        guard let value = Int64(digits), value > 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}

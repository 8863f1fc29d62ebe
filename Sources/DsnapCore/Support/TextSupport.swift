/// The few string helpers dsnap took from Foundation proper (`NSString` paths, padding,
/// `String(format:)`), which it does not link: see `Lock`.
extension String {
    /// Padded with spaces, or cut, to exactly `length` characters (`padding(toLength:...)`).
    public func padded(toLength length: Int) -> String {
        count >= length ? String(prefix(length)) : self + String(repeating: " ", count: length - count)
    }

    // Paths are cut at their `/` scalars, never as Characters: a name may begin with a combining
    // mark (`a/\u{301}b`), which joins the `/` before it into one Character that is not "/".

    /// The path without its last component: `a/b/c` -> `a/b`, `/a` -> `/`, `a` -> ``.
    public var parentPath: String {
        var path = Substring(self).unicodeScalars
        while path.count > 1 && path.last == "/" { path = path.dropLast() }
        guard let slash = path.lastIndex(of: "/") else { return "" }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component: `a/b/c` -> `c`, `a/b/` -> `b`, `/` -> `/`.
    public var lastPathComponent: String {
        var path = Substring(self).unicodeScalars
        while path.count > 1 && path.last == "/" { path = path.dropLast() }
        guard let slash = path.lastIndex(of: "/"), path.count > 1 else { return String(path) }
        return String(path[path.index(after: slash)...])
    }

    /// The components between `/`s: `a//b/` -> `a`, ``, `b`, `` (with `omittingEmpty`, `a`, `b`).
    public func pathComponents(omittingEmpty: Bool = false) -> [String] {
        unicodeScalars.split(separator: "/", omittingEmptySubsequences: omittingEmpty).map(String.init)
    }

    /// Without leading and trailing spaces and tabs (and, with `newlines`, line breaks).
    func trimmed(newlines: Bool = false) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || (newlines && ($0 == "\n" || $0 == "\r")) }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

extension Int {
    /// The number in decimal, zero-padded on the left to `width` digits (`%0Nd` without
    /// Foundation's `String(format:)`).
    public func zeroPadded(_ width: Int) -> String {
        let digits = String(magnitude)
        let sign = self < 0 ? "-" : ""
        return sign + String(repeating: "0", count: Swift.max(0, width - digits.count - sign.count)) + digits
    }

    /// `value` with one decimal (`%.1f`), or none with `places: 0` (`%.0f`), rounded half up.
    public static func decimal(_ value: Double, places: Int) -> String {
        guard value.isFinite else { return "0" }
        let scale = places == 0 ? 1.0 : 10.0
        let scaled = Int((abs(value) * scale).rounded())
        let sign = value < 0 && scaled != 0 ? "-" : ""
        return places == 0 ? sign + String(scaled) : sign + String(scaled / 10) + "." + String(scaled % 10)
    }
}

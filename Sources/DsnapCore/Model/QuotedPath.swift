/// Paths as dsnap prints them and reads them back, quoted the way git quotes them with
/// `core.quotePath=false`: a name holding a byte that is not UTF-8, a control character, `"` or
/// `\` is shown in double quotes with C escapes (`\t`, `\n`, `\"`, `\\`) and each other such
/// byte in octal (`"caf\351.json"`); any other name, Unicode included, is shown as it is.
/// Quoting is lossless: `parse` turns the quoted form back into the same bytes, so a name
/// copied from the output can be given back as an operand.
///
/// JSON carries a name as it is when it is valid UTF-8 (JSON escapes control characters
/// itself), and in the quoted form otherwise, or when the name itself starts with `"`: a JSON
/// path that starts with `"` is quoted, any other is the name.
public enum QuotedPath {
    /// `path` for human text: quoted when it needs to be.
    public static func text(_ path: String) -> String {
        var result = ""
        var quoted = false
        for scalar in path.unicodeScalars {
            if let byte = PathBytes.escapedByte(scalar) {
                result += octal(byte)
                quoted = true
                continue
            }
            switch scalar {
            case "\u{07}": result += "\\a"
            case "\u{08}": result += "\\b"
            case "\t": result += "\\t"
            case "\n": result += "\\n"
            case "\u{0B}": result += "\\v"
            case "\u{0C}": result += "\\f"
            case "\r": result += "\\r"
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029:
                // Control characters (C1 and the line separators too: they move a terminal's cursor).
                for byte in String(scalar).utf8 { result += octal(byte) }
            default:
                result.unicodeScalars.append(scalar)
                continue
            }
            quoted = true
        }
        return quoted ? "\"" + result + "\"" : result
    }

    /// `path` for a JSON string: the name itself, or its quoted form when the name is not UTF-8
    /// or starts with `"`.
    public static func json(_ path: String) -> String {
        // Either makes `text` quote it: a byte escaped, or the leading `"`.
        PathBytes.hasEscapes(path) || path.utf8.first == UInt8(ascii: "\"") ? text(path) : path
    }

    /// The name a quoted form stands for (`"caf\351.json"`, quotes included), or nil when `text`
    /// is not one.
    public static func parse(_ text: String) -> String? {
        let bytes = PathBytes.bytes(text)
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") else { return nil }
        return unescape(bytes[1..<bytes.count - 1], requireEscapedQuotes: true)
    }

    /// The name `text` stands for when its backslash escapes are read as in the quoted form
    /// (what a shell leaves of a quoted form pasted unprotected: `caf\351.json`); nil when it has
    /// no escape, or one that is not valid.
    public static func unescaped(_ text: String) -> String? {
        let bytes = PathBytes.bytes(text)
        guard bytes.contains(UInt8(ascii: "\\")) else { return nil }
        return unescape(bytes[...], requireEscapedQuotes: false)
    }

    private static func unescape(_ bytes: ArraySlice<UInt8>, requireEscapedQuotes: Bool) -> String? {
        var result: [UInt8] = []
        var position = bytes.startIndex
        func isOctal(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte) }
        while position < bytes.endIndex {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") && requireEscapedQuotes { return nil }
            guard byte == UInt8(ascii: "\\") else {
                result.append(byte)
                position += 1
                continue
            }
            guard position + 1 < bytes.endIndex else { return nil }
            let next = bytes[position + 1]
            let simple: [UInt8: UInt8] = [UInt8(ascii: "a"): 7, UInt8(ascii: "b"): 8, UInt8(ascii: "t"): 9,
                                          UInt8(ascii: "n"): 10, UInt8(ascii: "v"): 11, UInt8(ascii: "f"): 12,
                                          UInt8(ascii: "r"): 13, UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C]
            if let value = simple[next] {
                result.append(value)
                position += 2
            } else if position + 3 < bytes.endIndex, isOctal(next), next <= UInt8(ascii: "3"),
                      isOctal(bytes[position + 2]), isOctal(bytes[position + 3]) {
                result.append((next - 0x30) << 6 | (bytes[position + 2] - 0x30) << 3 | (bytes[position + 3] - 0x30))
                position += 4
            } else {
                return nil
            }
        }
        guard !result.isEmpty, !result.contains(0) else { return nil }
        return PathBytes.string(result)
    }

    private static func octal(_ byte: UInt8) -> String {
        "\\" + String(byte >> 6) + String(byte >> 3 & 7) + String(byte & 7)
    }
}

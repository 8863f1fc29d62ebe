/// Makes user data safe to print as human text: names, descriptions and paths may hold newlines
/// and control characters, which are shown escaped (`\n`, `\x1b`) so they cannot forge lines or
/// drive the terminal. JSON output carries them faithfully instead.
public enum TerminalText {
    public static func escape(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            // A byte of a name that is not UTF-8 (`PathBytes`), in octal as `QuotedPath` shows it.
            if let byte = PathBytes.escapedByte(scalar) {
                result += "\\" + String(byte >> 6) + String(byte >> 3 & 7) + String(byte & 7)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                result += scalar.value <= 0xFF ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Shortens a single-line text to `limit` characters with an ellipsis.
    public static func truncate(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }
}

/// Renders `JSONValue`s: compact, or pretty with two-space indentation. Strings are escaped per
/// RFC 8259; non-ASCII text is written as UTF-8, except the characters a terminal would act on
/// (C0 and C1 controls, DEL, U+2028 and U+2029), written as `\u` escapes so that JSON output is
/// safe to print as it is.
public enum JSONWriter {
    public static func render(_ value: JSONValue, pretty: Bool = false) -> String {
        var output = ""
        write(value, into: &output, pretty: pretty, depth: 0)
        return output
    }

    private static func write(_ value: JSONValue, into output: inout String, pretty: Bool, depth: Int) {
        switch value {
        case .null: output += "null"
        case let .bool(flag): output += flag ? "true" : "false"
        case let .number(text): output += text
        case let .string(text): writeString(text, into: &output)
        case let .array(items):
            if items.isEmpty { output += "[]"; return }
            output += "["
            for (position, item) in items.enumerated() {
                if position > 0 { output += "," }
                newline(&output, pretty: pretty, depth: depth + 1)
                write(item, into: &output, pretty: pretty, depth: depth + 1)
            }
            newline(&output, pretty: pretty, depth: depth)
            output += "]"
        case let .object(members):
            if members.isEmpty { output += "{}"; return }
            output += "{"
            for (position, member) in members.enumerated() {
                if position > 0 { output += "," }
                newline(&output, pretty: pretty, depth: depth + 1)
                writeString(member.key, into: &output)
                output += pretty ? ": " : ":"
                write(member.value, into: &output, pretty: pretty, depth: depth + 1)
            }
            newline(&output, pretty: pretty, depth: depth)
            output += "}"
        }
    }

    private static func newline(_ output: inout String, pretty: Bool, depth: Int) {
        guard pretty else { return }
        output += "\n"
        output += String(repeating: "  ", count: depth)
    }

    static func writeString(_ text: String, into output: inout String) {
        output += "\""
        // Most strings (ids, names, dates, keys) are printable ASCII with nothing to escape: appended
        // whole, not scalar by scalar (a listing of 1,000 snapshots spent half its time here).
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            output += text
            output += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

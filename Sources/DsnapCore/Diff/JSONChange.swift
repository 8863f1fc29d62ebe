/// One field-level change between two JSON documents: an RFC 6902 operation on an RFC 6901 path.
/// A file's changes, applied in order to the old document, give the new one exactly.
public struct JSONChange: Sendable, Equatable {
    public enum Operation: String, Sendable { case add, remove, replace }
    public let operation: Operation
    /// A JSON Pointer (RFC 6901), `""` for the whole document.
    public let path: String
    /// The value removed or replaced.
    public let old: JSONValue?
    /// The value added, or the replacement.
    public let new: JSONValue?
}

/// JSON Pointer (RFC 6901) paths.
public enum JSONPointer {
    /// Escapes one reference token: `~` as `~0`, `/` as `~1`.
    public static func escape(_ token: String) -> String {
        // Almost every key has neither character: return it untouched without building a new string.
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        var escaped = ""
        for character in token.unicodeScalars {
            switch character {
            case "~": escaped += "~0"
            case "/": escaped += "~1"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }

    public static func unescape(_ token: Substring) -> String {
        String(token).replacing("~1", with: "/").replacing("~0", with: "~")
    }

    /// The reference tokens of a pointer (`/a/0` -> ["a", "0"]); nil when it is not a pointer.
    public static func tokens(_ pointer: String) -> [String]? {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else { return nil }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(unescape)
    }

    /// The value a pointer names in `document`, or nil when there is none.
    public static func resolve(_ pointer: String, in document: JSONValue) -> JSONValue? {
        guard let tokens = tokens(pointer) else { return nil }
        var current = document
        for token in tokens {
            guard let next = step(into: current, token) else { return nil }
            current = next
        }
        return current
    }

    /// One step of a pointer: the member `token` of an object (the last, if repeated), or the
    /// element at position `token` (plain decimal) of an array; nil when there is none.
    static func step(into value: JSONValue, _ token: String) -> JSONValue? {
        switch value {
        case let .object(members):
            return members.last(where: { $0.key.isIdentical(to: token) })?.value
        case let .array(items):
            guard let index = Int(token), index >= 0, index < items.count, token == String(index) else { return nil }
            return items[index]
        default:
            return nil
        }
    }
}

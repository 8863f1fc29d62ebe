import Glibc

/// File names of any bytes held losslessly in Swift Strings, dsnap's in-memory path type.
///
/// Linux names are bytes (anything but NUL and `/`), git stores them as bytes, and a String holds
/// only valid Unicode: `String(cString:)` turns each byte that is not UTF-8 into U+FFFD, and two
/// names differing there would become one. So each such byte is held as a private-use code point
/// of its own, U+10FF00 + the byte, and turned back into the byte wherever a path leaves for the
/// file system or libgit2. A name whose UTF-8 happens to encode one of those 256 code points has
/// its bytes escaped one by one too, so the mapping is a bijection from byte strings to the
/// Strings it makes: a name that is valid UTF-8 (the usual case) is the String it always was.
///
/// Every crossing goes through here: `string(...)` where bytes come in (readdir, libgit2, argv),
/// `withCString`/`bytes` where they go out.
public enum PathBytes {
    /// The code point standing for raw byte 0: byte `b` is U+10FF00 + b.
    static let escapeBase: UInt32 = 0x10FF00

    /// The String for a name's bytes.
    public static func string<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        // The usual name: valid UTF-8 with no code point from U+100000 on (all start with 0xF4).
        if !bytes.contains(0xF4), let text = String(validating: bytes, as: UTF8.self) { return text }
        return escaping(Array(bytes))
    }

    /// The String for a NUL-terminated name.
    public static func string(cString: UnsafePointer<CChar>) -> String {
        let length = strlen(cString)
        return cString.withMemoryRebound(to: UInt8.self, capacity: length) {
            string(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// The name's bytes.
    public static func bytes(_ path: String) -> [UInt8] {
        guard hasEscapes(path) else { return Array(path.utf8) }
        var result: [UInt8] = []
        result.reserveCapacity(path.utf8.count)
        for scalar in path.unicodeScalars {
            if let byte = escapedByte(scalar) {
                result.append(byte)
            } else {
                result.append(contentsOf: String(scalar).utf8)
            }
        }
        return result
    }

    /// The number of bytes in the name.
    public static func byteCount(_ path: String) -> Int {
        hasEscapes(path) ? bytes(path).count : path.utf8.count
    }

    /// Calls `body` with the name as a NUL-terminated C string of its bytes, for the file system
    /// or libgit2.
    public static func withCString<Result>(_ path: String,
                                           _ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        guard hasEscapes(path) else { return try path.withCString(body) }
        return try (bytes(path) + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// The name as a NUL-terminated array of its bytes, which Swift passes to a C function taking
    /// `const char *` as it passes a String: for code that hands one path to several calls.
    public static func cString(_ path: String) -> [CChar] {
        guard hasEscapes(path) else { return Array(path.utf8CString) }
        return (bytes(path) + [0]).map { CChar(bitPattern: $0) }
    }

    /// True when `path` holds a byte that is not UTF-8 (its UTF-8 is not its bytes).
    public static func hasEscapes(_ path: String) -> Bool {
        // Every escape code point is encoded F4 8F BC..BF xx.
        var utf8 = path.utf8.makeIterator()
        while let byte = utf8.next() {
            guard byte == 0xF4, utf8.next() == 0x8F, let third = utf8.next() else { continue }
            if third >= 0xBC { return true }
        }
        return false
    }

    /// The raw byte an escape code point stands for; nil for any other scalar.
    public static func escapedByte(_ scalar: Unicode.Scalar) -> UInt8? {
        scalar.value >= escapeBase ? UInt8(scalar.value - escapeBase) : nil
    }

    /// The slow path of `string`: decodes UTF-8 by hand, one well-formed sequence at a time;
    /// every byte of a malformed sequence, and of an escape code point, is escaped alone.
    private static func escaping(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        var position = 0
        while position < bytes.count {
            if let (scalar, length) = decode(bytes, at: position), scalar.value < escapeBase {
                scalars.append(scalar)
                position += length
            } else {
                scalars.append(Unicode.Scalar(escapeBase + UInt32(bytes[position]))!)
                position += 1
            }
        }
        return String(scalars)
    }

    /// The well-formed UTF-8 sequence at `position` (Unicode table 3-7: no overlong forms, no
    /// surrogates, nothing past U+10FFFF), or nil.
    private static func decode(_ bytes: [UInt8], at position: Int) -> (Unicode.Scalar, Int)? {
        let first = bytes[position]
        let length: Int
        var value: UInt32
        var low: UInt8 = 0x80, high: UInt8 = 0xBF   // the range of the second byte
        switch first {
        case 0x00...0x7F: return (Unicode.Scalar(first), 1)
        case 0xC2...0xDF: length = 2; value = UInt32(first & 0x1F)
        case 0xE0: length = 3; value = 0; low = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3; value = UInt32(first & 0x0F)
        case 0xED: length = 3; value = 0x0D; high = 0x9F
        case 0xF0: length = 4; value = 0; low = 0x90
        case 0xF1...0xF3: length = 4; value = UInt32(first & 0x07)
        case 0xF4: length = 4; value = 4; high = 0x8F
        default: return nil
        }
        guard position + length <= bytes.count else { return nil }
        for offset in 1..<length {
            let byte = bytes[position + offset]
            let range = offset == 1 ? low...high : 0x80...0xBF
            guard range.contains(byte) else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        return Unicode.Scalar(value).map { ($0, length) }
    }
}

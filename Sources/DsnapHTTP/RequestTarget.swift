/// Splits and decodes a request-target (RFC 9112 3.2): origin-form "/path?query", absolute-form
/// "http://host/path?query" (which servers must accept), and "*" for OPTIONS. Authority-form
/// (CONNECT's) is refused: this server is no proxy.
enum RequestTarget {
    /// The decoded path and query of `target`, or a 400 naming what is wrong with it.
    static func decode(_ target: [UInt8], method: String) throws(HTTPRequestError) -> (path: String, query: [(name: String, value: String)]) {
        guard !target.isEmpty else { throw .malformed("the request target is empty") }
        for byte in target where !isTargetByte(byte) {
            throw .malformed("the request target has a byte that is not allowed there (\(describe(byte)))")
        }
        if target == [0x2A] {  // "*"
            guard method == "OPTIONS" else { throw .malformed("the request target '*' is only for OPTIONS") }
            return ("*", [])
        }
        var start = 0
        if target[0] != 0x2F {  // "/"
            guard let afterScheme = absoluteFormPathStart(target) else {
                throw .malformed("the request target is neither a path starting with '/' nor an http URI")
            }
            start = afterScheme
        }
        let rest = target[start...]
        let pathEnd = rest.firstIndex(of: 0x3F) ?? rest.endIndex  // "?"
        let rawPath = rest[rest.startIndex..<pathEnd]
        let path = rawPath.isEmpty ? "/" : try decodeComponent(rawPath, plusIsSpace: false, what: "path")
        var query: [(name: String, value: String)] = []
        if pathEnd < rest.endIndex {
            for pair in rest[(pathEnd + 1)...].split(separator: 0x26) {  // "&"
                let equals = pair.firstIndex(of: 0x3D) ?? pair.endIndex  // "="
                let name = try decodeComponent(pair[pair.startIndex..<equals], plusIsSpace: true, what: "query")
                let value = equals < pair.endIndex
                    ? try decodeComponent(pair[(equals + 1)...], plusIsSpace: true, what: "query") : ""
                query.append((name, value))
            }
        }
        return (path, query)
    }

    /// Visible ASCII but "#" (a fragment is never sent): no spaces, controls or bytes past 0x7E.
    static func isTargetByte(_ byte: UInt8) -> Bool {
        byte >= 0x21 && byte <= 0x7E && byte != 0x23
    }

    /// Where the path of an absolute-form target starts ("http://host:port/path"): after the
    /// authority; the index of its "?" or end when it has no path, so the path decodes as "/".
    private static func absoluteFormPathStart(_ target: [UInt8]) -> Int? {
        let lower = target.prefix(8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        let schemeLength: Int
        if lower.starts(with: Array("http://".utf8)) {
            schemeLength = 7
        } else if lower.starts(with: Array("https://".utf8)) {
            schemeLength = 8
        } else {
            return nil
        }
        let authorityEnd = target[schemeLength...].firstIndex { $0 == 0x2F || $0 == 0x3F } ?? target.endIndex
        return authorityEnd > schemeLength ? authorityEnd : nil
    }

    /// Percent-decodes one component, which must then be UTF-8 without NUL: a path or query
    /// that decodes to anything else is refused rather than passed on lossily.
    private static func decodeComponent(_ raw: ArraySlice<UInt8>, plusIsSpace: Bool, what: String) throws(HTTPRequestError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            if byte == 0x25 {  // "%"
                guard index + 2 < raw.endIndex, let high = hexValue(raw[index + 1]), let low = hexValue(raw[index + 2]) else {
                    throw .malformed("the request \(what) has a '%' not followed by two hex digits")
                }
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(plusIsSpace && byte == 0x2B ? 0x20 : byte)
                index += 1
            }
        }
        guard !bytes.contains(0) else { throw .malformed("the request \(what) decodes to a NUL byte") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .malformed("the request \(what) does not decode to UTF-8")
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// A byte for an error message: printable as itself, anything else in hex.
    static func describe(_ byte: UInt8) -> String {
        byte >= 0x21 && byte <= 0x7E ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16, uppercase: true)
    }
}

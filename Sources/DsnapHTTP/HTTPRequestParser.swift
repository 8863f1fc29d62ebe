/// An incremental HTTP/1.1 request parser over bytes as they arrive, in any splits: a pure value
/// with no I/O, so it is tested and fuzzed alone. Each limit is enforced as soon as it is
/// exceeded, so a hostile client never makes it buffer more than the limits allow (plus what one
/// read delivers).
///
/// Strict where leniency has caused request smuggling and header injection elsewhere:
/// - lines end in CRLF; a bare LF or a CR elsewhere is 400 (no LF-only tolerance);
/// - the request line is exactly METHOD SP TARGET SP HTTP/D.D, the method a token, the target
///   visible ASCII without "#"; up to `maxRequestLineBytes` of empty lines before it are ignored
///   (RFC 9112 2.2);
/// - obs-fold (a line starting with a space or tab), whitespace before a colon, a name that is
///   not a token, and a control byte other than tab in a value are 400;
/// - an HTTP/1.1 request needs exactly one Host field (RFC 9112 3.2), an HTTP/1.0 one at most one;
/// - any Transfer-Encoding is 501: bodies are framed by Content-Length only. Content-Length
///   repeated with one value is accepted, with different values 400;
/// - HTTP/1.x is served (1.2 and up as 1.1, RFC 9110 6.2); any other major version is 505.
/// Field values are decoded as UTF-8 when they are, else as ISO-8859-1: no byte is lost.
public struct HTTPRequestParser: Sendable {
    public let limits: HTTPRequestLimits

    private var buffer: [UInt8] = []
    /// Where the line being looked for starts (in the body state: where the body starts).
    private var lineStart = 0
    /// Where the search for the next LF resumes, so bytes arriving one at a time are scanned once.
    private var scanFrom = 0
    /// Empty lines skipped before the current request line, in bytes.
    private var skippedBytes = 0
    private var state: State = .requestLine

    /// Set when a request's head asks `Expect: 100-continue` and its body has yet to come: the
    /// server then sends the interim response and calls `continueSent()`.
    public private(set) var expectsContinue = false

    private enum State: Sendable {
        case requestLine
        case headers(Head)
        case body(Head, length: Int)
        case failed(HTTPRequestError)
    }

    private struct Head: Sendable {
        var method: String
        var target: String
        var path: String
        var query: [(name: String, value: String)]
        var version: String
        var headers = HTTPHeaders()
        var sectionStart: Int
    }

    public init(limits: HTTPRequestLimits = HTTPRequestLimits()) {
        self.limits = limits
    }

    /// Adds bytes received from the client.
    public mutating func append<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        if case .failed = state { return }
        if case .requestLine = state, lineStart == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            lineStart = 0
            scanFrom = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Whether bytes of a request that is not complete yet are buffered: the server's read
    /// timeout runs from then, its idle timeout before.
    public var hasPartialRequest: Bool {
        switch state {
        case .requestLine: buffer.count > lineStart || skippedBytes > 0
        case .headers, .body: true
        case .failed: false
        }
    }

    /// The interim response has been sent.
    public mutating func continueSent() {
        expectsContinue = false
    }

    /// The next complete request, or nil until more bytes arrive. After a throw the parser stays
    /// failed: the connection's framing is lost.
    public mutating func nextRequest() throws(HTTPRequestError) -> HTTPRequest? {
        do {
            return try parse()
        } catch {
            state = .failed(error)
            expectsContinue = false
            throw error
        }
    }

    private mutating func parse() throws(HTTPRequestError) -> HTTPRequest? {
        while true {
            switch state {
            case let .failed(error):
                throw error
            case .requestLine:
                guard let line = try nextLine(pendingLimit: limits.maxRequestLineBytes + 1, status: 414,
                                              detail: requestLineTooLong) else { return nil }
                if line.isEmpty {
                    skippedBytes += 2
                    guard skippedBytes <= limits.maxRequestLineBytes else {
                        throw .malformed("too many empty lines before the request line")
                    }
                    continue
                }
                guard line.count <= limits.maxRequestLineBytes else {
                    throw HTTPRequestError(status: 414, detail: requestLineTooLong)
                }
                state = .headers(try Self.parseRequestLine(line, sectionStart: lineStart))
            case var .headers(head):
                let sectionLimit = limits.maxHeaderBytes - (lineStart - head.sectionStart)
                guard let line = try nextLine(pendingLimit: sectionLimit, status: 431, detail: headersTooLarge) else {
                    return nil
                }
                if lineStart - head.sectionStart > limits.maxHeaderBytes {
                    throw HTTPRequestError(status: 431, detail: headersTooLarge)
                }
                if line.isEmpty {
                    let length = try bodyLength(of: head)
                    if length == 0 { return finish(head, bodyLength: 0) }
                    state = .body(head, length: length)
                    continue
                }
                guard head.headers.count < limits.maxHeaderCount else {
                    throw HTTPRequestError(status: 431, detail: "the request has more than \(limits.maxHeaderCount) header fields")
                }
                let field = try Self.parseField(line)
                head.headers.append(name: field.name, value: field.value)
                state = .headers(head)
            case let .body(head, length):
                guard buffer.count - lineStart >= length else { return nil }
                return finish(head, bodyLength: length)
            }
        }
    }

    private var requestLineTooLong: String { "the request line is longer than \(limits.maxRequestLineBytes) bytes" }
    private var headersTooLarge: String { "the request's header section is larger than \(limits.maxHeaderBytes) bytes" }

    /// The next line without its CRLF, moving past it; nil if no LF has arrived yet. Throws
    /// `status` when more than `pendingLimit` bytes wait without an LF.
    private mutating func nextLine(pendingLimit: Int, status: Int, detail: String) throws(HTTPRequestError) -> ArraySlice<UInt8>? {
        guard let newline = buffer[scanFrom...].firstIndex(of: 0x0A) else {
            scanFrom = buffer.count
            if buffer.count - lineStart > pendingLimit { throw HTTPRequestError(status: status, detail: detail) }
            return nil
        }
        // The same bound as before the LF came, so where reads happen to end never changes which
        // error a client gets (the fuzzer found a 414 in pieces that was a 400 whole).
        if newline - lineStart > pendingLimit { throw HTTPRequestError(status: status, detail: detail) }
        guard newline > lineStart, buffer[newline - 1] == 0x0D else {
            throw .malformed("a line ends in a bare LF; lines must end in CRLF")
        }
        let line = buffer[lineStart..<(newline - 1)]
        lineStart = newline + 1
        scanFrom = lineStart
        return line
    }

    private mutating func finish(_ head: Head, bodyLength: Int) -> HTTPRequest {
        let body = Array(buffer[lineStart..<(lineStart + bodyLength)])
        buffer.removeSubrange(0..<(lineStart + bodyLength))
        lineStart = 0
        scanFrom = 0
        skippedBytes = 0
        state = .requestLine
        expectsContinue = false
        return HTTPRequest(method: head.method, target: head.target, path: head.path, query: head.query,
                           headers: head.headers, body: body, version: head.version)
    }

    private static func parseRequestLine(_ line: ArraySlice<UInt8>, sectionStart: Int) throws(HTTPRequestError) -> Head {
        let parts = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].contains(0x20) else {
            throw .malformed("the request line is not METHOD SP TARGET SP VERSION")
        }
        guard parts[0].allSatisfy(isTokenByte) else { throw .malformed("the request method is not a token") }
        let version = try parseVersion(parts[2])
        let method = String(decoding: parts[0], as: UTF8.self)
        let decoded = try RequestTarget.decode(Array(parts[1]), method: method)
        return Head(method: method, target: String(decoding: parts[1], as: UTF8.self), path: decoded.path,
                    query: decoded.query, version: version, sectionStart: sectionStart)
    }

    private static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPRequestError) -> String {
        let text = Array(bytes)
        guard text.count == 8, text.starts(with: Array("HTTP/".utf8)), isDigit(text[5]), text[6] == 0x2E, isDigit(text[7]) else {
            throw .malformed("the request line does not end in a version such as HTTP/1.1")
        }
        guard text[5] == 0x31 else {
            throw HTTPRequestError(status: 505, detail: "HTTP version \(text[5] - 0x30).\(text[7] - 0x30) is not supported; use HTTP/1.1")
        }
        return text[7] == 0x30 ? "HTTP/1.0" : "HTTP/1.1"
    }

    private static func parseField(_ line: ArraySlice<UInt8>) throws(HTTPRequestError) -> (name: String, value: String) {
        if line.first == 0x20 || line.first == 0x09 {
            throw .malformed("a header line starts with whitespace (obsolete line folding is not accepted)")
        }
        guard let colon = line.firstIndex(of: 0x3A) else { throw .malformed("a header line has no colon") }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
            throw .malformed("a header name is empty, not a token, or followed by whitespace before its colon")
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 0x20 || first == 0x09 { value.removeFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value.removeLast() }
        for byte in value where byte < 0x20 && byte != 0x09 || byte == 0x7F {
            throw .malformed("the value of header '\(String(decoding: name, as: UTF8.self))' has a control byte (\(RequestTarget.describe(byte)))")
        }
        return (String(decoding: name, as: UTF8.self), decodeValue(value))
    }

    /// UTF-8 when the bytes are, else ISO-8859-1 (each byte its own code point): lossless either way.
    static func decodeValue(_ bytes: ArraySlice<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(Unicode.Scalar(byte)) }
        return String(text)
    }

    /// The body's length from the head's framing fields, after the checks that need the whole head.
    private mutating func bodyLength(of head: Head) throws(HTTPRequestError) -> Int {
        let hosts = head.headers.values("host").count
        if head.version == "HTTP/1.1" ? hosts != 1 : hosts > 1 {
            throw .malformed(hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "the request has more than one Host header")
        }
        if !head.headers.values("transfer-encoding").isEmpty {
            throw HTTPRequestError(status: 501, detail: "Transfer-Encoding (chunked bodies) is not supported; send the body with Content-Length")
        }
        var length = 0
        var digitsSeen: [UInt8]?
        for value in head.headers.values("content-length") {
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                let digits = Array(String(element).trimmingWhitespace().utf8)
                guard !digits.isEmpty, digits.allSatisfy(Self.isDigit) else {
                    throw .malformed("Content-Length is not a number")
                }
                let significant = Array(digits.drop { $0 == 0x30 })
                if let seen = digitsSeen, seen != significant {
                    throw .malformed("the request has different Content-Length values")
                }
                digitsSeen = significant
            }
        }
        if let digits = digitsSeen {
            guard digits.count <= 15 else { throw bodyTooLarge }
            length = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard length <= limits.maxBodyBytes else { throw bodyTooLarge }
        }
        if head.version == "HTTP/1.1", let expect = head.headers["expect"] {
            guard HTTPHeaders.fold(expect.trimmingWhitespace()) == "100-continue" else {
                throw HTTPRequestError(status: 417, detail: "only 'Expect: 100-continue' is supported")
            }
            expectsContinue = length > 0
        }
        return length
    }

    private var bodyTooLarge: HTTPRequestError {
        HTTPRequestError(status: 413, detail: "the request body is larger than \(limits.maxBodyBytes) bytes")
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// RFC 9110 5.6.2 tchar: "!#$%&'*+-.^_`|~", digits and letters.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
        default: false
        }
    }
}

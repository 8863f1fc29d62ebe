/// Turns a handler's response into the bytes sent: status line, sanitised header fields, the
/// framing fields the server owns, and the body.
enum ResponseEncoder {
    /// Fields the server alone decides: a handler's copy is dropped.
    private static let serverOwned: Set<String> = ["content-length", "transfer-encoding", "connection"]

    /// The bytes of `response` to a request with `method` (nil when none was parsed) and
    /// `version`; `closing` adds `Connection: close`.
    static func encode(_ response: HTTPResponse, method: String?, version: String?, closing: Bool, date: String) -> [UInt8] {
        var response = response
        if !(200...599).contains(response.status) {
            response = HTTPResponse(status: 500, detail: "the handler answered with status \(response.status), which is not a final status")
        }
        let bodiless = response.status == 204 || response.status == 304
        var head = "HTTP/1.1 \(response.status) \(reasonPhrase(response.status))\r\n"
        var hasDate = false
        for (name, value) in response.headers {
            let folded = HTTPHeaders.fold(name)
            guard !name.isEmpty, name.utf8.allSatisfy(HTTPRequestParser.isTokenByte), !serverOwned.contains(folded) else { continue }
            hasDate = hasDate || folded == "date"
            head += name + ": " + sanitised(value) + "\r\n"
        }
        if !hasDate { head += "Date: \(date)\r\n" }
        if !bodiless { head += "Content-Length: \(response.body.count)\r\n" }
        if closing {
            head += "Connection: close\r\n"
        } else if version == "HTTP/1.0" {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"
        var bytes = Array(head.utf8)
        if !bodiless && method != "HEAD" { bytes.append(contentsOf: response.body) }
        return bytes
    }

    /// Whether the handler asked for the connection to close after its response.
    static func asksToClose(_ response: HTTPResponse) -> Bool {
        HTTPHeaders(response.headers).contains(token: "close", in: "connection")
    }

    /// A value with its control characters (CR and LF above all: response splitting) as spaces.
    private static func sanitised(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) else { return value }
        return String(String.UnicodeScalarView(value.unicodeScalars.map {
            ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F ? " " : $0
        }))
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 417: "Expectation Failed"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }
}

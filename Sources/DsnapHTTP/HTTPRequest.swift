/// One request as the handler sees it: framing done, the target split into a decoded path and
/// query, the body whole.
public struct HTTPRequest: Sendable {
    /// As sent: methods are case-sensitive ("get" is not "GET").
    public var method: String
    /// The raw request-target: "/api/v1/x?y=z" (or an absolute URI, or "*" for OPTIONS).
    public var target: String
    /// The target's path, percent-decoded, without its query. Dot segments are left as sent; a
    /// decoded "%2F" is a "/" like any other.
    public var path: String
    /// The query's name=value pairs in order, percent-decoded, "+" as a space.
    public var query: [(name: String, value: String)]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// "HTTP/1.1" or "HTTP/1.0" (a later 1.x minor version is served as 1.1, RFC 9110 6.2).
    public var version: String

    /// A request for `target`, decoded as the parser decodes one (for handlers' own tests).
    /// Throws a 400 `HTTPRequestError` for a target the server would refuse.
    public init(method: String, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
                version: String = "HTTP/1.1") throws(HTTPRequestError) {
        let decoded = try RequestTarget.decode(Array(target.utf8), method: method)
        self.init(method: method, target: target, path: decoded.path, query: decoded.query, headers: headers,
                  body: body, version: version)
    }

    init(method: String, target: String, path: String, query: [(name: String, value: String)],
         headers: HTTPHeaders, body: [UInt8], version: String) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.version = version
    }

    /// The first value of query parameter `name`.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }

    /// Whether the connection stays open after the response: HTTP/1.1 unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive` (RFC 9112 9.3).
    public var keepsAlive: Bool {
        if headers.contains(token: "close", in: "connection") { return false }
        return version == "HTTP/1.1" || headers.contains(token: "keep-alive", in: "connection")
    }
}

extension HTTPRequest: Equatable {
    public static func == (left: HTTPRequest, right: HTTPRequest) -> Bool {
        left.method == right.method && left.target == right.target && left.path == right.path
            && left.query.map(\.name) == right.query.map(\.name) && left.query.map(\.value) == right.query.map(\.value)
            && Array(left.headers).map(\.name) == Array(right.headers).map(\.name)
            && Array(left.headers).map(\.value) == Array(right.headers).map(\.value)
            && left.body == right.body && left.version == right.version
    }
}

/// A handler's answer. The server frames it: it sets Content-Length (and Connection when it
/// closes), adds Date unless given, and drops any framing fields the handler set, so a handler
/// cannot desynchronise the connection.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The API's error shape: `{"detail": "..."}` as application/json.
    public init(status: Int, detail: String) {
        self.init(status: status, headers: [("Content-Type", "application/json")],
                  body: Array("{\"detail\": \(Self.jsonString(detail))}".utf8))
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

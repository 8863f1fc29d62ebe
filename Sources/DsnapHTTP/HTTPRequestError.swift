/// Why bytes from a client are not an acceptable request: the status the server answers with,
/// and the `detail` of its JSON body. The server closes the connection after answering, since
/// it can no longer tell where the next request would start.
public struct HTTPRequestError: Error, Equatable, Sendable {
    public let status: Int
    public let detail: String

    public init(status: Int, detail: String) {
        self.status = status
        self.detail = detail
    }

    static func malformed(_ detail: String) -> HTTPRequestError { HTTPRequestError(status: 400, detail: detail) }
}

/// The bounds the request parser enforces, in bytes and fields; a request beyond one is refused
/// as soon as the parser can tell, before the rest of it is buffered.
public struct HTTPRequestLimits: Sendable, Equatable {
    /// The request line, without its CRLF: longer is 414.
    public var maxRequestLineBytes: Int
    /// The header section after the request line, every CRLF included: larger is 431.
    public var maxHeaderBytes: Int
    /// Header fields in one request: more is 431.
    public var maxHeaderCount: Int
    /// A body's Content-Length: larger is 413, refused before any of the body is read.
    public var maxBodyBytes: Int

    public init(maxRequestLineBytes: Int = 8 * 1024, maxHeaderBytes: Int = 32 * 1024, maxHeaderCount: Int = 100,
                maxBodyBytes: Int = 1024 * 1024) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}

/// Where the server listens and every bound it keeps. The defaults suit a loopback API server
/// whose handlers may block for seconds.
public struct HTTPServerConfiguration: Sendable {
    /// An IPv4 or IPv6 literal ("127.0.0.1", "::1", "[::1]", "0.0.0.0", "::") or "localhost"
    /// (127.0.0.1). Names are not resolved: a listening address is never a DNS question.
    public var host: String = "127.0.0.1"
    /// 0 binds a free port; `HTTPServer.port` tells which.
    public var port: Int = 0
    /// Open client sockets at once; a connection beyond is answered 503 and closed at once, so
    /// the listen queue never jams. The server raises the process's soft descriptor limit (up to
    /// the hard one) to fit this many plus 256.
    public var maxConnections: Int = 1024
    /// Requests handled at once: the size of the worker pool. Further complete requests wait.
    public var workerThreads: Int = 16
    /// The listen(2) backlog.
    public var listenBacklog: Int = 1024
    /// Parser bounds: request line 8 KiB (414), header section 32 KiB and 100 fields (431),
    /// body 1 MiB (413).
    public var maxRequestLineBytes: Int = 8 * 1024
    public var maxHeaderBytes: Int = 32 * 1024
    public var maxHeaderCount: Int = 100
    public var maxBodyBytes: Int = 1024 * 1024
    /// A request whose first byte has arrived must be complete within this, or the client gets
    /// 408 and the connection closes.
    public var readTimeout: Duration = .seconds(10)
    /// A connection with no request under way (a fresh one, or kept alive) closes after this.
    public var idleTimeout: Duration = .seconds(30)
    /// A response that makes no progress for this long (a client that does not read) is dropped.
    public var writeTimeout: Duration = .seconds(30)
    /// After a last response the server stops sending and reads for up to this long before it
    /// closes, so request bytes it did not read cannot make the kernel reset the connection
    /// before the client has read that response.
    public var lingerTimeout: Duration = .seconds(2)

    public init(host: String = "127.0.0.1", port: Int = 0) {
        self.host = host
        self.port = port
    }

    var limits: HTTPRequestLimits {
        HTTPRequestLimits(maxRequestLineBytes: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes,
                          maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes)
    }

    /// The first setting out of range, as an error; nil when all are usable.
    func invalidSetting() -> HTTPServerError? {
        guard (0...65535).contains(port) else { return .badAddress("port \(port) is not between 0 and 65535") }
        let counts: [(String, Int)] = [("maxConnections", maxConnections), ("workerThreads", workerThreads),
                                       ("listenBacklog", listenBacklog), ("maxRequestLineBytes", maxRequestLineBytes),
                                       ("maxHeaderBytes", maxHeaderBytes), ("maxHeaderCount", maxHeaderCount)]
        for (name, value) in counts where value < 1 {
            return .invalidConfiguration("\(name) must be at least 1, not \(value)")
        }
        if maxBodyBytes < 0 { return .invalidConfiguration("maxBodyBytes must not be negative") }
        let times: [(String, Duration)] = [("readTimeout", readTimeout), ("idleTimeout", idleTimeout),
                                           ("writeTimeout", writeTimeout), ("lingerTimeout", lingerTimeout)]
        for (name, value) in times where value <= .zero {
            return .invalidConfiguration("\(name) must be longer than zero")
        }
        return nil
    }
}

extension Duration {
    /// Whole milliseconds, at least 1 for any positive duration, capped far beyond any timeout.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        guard seconds < 1_000_000_000 else { return 1_000_000_000_000 }
        return max(seconds * 1000 + attoseconds / 1_000_000_000_000_000, self > .zero ? 1 : 0)
    }
}

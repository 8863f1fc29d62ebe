import Synchronization

/// An HTTP/1.1 server over POSIX sockets: one thread (the caller of `run()`) waits on the
/// listening socket and every connection through epoll, so idle connections cost no threads;
/// complete requests go to a fixed pool of worker threads that run `handler`; responses go back
/// through that event loop, which writes them as the client takes them.
/// See `HTTPRequestParser` for what is accepted and `HTTPServerConfiguration` for the bounds.
public final class HTTPServer: Sendable {
    /// The bound port: the one asked for, or the free one picked for port 0.
    public let port: Int
    private let loop: ServerLoop
    /// 0 before `run()`, 1 while it runs, 2 once it has returned.
    private let runState = Atomic<Int>(0)

    /// Binds and listens now, so the port is taken (and known) before `run()`.
    public init(configuration: HTTPServerConfiguration,
                handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws(HTTPServerError) {
        if let invalid = configuration.invalidSetting() { throw invalid }
        let listener = try ListeningSocket.open(host: configuration.host, port: configuration.port,
                                                backlog: configuration.listenBacklog)
        port = listener.port
        loop = try ServerLoop(configuration: configuration, listener: listener.descriptor, handler: handler)
    }

    /// Serves until `stop()`, then returns once the requests already being handled have been
    /// answered. A second call, or a call after it returned, returns at once.
    public func run() {
        guard runState.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else { return }
        loop.run()
        runState.store(2, ordering: .releasing)
    }

    /// Stops accepting, closes idle connections, lets running handlers finish and their responses
    /// go out, then `run()` returns. Safe from any thread, and async-signal-safe (an atomic store
    /// and a write to a pipe), so even a signal handler may call it. Before `run()`, that call
    /// returns at once.
    public func stop() {
        loop.requestStop()
    }
}

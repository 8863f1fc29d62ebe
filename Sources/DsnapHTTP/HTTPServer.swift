import Glibc
import Synchronization

/// An HTTP/1.1 server over POSIX sockets: one thread (the caller of `run()`) waits on the
/// listening socket and every connection through epoll, so idle connections cost no threads;
/// complete requests go to a fixed pool of worker threads that run `handler`; responses go back
/// through that event loop, which writes them as the client takes them.
/// See `HTTPRequestParser` for what is accepted and `HTTPServerConfiguration` for the bounds.
///
/// Stopping on SIGTERM and SIGINT, with the signals taken from their default action first:
/// ```
/// let server = try HTTPServer(configuration: configuration, handler: api.respond)
/// let sources = [SIGTERM, SIGINT].map { number in
///     signal(number, SIG_IGN)
///     let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
///     source.setEventHandler { server.stop() }
///     source.resume()
///     return source
/// }
/// server.run()  // returns once the running requests are answered
/// ```
/// A dispatch source registers a moment after `resume()`; a signal in between is ignored. Where
/// that matters, block the signals with pthread_sigmask before creating the server (its threads
/// inherit the mask) and call `stop()` from a thread in sigwait.
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
        Self.raiseDescriptorLimit(toFit: configuration.maxConnections)
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

    /// Descriptors the process needs beyond its connections: the listening socket, the wakeup
    /// pipe, epoll, the spare, and whatever the handlers open (a dataset's files and packs).
    static let descriptorHeadroom = 256

    /// Raises the soft limit on open descriptors, up to the hard limit, so that `maxConnections`
    /// connections fit beside the handlers' own files: Debian's default soft limit (1,024) is
    /// below the default connection limit. Go's runtime raises it at start-up for the same reason.
    /// Never lowers it; where the hard limit is too low, connections past it are turned away.
    static func raiseDescriptorLimit(toFit connections: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = rlim_t(clamping: connections + descriptorHeadroom)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = min(wanted, limit.rlim_max)
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

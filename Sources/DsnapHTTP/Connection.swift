/// One client socket as the event loop tracks it. Only the loop thread touches it.
final class Connection {
    enum Phase {
        /// No request under way: a fresh connection, or one kept alive. Idle timeout.
        case idle
        /// Part of a request has arrived. Read timeout, from its first byte.
        case reading
        /// A worker runs the handler; the socket is not watched (its next request waits in the
        /// kernel: requests on one connection are served in order).
        case handling
        /// A response is going out. Write timeout, renewed by each send that makes progress.
        case writing
        /// The last response is out and the write side shut: reading and discarding until the
        /// client closes, or the linger timeout.
        case lingering
    }

    let id: UInt64
    let descriptor: Int32
    var parser: HTTPRequestParser
    /// Set through `EventPoller.set(_:_:deadline:)`, which keeps what epoll watches in step.
    var phase: Phase = .idle
    /// When the current phase's timeout fires (monotonic milliseconds); unused while handling.
    var deadline: Int64
    /// What epoll watches it for: nil nothing, 0 input, 1 output.
    var registered: Int32?
    /// The request being handled: its response is framed for it.
    var method: String?
    var version: String?
    var keepsAlive = false
    var outgoing: [UInt8] = []
    var sent = 0
    var closeAfterWrite = false

    init(id: UInt64, descriptor: Int32, limits: HTTPRequestLimits, deadline: Int64) {
        self.id = id
        self.descriptor = descriptor
        self.parser = HTTPRequestParser(limits: limits)
        self.deadline = deadline
    }
}

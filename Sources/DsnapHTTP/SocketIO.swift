import CHTTPSystem
import Glibc

/// The one home of the server's socket calls that can be interrupted or find nothing to do:
/// each retries after EINTR and reports EAGAIN as `wouldBlock` (all sockets are non-blocking).
enum SocketIO {
    enum Outcome: Equatable {
        /// Bytes moved, or the descriptor accepted.
        case done(Int)
        case wouldBlock
        /// The peer closed its side (a read of 0 bytes).
        case closed
        case failed(Int32)
    }

    static func receive(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Outcome {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .done(count) }
            if count == 0 { return .closed }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock : .failed(errno)
        }
    }

    /// One send of as much of `bytes` as the socket takes. MSG_NOSIGNAL: a client that went
    /// away is an EPIPE here, never a SIGPIPE that ends the process.
    static func send(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Outcome {
        while true {
            let count = Glibc.send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .done(count) }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock : .failed(errno)
        }
    }

    /// A client socket, non-blocking and close-on-exec. ECONNABORTED (a client gone before it was
    /// accepted) is retried: the next one in the queue is as good.
    static func accept(_ listener: Int32) -> Outcome {
        while true {
            let descriptor = dsnap_http_accept(listener)
            if descriptor >= 0 { return .done(Int(descriptor)) }
            if errno == EINTR || errno == ECONNABORTED { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .wouldBlock : .failed(errno)
        }
    }

    /// CLOCK_MONOTONIC in milliseconds: deadlines must not move with the wall clock.
    static func monotonicMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

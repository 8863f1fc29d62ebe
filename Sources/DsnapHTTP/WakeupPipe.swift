import CHTTPSystem
import Glibc

/// The self-pipe that wakes the event loop from other threads: a worker with a finished response,
/// or `stop()`. Writing one byte is async-signal-safe, so a signal handler may call `signal()`.
final class WakeupPipe: Sendable {
    let readEnd: Int32
    private let writeEnd: Int32

    init() throws(HTTPServerError) {
        var ends: [Int32] = [-1, -1]
        guard dsnap_http_pipe(&ends) == 0 else { throw .socketFailure(call: "pipe2", errno: errno) }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// A full pipe (EAGAIN) already holds a wakeup the loop has yet to read: nothing is lost.
    func signal() {
        var byte: UInt8 = 1
        while write(writeEnd, &byte, 1) < 0 && errno == EINTR {}
    }

    func drain() {
        var bytes = [UInt8](repeating: 0, count: 256)
        while true {
            let count = read(readEnd, &bytes, bytes.count)
            if count > 0 { continue }
            if count < 0 && errno == EINTR { continue }
            return
        }
    }
}

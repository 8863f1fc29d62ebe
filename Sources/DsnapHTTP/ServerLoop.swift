import Glibc
import Synchronization

/// The event loop behind `HTTPServer`: accepts, reads and parses, hands complete requests to the
/// worker pool, writes responses, and enforces every timeout. Its state belongs to the thread in
/// `run()`; other threads reach it only through `requestStop()` and `deliver(_:)`, which touch
/// nothing but an atomic, a mutex-guarded list and the wakeup pipe.
final class ServerLoop: @unchecked Sendable {
    private struct Completion {
        let connection: UInt64
        let response: HTTPResponse
    }

    private let configuration: HTTPServerConfiguration
    private let limits: HTTPRequestLimits
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    private let wakeup: WakeupPipe
    private let stopRequested = Atomic<Bool>(false)
    private let completions = Mutex<[Completion]>([])

    // The loop thread's own state.
    private var listener: Int32
    private var stopping = false
    /// The open connections, and what epoll watches each for.
    private let table: EventPoller
    private var nextID = EventPoller.listenerKey + 1
    private var handling = 0
    private var pool: WorkerPool?
    private var now: Int64 = 0
    private var date = HTTPDate()
    /// A descriptor held in reserve: at the process's descriptor limit, it is closed to accept
    /// and close one waiting client, so a full listen queue cannot make the loop spin.
    private var spare: Int32 = -1
    /// Set when the process is out of descriptors and even the spare is gone: the listening
    /// socket is not watched until then, since a waiting client would wake the loop at once on
    /// every turn (level-triggered) with nothing it could do.
    private var acceptPausedUntil: Int64?

    private let readTimeout: Int64
    private let idleTimeout: Int64
    private let writeTimeout: Int64
    private let lingerTimeout: Int64

    /// Bytes read per receive: a whole header section in one call for most requests.
    private static let receiveSize = 64 * 1024

    init(configuration: HTTPServerConfiguration, listener: Int32,
         handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws(HTTPServerError) {
        do {
            wakeup = try WakeupPipe()
            table = try EventPoller(wakeup: wakeup.readEnd, listener: listener)
        } catch {
            close(listener)
            throw error
        }
        self.configuration = configuration
        self.limits = configuration.limits
        self.handler = handler
        self.listener = listener
        readTimeout = configuration.readTimeout.milliseconds
        idleTimeout = configuration.idleTimeout.milliseconds
        writeTimeout = configuration.writeTimeout.milliseconds
        lingerTimeout = configuration.lingerTimeout.milliseconds
    }

    deinit {
        if listener >= 0 { close(listener) }
    }

    func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        wakeup.signal()
    }

    func run() {
        pool = WorkerPool(threads: configuration.workerThreads, name: "dsnap-http") { [self] job in
            deliver(Completion(connection: job.connection, response: handler(job.request)))
        }
        let receiveBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.receiveSize, alignment: 16)
        spare = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            receiveBuffer.deallocate()
            if spare >= 0 { close(spare) }
            spare = -1
        }
        now = SocketIO.monotonicMilliseconds()

        while true {
            if !stopping && stopRequested.load(ordering: .acquiring) { beginStop() }
            if stopping && table.count == 0 && handling == 0 { break }

            if let until = acceptPausedUntil, until <= now, listener >= 0 {
                acceptPausedUntil = nil
                if spare < 0 { spare = open("/dev/null", O_RDONLY | O_CLOEXEC) }
                table.watchListener(listener)
            }
            let wakeAt = min(table.nextDeadline, acceptPausedUntil ?? .max)
            let timeout = wakeAt == .max ? -1 : Int32(clamping: max(0, wakeAt - now))
            let events = table.wait(timeout: timeout)
            now = SocketIO.monotonicMilliseconds()
            var acceptable = false
            var ready: [(connection: Connection, readable: Bool, writable: Bool)] = []
            for event in events {
                switch event.key {
                case EventPoller.wakeupKey: wakeup.drain()
                case EventPoller.listenerKey: acceptable = true
                default:
                    if let connection = table.connection(event.key) {
                        ready.append((connection, event.readable != 0, event.writable != 0))
                    }
                }
            }
            for completion in completions.withLock({ taken in defer { taken.removeAll() }; return taken }) {
                handling -= 1
                guard let connection = table.connection(completion.connection) else { continue }
                respond(connection, with: completion.response)
            }
            // Each event is acted on only in the phase it was watched for: an earlier one in this
            // turn may have closed the connection or moved it on.
            for (connection, readable, writable) in ready where table.connection(connection.id) === connection {
                switch connection.phase {
                case .idle, .reading: if readable { read(connection, into: receiveBuffer) }
                case .writing: if writable { write(connection) }
                case .lingering: if readable { discard(connection, into: receiveBuffer) }
                case .handling: break
                }
            }
            if acceptable && listener >= 0 && acceptPausedUntil == nil { acceptWaiting() }
            expireDeadlines()
        }
        if listener >= 0 {
            close(listener)
            listener = -1
        }
        pool?.finish()
        pool = nil
    }

    private func deliver(_ completion: Completion) {
        completions.withLock { $0.append(completion) }
        wakeup.signal()
    }

    /// Stops accepting and closes every connection that is not handling a request or sending
    /// its response; those close once their response is out.
    private func beginStop() {
        stopping = true
        if listener >= 0 {
            table.unwatchListener(listener)
            close(listener)
            listener = -1
        }
        for connection in Array(table.all) where connection.phase == .idle || connection.phase == .reading {
            drop(connection)
        }
    }

    private func acceptWaiting() {
        // Bounded, so a flood of connections cannot starve the clients already connected.
        for _ in 0..<64 {
            switch SocketIO.accept(listener) {
            case let .done(accepted):
                let descriptor = Int32(accepted)
                guard table.count < configuration.maxConnections else {
                    refuse(descriptor)
                    continue
                }
                var one: Int32 = 1
                setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                let connection = Connection(id: nextID, descriptor: descriptor, limits: limits, deadline: now + idleTimeout)
                nextID += 1
                table.add(connection)
            case let .failed(code) where code == EMFILE || code == ENFILE:
                guard spare >= 0 else {
                    table.unwatchListener(listener)
                    acceptPausedUntil = now + 100
                    return
                }
                close(spare)
                if case let .done(accepted) = SocketIO.accept(listener) { refuse(Int32(accepted)) }
                spare = open("/dev/null", O_RDONLY | O_CLOEXEC)
            case .wouldBlock, .closed, .failed:
                return
            }
        }
    }

    /// A connection beyond the limit: one attempt at a 503 (a fresh socket's buffer takes it
    /// whole), then closed at once.
    private func refuse(_ descriptor: Int32) {
        let bytes = ResponseEncoder.encode(
            HTTPResponse(status: 503, detail: "the server has too many open connections; try again later"),
            method: nil, version: nil, closing: true, date: date.now())
        _ = bytes.withUnsafeBytes { SocketIO.send(descriptor, $0) }
        close(descriptor)
    }

    private func read(_ connection: Connection, into buffer: UnsafeMutableRawBufferPointer) {
        switch SocketIO.receive(connection.descriptor, into: buffer) {
        case let .done(count):
            connection.parser.append(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            advance(connection)
        case .wouldBlock:
            return
        case .closed, .failed:
            drop(connection)
        }
    }

    /// Hands the next complete request to a worker, answers a malformed one, or waits for more
    /// bytes under the timeout that fits.
    private func advance(_ connection: Connection) {
        let request: HTTPRequest?
        do {
            request = try connection.parser.nextRequest()
        } catch {
            send(HTTPResponse(status: error.status, detail: error.detail), to: connection, closing: true)
            return
        }
        if let request {
            table.set(connection, .handling, deadline: .max)
            connection.method = request.method
            connection.version = request.version
            connection.keepsAlive = request.keepsAlive
            handling += 1
            pool?.submit(WorkerPool.Job(connection: connection.id, request: request))
            return
        }
        if connection.parser.expectsContinue {
            connection.parser.continueSent()
            let interim = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
            // A fresh reply on a connection with nothing else in flight: the buffer takes it whole,
            // and if it did not, the response stream would be corrupt, so the connection goes.
            guard interim.withUnsafeBytes({ SocketIO.send(connection.descriptor, $0) }) == .done(interim.count) else {
                drop(connection)
                return
            }
        }
        if connection.parser.hasPartialRequest {
            if connection.phase != .reading { table.set(connection, .reading, deadline: now + readTimeout) }
        } else if connection.phase != .idle {
            table.set(connection, .idle, deadline: now + idleTimeout)
        }
    }

    /// Frames a handler's response for the request it answers and starts sending it.
    private func respond(_ connection: Connection, with response: HTTPResponse) {
        let closing = !connection.keepsAlive || stopping || ResponseEncoder.asksToClose(response)
        send(response, to: connection, closing: closing)
    }

    private func send(_ response: HTTPResponse, to connection: Connection, closing: Bool) {
        connection.outgoing = ResponseEncoder.encode(response, method: connection.method, version: connection.version,
                                                     closing: closing, date: date.now())
        connection.sent = 0
        connection.closeAfterWrite = closing
        connection.method = nil
        connection.version = nil
        table.set(connection, .writing, deadline: now + writeTimeout)
        write(connection)
    }

    /// Sends what the socket takes; once the response is out, serves the next request on the
    /// connection or begins closing it.
    private func write(_ connection: Connection) {
        while connection.sent < connection.outgoing.count {
            let outcome = connection.outgoing.withUnsafeBytes {
                SocketIO.send(connection.descriptor, UnsafeRawBufferPointer(rebasing: $0[connection.sent...]))
            }
            switch outcome {
            case let .done(count):
                connection.sent += count
                table.extend(connection, to: now + writeTimeout)
            case .wouldBlock:
                return
            case .closed, .failed:
                drop(connection)
                return
            }
        }
        connection.outgoing = []
        connection.sent = 0
        if connection.closeAfterWrite || stopping {
            shutdown(connection.descriptor, Int32(SHUT_WR))
            table.set(connection, .lingering, deadline: now + lingerTimeout)
        } else {
            table.set(connection, .idle, deadline: now + idleTimeout)
            advance(connection)
        }
    }

    /// Reads and throws away what a closing client still sends, until it closes too.
    private func discard(_ connection: Connection, into buffer: UnsafeMutableRawBufferPointer) {
        // Bounded: a client streaming at full speed is cut off by the linger timeout, not served.
        for _ in 0..<16 {
            switch SocketIO.receive(connection.descriptor, into: buffer) {
            case .done: continue
            case .wouldBlock: return
            case .closed, .failed:
                drop(connection)
                return
            }
        }
    }

    private func expireDeadlines() {
        for connection in table.expired(at: now) {
            switch connection.phase {
            case .reading:
                let seconds = Double(readTimeout) / 1000
                let limit = seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
                send(HTTPResponse(status: 408, detail: "the request was not complete within \(limit)"), to: connection,
                     closing: true)
            case .idle, .writing, .lingering, .handling:
                drop(connection)
            }
        }
    }

    private func drop(_ connection: Connection) {
        table.remove(connection)
        close(connection.descriptor)
    }
}

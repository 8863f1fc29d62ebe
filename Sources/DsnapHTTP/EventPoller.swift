import CHTTPSystem
import Glibc

/// Which descriptors the loop waits on, through epoll: a turn of the loop costs in proportion to
/// what happened, not to the connections open. With poll(2), every turn had the kernel poll
/// every socket, and 1,000 idle connections slowed each request of an active client several
/// times over; epoll costs two registration changes per request instead.
///
/// A connection's interest follows its phase; changes are applied in one pass before each wait,
/// so a response written at once (handling -> writing -> idle) costs one call, not three. The
/// next deadline is tracked the same way: lowered whenever one is set earlier, found again by a
/// scan of all connections only once it has passed.
final class EventPoller {
    /// Keys of the two descriptors that are not connections (connection ids start above them).
    static let wakeupKey: UInt64 = 0
    static let listenerKey: UInt64 = 1

    private let descriptor: Int32
    private var connections: [UInt64: Connection] = [:]
    /// Connections whose interest may differ from what is registered.
    private var pending: [Connection] = []
    private var events: [dsnap_http_event]
    /// No connection's deadline is earlier than this (it may be earlier than all of them).
    private(set) var nextDeadline = Int64.max

    init(wakeup: Int32, listener: Int32) throws(HTTPServerError) {
        descriptor = dsnap_http_epoll_create()
        guard descriptor >= 0 else { throw .socketFailure(call: "epoll_create1", errno: errno) }
        events = Array(repeating: dsnap_http_event(), count: 256)
        guard dsnap_http_epoll_watch(descriptor, wakeup, Self.wakeupKey, 0, 0) == 0,
              dsnap_http_epoll_watch(descriptor, listener, Self.listenerKey, 0, 0) == 0 else {
            let code = errno
            close(descriptor)
            throw .socketFailure(call: "epoll_ctl", errno: code)
        }
    }

    deinit {
        close(descriptor)
    }

    var count: Int { connections.count }

    func connection(_ key: UInt64) -> Connection? { connections[key] }

    var all: Dictionary<UInt64, Connection>.Values { connections.values }

    /// Before the listening socket is closed, or while accepting is paused.
    func unwatchListener(_ listener: Int32) {
        _ = dsnap_http_epoll_unwatch(descriptor, listener)
    }

    func watchListener(_ listener: Int32) {
        _ = dsnap_http_epoll_watch(descriptor, listener, Self.listenerKey, 0, 0)
    }

    func add(_ connection: Connection) {
        connections[connection.id] = connection
        set(connection, connection.phase, deadline: connection.deadline)
    }

    /// Before the connection's socket is closed (closing it leaves the epoll set by itself, but
    /// the loop may still hold events for its key).
    func remove(_ connection: Connection) {
        connections[connection.id] = nil
        if connection.registered != nil { _ = dsnap_http_epoll_unwatch(descriptor, connection.descriptor) }
        connection.registered = nil
    }

    /// Moves `connection` to `phase`, whose timeout ends at `deadline`.
    func set(_ connection: Connection, _ phase: Connection.Phase, deadline: Int64) {
        connection.phase = phase
        connection.deadline = deadline
        pending.append(connection)
        if phase != .handling { nextDeadline = min(nextDeadline, deadline) }
    }

    /// Moves the deadline of a connection without changing its phase.
    func extend(_ connection: Connection, to deadline: Int64) {
        connection.deadline = deadline
        nextDeadline = min(nextDeadline, deadline)
    }

    /// The connections whose deadline is `now` or past; the next deadline is found again.
    func expired(at now: Int64) -> [Connection] {
        guard nextDeadline <= now else { return [] }
        var expired: [Connection] = []
        nextDeadline = .max
        for connection in connections.values where connection.phase != .handling {
            if connection.deadline <= now {
                expired.append(connection)
            } else {
                nextDeadline = min(nextDeadline, connection.deadline)
            }
        }
        return expired
    }

    /// Applies the interest changes, then waits up to `timeout` milliseconds (-1: no limit).
    /// The events, empty when a signal interrupted the wait.
    func wait(timeout: Int32) -> ArraySlice<dsnap_http_event> {
        for connection in pending where connections[connection.id] === connection {
            // A handling connection is not watched: a client's hang-up would be reported on
            // every wait until its response is ready. Its next request waits in the kernel.
            let wanted: Int32? = switch connection.phase {
            case .handling: nil
            case .idle, .reading, .lingering: 0
            case .writing: 1
            }
            guard wanted != connection.registered else { continue }
            if let wanted {
                _ = dsnap_http_epoll_watch(descriptor, connection.descriptor, connection.id, wanted,
                                           connection.registered == nil ? 0 : 1)
            } else {
                _ = dsnap_http_epoll_unwatch(descriptor, connection.descriptor)
            }
            connection.registered = wanted
        }
        pending.removeAll(keepingCapacity: true)
        let count = events.withUnsafeMutableBufferPointer {
            dsnap_http_epoll_wait(descriptor, $0.baseAddress, Int32($0.count), timeout)
        }
        return events[0..<max(0, Int(count))]
    }
}

import Glibc

/// Why the server could not start listening. Each case says what failed and what to do; the
/// caller maps them to its exit codes (address in use: conflict; permission: forbidden; bad
/// address or setting: usage).
public enum HTTPServerError: Error, Equatable, Sendable {
    /// Something else listens on the port.
    case addressInUse(host: String, port: Int)
    /// A port below 1024 without the privilege, or an address the process may not bind.
    case permissionDenied(host: String, port: Int)
    /// Not an IP literal, not an address of this machine, or a port out of range.
    case badAddress(String)
    /// A limit or timeout out of range.
    case invalidConfiguration(String)
    /// A socket call failed for another reason (out of descriptors, say): the call and errno.
    case socketFailure(call: String, errno: Int32)

    public var message: String {
        switch self {
        case let .addressInUse(host, port):
            return "cannot listen on \(Self.endpoint(host, port)): the address is already in use"
        case let .permissionDenied(host, port):
            return "cannot listen on \(Self.endpoint(host, port)): permission denied"
        case let .badAddress(detail):
            return "cannot listen there: \(detail)"
        case let .invalidConfiguration(detail):
            return "invalid server setting: \(detail)"
        case let .socketFailure(call, code):
            return "cannot listen: \(call) failed: \(String(cString: strerror(code)))"
        }
    }

    public var hint: String? {
        switch self {
        case .addressInUse:
            return "stop the other server or choose another port (port 0 picks a free one)"
        case let .permissionDenied(_, port) where port < 1024:
            return "ports below 1024 need privileges; choose a port from 1024 up"
        case .permissionDenied:
            return "check that this user may bind that address"
        case .badAddress:
            return "give an IP address of this machine, such as 127.0.0.1 or ::1, or localhost, and a port from 0 to 65535"
        case .invalidConfiguration:
            return nil
        case let .socketFailure(_, code) where code == EMFILE || code == ENFILE:
            return "raise the open file limit (ulimit -n) or lower the connection limit"
        case .socketFailure:
            return nil
        }
    }

    /// "127.0.0.1:8080", "[::1]:8080".
    static func endpoint(_ host: String, _ port: Int) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

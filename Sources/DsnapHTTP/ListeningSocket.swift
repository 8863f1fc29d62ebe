import Glibc

/// Opens the server's listening socket on an IP literal: no name is resolved, "localhost" aside.
enum ListeningSocket {
    /// The listening descriptor (non-blocking, close-on-exec) and the port it is bound to.
    static func open(host: String, port: Int, backlog: Int) throws(HTTPServerError) -> (descriptor: Int32, port: Int) {
        var literal = host
        if HTTPHeaders.fold(literal) == "localhost" { literal = "127.0.0.1" }
        if literal.hasPrefix("[") && literal.hasSuffix("]") && literal.count > 2 {
            literal = String(literal.dropFirst().dropLast())
        }
        guard !literal.isEmpty else { throw .badAddress("no address given") }
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(literal, String(port), &hints, &found) == 0, let address = found else {
            throw .badAddress("'\(host)' is not an IP address")
        }
        defer { freeaddrinfo(found) }

        let descriptor = socket(address.pointee.ai_family,
                                Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            if errno == EAFNOSUPPORT { throw .badAddress("this machine has no IPv6") }
            throw .socketFailure(call: "socket", errno: errno)
        }
        // A restarted server may bind at once while connections of the last one sit in TIME_WAIT
        // (Linux still refuses a second listener on the port).
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if bind(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) != 0 {
            let code = errno
            close(descriptor)
            switch code {
            case EADDRINUSE: throw .addressInUse(host: host, port: port)
            case EACCES, EPERM: throw .permissionDenied(host: host, port: port)
            case EADDRNOTAVAIL: throw .badAddress("'\(host)' is not an address of this machine")
            default: throw .socketFailure(call: "bind", errno: code)
            }
        }
        guard listen(descriptor, Int32(clamping: backlog)) == 0 else {
            let code = errno
            close(descriptor)
            if code == EADDRINUSE { throw .addressInUse(host: host, port: port) }
            throw .socketFailure(call: "listen", errno: code)
        }
        return (descriptor, boundPort(descriptor) ?? port)
    }

    private static func boundPort(_ descriptor: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        return withUnsafePointer(to: &storage) { pointer -> Int? in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET: pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            case AF_INET6: pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            default: nil
            }
        }
    }
}

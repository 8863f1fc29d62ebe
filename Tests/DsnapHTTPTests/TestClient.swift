import Foundation
import Glibc

/// One response as a test client read it off the socket.
struct TestResponse {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

enum TestClientError: Error {
    case connect(Int32)
    case timedOut
    case closedEarly
    case malformed(String)
}

/// A blocking TCP client over a real socket, for talking to the server under test byte by byte.
final class TestClient {
    let descriptor: Int32
    private var pending: [UInt8] = []

    /// Connects to `host`:`port`; reads time out after `timeout` seconds (a test fails, never hangs).
    init(port: Int, host: String = "127.0.0.1", timeout: Double = 5) throws {
        let isIPv6 = host.contains(":")
        descriptor = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestClientError.connect(errno) }
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let connected: Int32
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw TestClientError.connect(code)
        }
    }

    deinit { Glibc.close(descriptor) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw TestClientError.closedEarly
            }
            done += count
        }
    }

    /// Reads more bytes; false at end of stream (or a reset).
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count > 0 {
                pending.append(contentsOf: chunk[0..<count])
                return true
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError.timedOut }
            return false  // ECONNRESET: the server closed with bytes unread
        }
    }

    /// The next response, nil if the server closed the connection before sending one.
    func readResponse(head: Bool = false) throws -> TestResponse? {
        var headEnd: Int?
        var searched = 0
        while headEnd == nil {
            headEnd = pending.withUnsafeBufferPointer { bytes -> Int? in
                var index = max(0, searched - 3)
                while index + 3 < bytes.count {
                    if bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
                        return index
                    }
                    index += 1
                }
                return nil
            }
            searched = pending.count
            if headEnd == nil {
                guard try fill() else {
                    if pending.isEmpty { return nil }
                    throw TestClientError.closedEarly
                }
            }
        }
        let headText = String(decoding: pending[0..<headEnd!], as: UTF8.self)
        pending.removeFirst(headEnd! + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw TestClientError.malformed(headText)
        }
        let headers = lines.map { line -> (name: String, value: String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let response = TestResponse(status: status, headers: headers, body: [])
        if status == 100 || status == 204 || status == 304 { return response }
        let length = head ? 0 : Int(response.header("content-length") ?? "0") ?? 0
        while pending.count < length {
            guard try fill() else { throw TestClientError.closedEarly }
        }
        let body = Array(pending[0..<length])
        pending.removeFirst(length)
        return TestResponse(status: status, headers: headers, body: body)
    }

    /// Whether the server has closed the connection: end of stream with nothing more sent.
    func isClosedByServer() throws -> Bool {
        pending.isEmpty ? try !fill() : false
    }

    /// A request with a Host field and `extra` header lines.
    static func request(_ method: String = "GET", _ target: String, extra: [String] = [], body: String? = nil) -> String {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        for line in extra { text += line + "\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        return text + "\r\n" + (body ?? "")
    }
}

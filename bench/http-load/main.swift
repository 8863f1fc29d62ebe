import Foundation
import Glibc
import Synchronization

// DsnapHTTP alone under load, built with -O by bench/http-load/run (not part of the package):
// CLIENTS keep-alive client threads send REQUESTS requests each, one at a time, while IDLE
// connections stay open beside them; prints throughput and per-request latency percentiles.
// The handler answers at once, so this measures the server, not the API behind it.
// Usage: httpbench CLIENTS REQUESTS IDLE
let arguments = CommandLine.arguments
let clients = Int(arguments[1])!, requests = Int(arguments[2])!, idleCount = Int(arguments[3])!
let body = Array(String(repeating: "{\"snapshot_id\": \"0123456789abcdef\"}, ", count: 6).utf8)
var configuration = HTTPServerConfiguration()
configuration.maxConnections = 4096
let server = try HTTPServer(configuration: configuration) { request in
    HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: body)
}
let done = DispatchSemaphore(value: 0)
Thread { server.run(); done.signal() }.start()

func connectClient() -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(server.port).bigEndian
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    let result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    precondition(result == 0)
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(4))
    return fd
}
var idle: [Int32] = []
for _ in 0..<idleCount { idle.append(connectClient()) }
let request = Array("GET /api/v1/dataset/x/snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\n\r\n".utf8)
let latencies = Mutex<[Double]>([])
let start = Date()
let group = DispatchGroup()
for _ in 0..<clients { group.enter(); Thread {
    let fd = connectClient()
    var buffer = [UInt8](repeating: 0, count: 65536)
    var mine: [Double] = []
    for _ in 0..<requests {
        let t0 = DispatchTime.now().uptimeNanoseconds
        _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var got = 0
        var expected = Int.max
        while got < expected {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, $0.count - got, 0) }
            precondition(n > 0)
            got += n
            if expected == Int.max, let end = (0..<max(0, got - 3)).first(where: { buffer[$0] == 13 && buffer[$0+1] == 10 && buffer[$0+2] == 13 && buffer[$0+3] == 10 }) {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                let length = Int(head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }!.split(separator: ":")[1].trimmingCharacters(in: .whitespaces))!
                expected = end + 4 + length
            }
        }
        mine.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    close(fd)
    latencies.withLock { $0 += mine }
    group.leave()
}.start() }
group.wait()
let elapsed = Date().timeIntervalSince(start)
let sorted = latencies.withLock { $0 }.sorted()
func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
print(String(format: "clients %d x %d, idle %d: %.0f requests/s, p50 %.3f ms, p99 %.3f ms, max %.3f ms",
             clients, requests, idleCount, Double(sorted.count) / elapsed, percentile(0.5), percentile(0.99), sorted.last!))
server.stop()
done.wait()

import Dispatch
import DsnapHTTP
import Foundation

/// An `HTTPServer` on 127.0.0.1 and a free port, run on a thread of its own for one test.
final class TestServer: Sendable {
    let server: HTTPServer
    private let returned = DispatchSemaphore(value: 0)

    init(_ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
         handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse = TestServer.echo) throws {
        var configuration = HTTPServerConfiguration()
        configure(&configuration)
        server = try HTTPServer(configuration: configuration, handler: handler)
        let thread = Thread { [server, returned] in
            server.run()
            returned.signal()
        }
        thread.start()
    }

    var port: Int { server.port }

    /// Stops the server and waits up to `timeout` seconds for `run()` to return; whether it did.
    @discardableResult
    func stop(timeout: Double = 10) -> Bool {
        server.stop()
        return waitForReturn(timeout: timeout)
    }

    func waitForReturn(timeout: Double) -> Bool {
        returned.wait(timeout: .now() + timeout) == .success
    }

    /// Answers with what it received: "METHOD PATH" and the body, plus the query as a header.
    static let echo: @Sendable (HTTPRequest) -> HTTPResponse = { request in
        let query = request.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain"), ("X-Query", query)],
                            body: Array("\(request.method) \(request.path)\n".utf8) + request.body)
    }
}

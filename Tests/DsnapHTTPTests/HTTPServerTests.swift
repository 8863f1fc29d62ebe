import Dispatch
@testable import DsnapHTTP
import Foundation
import Glibc
import Synchronization
import XCTest

/// The server over real sockets on 127.0.0.1: framing, keep-alive, errors on the wire, bounds.
final class HTTPServerTests: XCTestCase {
    func testAnswersWithDateContentLengthAndTheHandlersFields() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(TestClient.request("GET", "/api/v1/tasks?dataset_id=a%20b&x"))
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, "GET /api/v1/tasks\n")
        XCTAssertEqual(response.header("x-query"), "dataset_id=a b&x=")
        XCTAssertEqual(response.header("content-length"), "18")
        XCTAssertNil(response.header("connection"))
        let date = try XCTUnwrap(response.header("date"))
        XCTAssertNotNil(date.range(of: #"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$"#,
                                   options: .regularExpression), date)
    }

    func testKeepAliveServesSeveralRequestsOnOneConnectionInOrder() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        for index in 0..<5 {
            try client.send(TestClient.request("POST", "/r\(index)", body: "body \(index)"))
            let response = try XCTUnwrap(client.readResponse())
            XCTAssertEqual(response.text, "POST /r\(index)\nbody \(index)")
        }
        // Pipelined: three requests in one write, answered in order on the same connection.
        try client.send(TestClient.request("GET", "/a") + TestClient.request("PUT", "/b", body: "x")
                        + TestClient.request("GET", "/c", extra: ["Connection: close"]))
        XCTAssertEqual(try client.readResponse()?.text, "GET /a\n")
        XCTAssertEqual(try client.readResponse()?.text, "PUT /b\nx")
        let last = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(last.text, "GET /c\n")
        XCTAssertEqual(last.header("connection"), "close")
        XCTAssertTrue(try client.isClosedByServer())
    }

    func testHTTP10ClosesUnlessAskedToKeepAlive() throws {
        let server = try TestServer()
        defer { server.stop() }
        let closing = try TestClient(port: server.port)
        try closing.send("GET /old HTTP/1.0\r\n\r\n")
        XCTAssertEqual(try closing.readResponse()?.header("connection"), "close")
        XCTAssertTrue(try closing.isClosedByServer())

        let keeping = try TestClient(port: server.port)
        for _ in 0..<2 {
            try keeping.send("GET /old HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
            XCTAssertEqual(try keeping.readResponse()?.header("connection"), "keep-alive")
        }
    }

    func testHEADAnd204HaveNoBody() throws {
        let server = try TestServer { _ in } handler: { request in
            request.path == "/empty" ? HTTPResponse(status: 204, body: Array("dropped".utf8))
                : HTTPResponse(status: 200, body: Array("twelve bytes".utf8))
        }
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(TestClient.request("HEAD", "/x") + TestClient.request("GET", "/empty") + TestClient.request("GET", "/x"))
        let head = try XCTUnwrap(client.readResponse(head: true))
        XCTAssertEqual(head.header("content-length"), "12")
        let empty = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(empty.status, 204)
        XCTAssertNil(empty.header("content-length"))
        XCTAssertEqual(try client.readResponse()?.text, "twelve bytes", "nothing stray between the responses")
    }

    func testTheServerOwnsFramingFields() throws {
        let server = try TestServer { _ in } handler: { _ in
            HTTPResponse(status: 201, headers: [("Content-Length", "999"), ("Transfer-Encoding", "chunked"),
                                                ("X-Split", "a\r\nInjected: yes"), ("Bad Name", "v"), ("Date", "Thu, 01 Jan 2026 00:00:00 GMT")],
                         body: Array("ok".utf8))
        }
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(TestClient.request("GET", "/"))
        let response = try XCTUnwrap(client.readResponse())
        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.text, "ok")
        XCTAssertEqual(response.headers.map(\.name), ["X-Split", "Date", "Content-Length"])
        XCTAssertEqual(response.header("x-split"), "a  Injected: yes")
        XCTAssertEqual(response.header("date"), "Thu, 01 Jan 2026 00:00:00 GMT")
    }

    func testBadRequestsGetAJSONDetailAndAClosedConnection() throws {
        let server = try TestServer { configuration in
            configuration.maxRequestLineBytes = 100
            configuration.maxHeaderBytes = 200
            configuration.maxHeaderCount = 5
            configuration.maxBodyBytes = 10
        }
        defer { server.stop() }
        let cases: [(String, Int)] = [
            ("GET / HTTP/1.1\nHost: h\n\n", 400),
            ("GARBAGE\r\n\r\n", 400),
            ("GET /" + String(repeating: "a", count: 200) + " HTTP/1.1\r\n", 414),
            ("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "a", count: 300) + "\r\n\r\n", 431),
            ("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n", 431),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n01234567890", 413),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
            ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
            ("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400),
        ]
        for (text, status) in cases {
            let client = try TestClient(port: server.port)
            try client.send(text)
            let response = try XCTUnwrap(client.readResponse(), text.debugDescription)
            XCTAssertEqual(response.status, status, text.debugDescription)
            XCTAssertEqual(response.header("content-type"), "application/json")
            XCTAssertEqual(response.header("connection"), "close")
            let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: String]
            XCTAssertFalse(json?["detail"]?.isEmpty ?? true, response.text)
            XCTAssertTrue(try client.isClosedByServer(), text.debugDescription)
        }
        // The server keeps serving.
        let client = try TestClient(port: server.port)
        try client.send(TestClient.request("GET", "/still"))
        XCTAssertEqual(try client.readResponse()?.status, 200)
    }

    func testExpectContinueGetsAnInterimResponse() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send("POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        XCTAssertEqual(try client.readResponse()?.status, 100)
        try client.send("data")
        XCTAssertEqual(try client.readResponse()?.text, "POST /up\ndata")
    }

    func testLargeBodiesGoBothWaysWhole() throws {
        let large = [UInt8](unsafeUninitializedCapacity: 8 << 20) { buffer, count in
            for index in buffer.indices { buffer[index] = UInt8(truncatingIfNeeded: index &* 31 >> 3) }
            count = buffer.count
        }
        let server = try TestServer { $0.maxBodyBytes = 1 << 20 } handler: { request in
            HTTPResponse(status: 200, body: request.path == "/large" ? large : request.body)
        }
        defer { server.stop() }
        let client = try TestClient(port: server.port)
        try client.send(TestClient.request("GET", "/large"))
        usleep(200_000)  // the server meets a full socket buffer and must resume on POLLOUT
        XCTAssertTrue(try client.readResponse()?.body == large)  // not XCTAssertEqual: it would print 8 MiB

        let upload = Array(large.prefix(1 << 20))
        try client.send(Array("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: \(upload.count)\r\n\r\n".utf8) + upload)
        XCTAssertTrue(try client.readResponse()?.body == upload)
    }

    func testAClientThatGoesAwayDoesNotHurtTheServer() throws {
        let started = DispatchSemaphore(value: 0)
        let server = try TestServer { _ in } handler: { request in
            if request.path == "/slow" {
                started.signal()
                usleep(300_000)
            }
            return HTTPResponse(status: 200, body: [UInt8](repeating: 7, count: 4 << 20))
        }
        defer { server.stop() }
        do {
            let leaving = try TestClient(port: server.port)
            try leaving.send(TestClient.request("GET", "/slow"))
            XCTAssertEqual(started.wait(timeout: .now() + 5), .success)
        }  // closed while its handler runs: the response meets EPIPE, never SIGPIPE
        let reading = try TestClient(port: server.port)
        try reading.send(TestClient.request("GET", "/slow"))
        XCTAssertEqual(started.wait(timeout: .now() + 5), .success)
        var chunk = [UInt8](repeating: 0, count: 1000)
        XCTAssertEqual(recv(reading.descriptor, &chunk, chunk.count, 0), 1000)
        Glibc.shutdown(reading.descriptor, Int32(SHUT_RDWR))  // gone mid-response
        usleep(400_000)
        let client = try TestClient(port: server.port)
        try client.send(TestClient.request("GET", "/fast"))
        XCTAssertEqual(try client.readResponse()?.body.count, 4 << 20)
    }

    func testFiftyClientsOfTwentyRequestsEach() throws {
        let server = try TestServer()
        defer { server.stop() }
        let failures = Mutex<[String]>([])
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: 50) { clientIndex in
            do {
                let client = try TestClient(port: server.port)
                for requestIndex in 0..<20 {
                    let body = "client \(clientIndex) request \(requestIndex)"
                    try client.send(TestClient.request("POST", "/c\(clientIndex)", body: body))
                    let text = try client.readResponse()?.text
                    if text != "POST /c\(clientIndex)\n" + body { failures.withLock { $0.append(text ?? "nil") } }
                }
            } catch {
                failures.withLock { $0.append("client \(clientIndex): \(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        print("1,000 requests on 50 connections: \(Int(Date().timeIntervalSince(start) * 1000)) ms")
    }

    /// Python's `requests`, the client the API's own example uses, against the server: JSON both
    /// ways on one session, query decoding, a 404 from the handler, and a body past the limit,
    /// whose 413 must reach a client still sending the body the server will not read.
    func testPythonRequestsTalksToIt() throws {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import requests"]
        probe.standardError = FileHandle.nullDevice
        try probe.run()
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else { throw XCTSkip("python3 with requests is not installed") }

        let server = try TestServer { $0.maxBodyBytes = 64 * 1024 } handler: { request in
            guard request.path.hasPrefix("/api/") else { return HTTPResponse(status: 404, detail: "no route for \(request.path)") }
            let echo: [String: Any] = [
                "method": request.method, "path": request.path, "version": request.version,
                "query": request.query.map { [$0.name, $0.value] }, "authorization": request.headers["authorization"] ?? "",
                "body": String(decoding: request.body, as: UTF8.self),
            ]
            let body = (try? JSONSerialization.data(withJSONObject: echo, options: [.sortedKeys])) ?? Data()
            return HTTPResponse(status: request.method == "POST" ? 201 : 200, headers: [("Content-Type", "application/json")],
                                body: Array(body))
        }
        defer { server.stop() }
        let script = """
            import json, requests, sys
            base = sys.argv[1]
            session = requests.Session()
            session.headers["Authorization"] = "Bearer t0k3n"
            r = session.get(base + "/api/v1/tasks", params={"dataset_id": "a b/c", "task_type": "SNAPSHOT_CREATE"})
            assert r.status_code == 200, r.status_code
            assert r.json()["query"] == [["dataset_id", "a b/c"], ["task_type", "SNAPSHOT_CREATE"]], r.json()
            assert r.json()["authorization"] == "Bearer t0k3n"
            r = session.post(base + "/api/v1/dataset/d1/snapshot", json={"snapshot_name": "caf\\u00e9 \\u2603", "description": "x" * 60000})
            assert r.status_code == 201, r.status_code
            sent = json.loads(r.json()["body"])
            assert sent["snapshot_name"] == "caf\\u00e9 \\u2603" and len(sent["description"]) == 60000
            r = session.patch(base + "/api/v1/dataset/d1/snapshot/abc", json={"snapshot_name": "n"})
            assert (r.status_code, r.json()["method"]) == (200, "PATCH")
            r = session.delete(base + "/api/v1/dataset/d1/snapshot/abc")
            assert (r.status_code, r.json()["method"]) == (200, "DELETE")
            r = session.get(base + "/nowhere")
            assert r.status_code == 404 and r.headers["Content-Type"] == "application/json" and "nowhere" in r.json()["detail"]
            r = session.post(base + "/api/v1/dataset/d1/snapshot", data=b"y" * (1 << 20))
            assert r.status_code == 413 and "larger than 65536 bytes" in r.json()["detail"], (r.status_code, r.text)
            r = session.get(base + "/api/after")
            assert r.status_code == 200
            print("ok")
            """
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", script, "http://127.0.0.1:\(server.port)"]
        let output = Pipe()
        let errors = Pipe()
        python.standardOutput = output
        python.standardError = errors
        try python.run()
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        XCTAssertEqual(stdout, "ok\n", stderr)
    }
}

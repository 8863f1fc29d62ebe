@testable import DsnapHTTP
import XCTest

/// The request parser alone, fed bytes in every way a socket may deliver them.
final class HTTPRequestParserTests: XCTestCase {
    private enum Outcome: Equatable {
        case request(HTTPRequest)
        case failure(HTTPRequestError)
    }

    /// Everything the parser yields from `chunks` fed one after another, ending at the first error.
    private func parse(_ chunks: [ArraySlice<UInt8>], limits: HTTPRequestLimits = HTTPRequestLimits()) -> [Outcome] {
        var parser = HTTPRequestParser(limits: limits)
        var outcomes: [Outcome] = []
        for chunk in chunks {
            parser.append(chunk)
            while true {
                do {
                    guard let request = try parser.nextRequest() else { break }
                    outcomes.append(.request(request))
                } catch {
                    outcomes.append(.failure(error))
                    return outcomes
                }
            }
        }
        return outcomes
    }

    private func parse(_ text: String, limits: HTTPRequestLimits = HTTPRequestLimits()) -> [Outcome] {
        parse([Array(text.utf8)[...]], limits: limits)
    }

    private func status(_ text: String, limits: HTTPRequestLimits = HTTPRequestLimits()) -> Int? {
        guard case let .failure(error)? = parse(text, limits: limits).last else { return nil }
        return error.status
    }

    private func single(_ text: String) throws -> HTTPRequest {
        let outcomes = parse(text)
        guard outcomes.count == 1, case let .request(request) = outcomes[0] else {
            XCTFail("expected one request from \(text.debugDescription), got \(outcomes)")
            throw HTTPRequestError(status: 0, detail: "")
        }
        return request
    }

    private let samples = [
        "GET /api/v1/tasks?dataset_id=d%201&task_type=SNAPSHOT_CREATE HTTP/1.1\r\nHost: localhost:8080\r\nAuthorization: Bearer t0k\r\n\r\n",
        "POST /api/v1/dataset/abc/snapshot HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"snapshot_name\": \"x\\r\\n\"}",
        "\r\nPATCH /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /b?x HTTP/1.0\r\n\r\nDELETE /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        "GET /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab",
        "GET /x HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n",
    ]

    func testEverySplitPointGivesWhatTheWholeGives() {
        for sample in samples {
            let bytes = Array(sample.utf8)
            let whole = parse([bytes[...]])
            for split in 0...bytes.count {
                XCTAssertEqual(parse([bytes[..<split], bytes[split...]]), whole, "split at \(split) of \(sample.debugDescription)")
            }
            XCTAssertEqual(parse(bytes.map { [$0][...] }), whole, "one byte at a time: \(sample.debugDescription)")
            for first in stride(from: 0, to: bytes.count, by: 7) {
                for second in stride(from: first, to: bytes.count, by: 11) {
                    XCTAssertEqual(parse([bytes[..<first], bytes[first..<second], bytes[second...]]), whole)
                }
            }
        }
    }

    func testPipelinedRequestsComeOutInOrder() throws {
        let outcomes = parse(samples[2])
        XCTAssertEqual(outcomes.count, 3)
        guard case let .request(patch) = outcomes[0], case let .request(get) = outcomes[1],
              case let .request(delete) = outcomes[2] else { return XCTFail("\(outcomes)") }
        XCTAssertEqual([patch.method, get.method, delete.method], ["PATCH", "GET", "DELETE"])
        XCTAssertEqual(patch.body, Array("abc".utf8))
        XCTAssertEqual(get.version, "HTTP/1.0")
        XCTAssertEqual(get.query.map(\.name), ["x"])
        XCTAssertFalse(get.keepsAlive)
        XCTAssertTrue(patch.keepsAlive)
        XCTAssertFalse(delete.keepsAlive)
    }

    func testDecodesTheTarget() throws {
        let request = try single(samples[0])
        XCTAssertEqual(request.method, "GET")
        XCTAssertEqual(request.target, "/api/v1/tasks?dataset_id=d%201&task_type=SNAPSHOT_CREATE")
        XCTAssertEqual(request.path, "/api/v1/tasks")
        XCTAssertEqual(request.query.map(\.name), ["dataset_id", "task_type"])
        XCTAssertEqual(request.queryValue("dataset_id"), "d 1")
        XCTAssertEqual(request.headers["AUTHORIZATION"], "Bearer t0k")

        let encoded = try single("GET /a%2Fb/%C3%A9t%c3%a9?q=a+b%2B&empty=&flag&&=v HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(encoded.path, "/a/b/été")
        XCTAssertEqual(encoded.query.map(\.name), ["q", "empty", "flag", ""])
        XCTAssertEqual(encoded.query.map(\.value), ["a b+", "", "", "v"])

        let absolute = try single("GET http://example.com:8080/api/v1/x?y=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n")
        XCTAssertEqual(absolute.path, "/api/v1/x")
        XCTAssertEqual(absolute.queryValue("y"), "1")
        XCTAssertEqual(try single("GET HTTP://h HTTP/1.1\r\nHost: h\r\n\r\n").path, "/")
        XCTAssertEqual(try single("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").path, "*")
        XCTAssertEqual(try single("GET /x HTTP/1.7\r\nHost: h\r\n\r\n").version, "HTTP/1.1")
    }

    func testHeadersAreCaseInsensitiveAndKeepEveryValue() throws {
        let request = try single("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a:2 \r\nX-B:\t  spaced \t\r\nX-Empty:\r\n\r\n")
        XCTAssertEqual(request.headers.values("x-A"), ["1", "2"])
        XCTAssertEqual(request.headers["X-A"], "1, 2")
        XCTAssertEqual(request.headers["x-b"], "spaced")
        XCTAssertEqual(request.headers["x-empty"], "")
        XCTAssertNil(request.headers["x-missing"])
        XCTAssertEqual(Array(request.headers).map(\.name), ["Host", "X-A", "x-a", "X-B", "X-Empty"])

        let bytes = Array("GET / HTTP/1.1\r\nHost: h\r\nX-Latin: caf".utf8) + [0xE9] + Array("\r\nX-UTF8: caf\u{E9}\r\n\r\n".utf8)
        guard case let .request(mixed)? = parse([bytes[...]]).first else { return XCTFail() }
        XCTAssertEqual(mixed.headers["x-latin"], "café")
        XCTAssertEqual(mixed.headers["x-utf8"], "café")
    }

    func testFramingFields() throws {
        XCTAssertEqual(try single("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 02\r\n\r\nok").body, Array("ok".utf8))
        XCTAssertEqual(try single("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\n\r\nok").body, Array("ok".utf8))
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!"), 400)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 3\r\n\r\nok!"), 400)
        for bad in ["-1", "+2", "0x10", "", "1 2", "1.0", ","] {
            XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(bad)\r\n\r\n"), 400, bad)
        }
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 501)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), 501)
        XCTAssertEqual(status("GET / HTTP/1.1\r\n\r\n"), 400, "HTTP/1.1 without Host")
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400)
        XCTAssertEqual(try single("GET / HTTP/1.0\r\n\r\n").version, "HTTP/1.0")
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: h\r\nExpect: something\r\nContent-Length: 1\r\n\r\n"), 417)
    }

    func testExpectContinueIsFlaggedUntilTheBodyArrives() {
        var parser = HTTPRequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n".utf8))
        XCTAssertNil(try parser.nextRequest())
        XCTAssertTrue(parser.expectsContinue)
        parser.continueSent()
        XCTAssertFalse(parser.expectsContinue)
        parser.append(Array("ok".utf8))
        XCTAssertEqual(try parser.nextRequest()?.body, Array("ok".utf8))
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testMalformedRequestsAre400() {
        let cases: [(String, Int)] = [
            ("GET / HTTP/1.1\nHost: h\n\n", 400),                       // bare LF
            ("GET / HTTP/1.1\r\nHost: h\n\r\n", 400),
            ("GET /  HTTP/1.1\r\nHost: h\r\n\r\n", 400),                // two spaces
            ("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400),
            (" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET /\r\n\r\n", 400),                                     // HTTP/0.9
            ("GET / http/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
            ("GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505),
            ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400),                 // method not a token
            ("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400),               // not origin-form
            ("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET /a%2 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET /a%zz HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET /a%00b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET /a%FF HTTP/1.1\r\nHost: h\r\n\r\n", 400),             // not UTF-8
            ("GET /?q=%C3 HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400),      // obs-fold
            ("GET / HTTP/1.1\r\nHost: h\r\nX-A : v\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{0}b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u{7F}\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nX\u{E9}: v\r\n\r\n", 400),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(status(text), expected, text.debugDescription)
        }
        var raw = Array("GET /\u{E9} HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        XCTAssertEqual(parse([raw[...]]).first, .failure(HTTPRequestError(status: 400, detail: "the request target has a byte that is not allowed there (0xC3)")))
        raw = Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        raw[3] = 0
        guard case let .failure(error)? = parse([raw[...]]).first else { return XCTFail("a NUL in the request line") }
        XCTAssertEqual(error.status, 400)
    }

    func testLimitsAreEnforcedBeforeTheRestArrives() {
        let limits = HTTPRequestLimits(maxRequestLineBytes: 32, maxHeaderBytes: 64, maxHeaderCount: 3, maxBodyBytes: 10)
        // Exactly at each limit: accepted.
        let line = "GET /" + String(repeating: "a", count: 32 - 14) + " HTTP/1.1"
        XCTAssertEqual(line.utf8.count, 32)
        XCTAssertEqual(status(line + "\r\nHost: h\r\n\r\n", limits: limits), nil)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits), nil)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits), nil)
        let header = "X: " + String(repeating: "v", count: 64 - 2 - 9 - 5) + "\r\n"
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\r\n" + header + "\r\n", limits: limits), nil)

        // One past: refused, and without waiting for the line's end or the body.
        XCTAssertEqual(status("GET /" + String(repeating: "a", count: 40), limits: limits), 414)
        XCTAssertEqual(status(line + "a\r\nHost: h\r\n\r\n", limits: limits), 414)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "v", count: 70), limits: limits), 431)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\r\nX" + header + "\r\n", limits: limits), 431)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits), 431)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits: limits), 413)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999999\r\n\r\n", limits: limits), 413)
        XCTAssertEqual(status(String(repeating: "\r\n", count: 17) + "GET / HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits), 400)
        XCTAssertEqual(status(String(repeating: "\r\n", count: 16) + "GET / HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits), nil)
    }

    func testAFailedParserStaysFailed() {
        var parser = HTTPRequestParser()
        parser.append(Array("BAD\r\n".utf8))
        XCTAssertThrowsError(try parser.nextRequest())
        parser.append(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        XCTAssertThrowsError(try parser.nextRequest())
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testPartialRequestTracking() throws {
        var parser = HTTPRequestParser()
        XCTAssertFalse(parser.hasPartialRequest)
        parser.append(Array("G".utf8))
        XCTAssertNil(try parser.nextRequest())
        XCTAssertTrue(parser.hasPartialRequest)
        parser.append(Array("ET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        XCTAssertNotNil(try parser.nextRequest())
        XCTAssertFalse(parser.hasPartialRequest)
    }

    func testPublicInitializerDecodesLikeTheParser() throws {
        let request = try HTTPRequest(method: "GET", target: "/api/v1/dataset/x%20y/snapshot?a=1")
        XCTAssertEqual(request.path, "/api/v1/dataset/x y/snapshot")
        XCTAssertEqual(request.queryValue("a"), "1")
        XCTAssertThrowsError(try HTTPRequest(method: "GET", target: "/bad%zz"))
    }

    /// Found by fuzz-http (fuzz/corpus/http/regression-bare-lf-past-line-limit): a line past the
    /// limit that ends in a bare LF was 414 when read in pieces but 400 when read whole.
    func testWhereReadsEndNeverChangesTheError() throws {
        let tight = HTTPRequestLimits(maxRequestLineBytes: 64, maxHeaderBytes: 128, maxHeaderCount: 4, maxBodyBytes: 32)
        let streams = [
            Array((String(repeating: "A", count: 70) + "\n").utf8),
            Array(("GET / HTTP/1.1\r\nHost: h\r\nX: " + String(repeating: "v", count: 130) + "\n").utf8),
            Array(try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../fuzz/corpus/http/regression-bare-lf-past-line-limit")).dropFirst()),
        ]
        for stream in streams {
            let whole = parse([stream[...]], limits: tight)
            XCTAssertEqual(whole.count, 1)
            XCTAssertEqual(parse(stream.map { [$0][...] }, limits: tight), whole)
            if case let .failure(error)? = whole.first { XCTAssertTrue([414, 431].contains(error.status), "\(error)") }
        }
    }
}

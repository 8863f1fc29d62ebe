@testable import DsnapHTTP
import FuzzSupport
import Glibc

/// libFuzzer entry: the first byte picks the limits (tight or the defaults) and how the rest, a
/// client's byte stream, is cut into reads. The stream is parsed whole and in those pieces: both
/// must give the same requests and the same error. Each request must keep within the limits,
/// write back to bytes that parse to the same request, and frame a response without trapping.
@main
enum FuzzHTTP {
    static func main() { exit(runFuzzer(fuzzerTestOneInput)) }
}

/// libFuzzer's own main, linked in too, calls this by name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzHTTP(fuzzInput(data, count))
    return 0
}

private enum Outcome: Equatable {
    case request(HTTPRequest)
    case failure(HTTPRequestError)
}

private func parse(_ pieces: [ArraySlice<UInt8>], limits: HTTPRequestLimits) -> [Outcome] {
    var parser = HTTPRequestParser(limits: limits)
    var outcomes: [Outcome] = []
    for piece in pieces {
        parser.append(piece)
        while true {
            do {
                guard let request = try parser.nextRequest() else { break }
                outcomes.append(.request(request))
                _ = parser.hasPartialRequest
            } catch {
                outcomes.append(.failure(error))
                return outcomes
            }
        }
    }
    return outcomes
}

/// The request as a client would send it: what the parser made of it must come back.
private func serialize(_ request: HTTPRequest) -> [UInt8] {
    var text = "\(request.method) \(request.target) \(request.version)\r\n"
    for (name, value) in request.headers { text += "\(name): \(value)\r\n" }
    return Array((text + "\r\n").utf8) + request.body
}

private func fuzzHTTP(_ input: UnsafeBufferPointer<UInt8>) {
    guard let control = input.first else { return }
    let stream = Array(input.dropFirst())
    let limits = control & 1 == 0
        ? HTTPRequestLimits(maxRequestLineBytes: 64, maxHeaderBytes: 128, maxHeaderCount: 4, maxBodyBytes: 32)
        : HTTPRequestLimits()
    let whole = parse([stream[...]], limits: limits)

    // Cut points from a small generator seeded by the control byte: short and long reads.
    var pieces: [ArraySlice<UInt8>] = []
    var state = UInt32(control) &* 2_654_435_761 | 1
    var start = 0
    while start < stream.count {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        let length = control & 2 == 0 ? Int(state % 4) + 1 : Int(state % 64) + 1
        let end = min(stream.count, start + length)
        pieces.append(stream[start..<end])
        start = end
    }
    let split = parse(pieces, limits: limits)
    guard split == whole else { fatalError("pieces parse differently from the whole: \(split) vs \(whole)") }

    var date = HTTPDate()
    for outcome in whole {
        switch outcome {
        case let .request(request):
            guard request.body.count <= limits.maxBodyBytes, request.headers.count <= limits.maxHeaderCount,
                  request.version == "HTTP/1.1" || request.version == "HTTP/1.0", !request.method.isEmpty else {
                fatalError("a request beyond the limits: \(request)")
            }
            // Looser bounds: a value read as ISO-8859-1 is written back as UTF-8, up to twice as long.
            let loose = HTTPRequestLimits(maxRequestLineBytes: 2 * limits.maxRequestLineBytes, maxHeaderBytes: 2 * limits.maxHeaderBytes,
                                          maxHeaderCount: limits.maxHeaderCount, maxBodyBytes: limits.maxBodyBytes)
            let again = parse([serialize(request)[...]], limits: loose)
            guard again == [.request(request)] else { fatalError("\(request) reads back as \(again)") }
            _ = ResponseEncoder.encode(HTTPResponse(status: 200, headers: Array(request.headers), body: request.body),
                                       method: request.method, version: request.version, closing: !request.keepsAlive,
                                       date: date.now())
        case let .failure(error):
            guard [400, 408, 413, 414, 417, 431, 501, 505].contains(error.status), !error.detail.isEmpty else {
                fatalError("unexpected status \(error)")
            }
            _ = ResponseEncoder.encode(HTTPResponse(status: error.status, detail: error.detail), method: nil, version: nil,
                                       closing: true, date: date.now())
        }
    }
}

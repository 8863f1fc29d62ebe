@testable import DsnapCore
import FuzzSupport
import Glibc

/// libFuzzer entry: up to the first NUL byte is document A, the rest document B (a NUL is never
/// valid JSON outside a string, nor inside one). Each is parsed; whatever parses must write and
/// read back to the same value, diff against itself to nothing, and diff against the other.
@main
enum FuzzJSON {
    static func main() { exit(runFuzzer(fuzzerTestOneInput)) }
}

/// libFuzzer's own main, linked in too, calls this by name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzJSON(fuzzInput(data, count))
    return 0
}

private func fuzzJSON(_ input: UnsafeBufferPointer<UInt8>) {
    let bytes = Array(input)
    let halves = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false).map(Array.init)
    let documents = halves.compactMap { try? JSONParser.parse($0) }
    for document in documents {
        for pretty in [false, true] {
            let text = JSONWriter.render(document, pretty: pretty)
            guard let again = try? JSONParser.parse(text), again == document else {
                fatalError("written JSON does not read back the same: \(text)")
            }
        }
        guard JSONStructuralDiff().changes(from: document, to: document).isEmpty else {
            fatalError("a document differs from itself")
        }
    }
    if documents.count == 2 {
        for key in [nil, "id"] as [String?] {
            let forward = JSONStructuralDiff(arrayKey: key).changes(from: documents[0], to: documents[1])
            if documents[0].isEquivalent(to: documents[1]) && !forward.isEmpty {
                fatalError("equivalent documents have changes")
            }
        }
    }
}

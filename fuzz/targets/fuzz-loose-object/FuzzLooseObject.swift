@testable import DsnapCore
import FuzzSupport
import Glibc

private let object = ScratchFile(name: "object")
private let copy = ScratchFile(name: "copy")
private let id = GitOID(rawBytes: [UInt8](repeating: 0xAB, count: 20))

/// libFuzzer entry: the input is a loose object file (`objects/xx/yyyy…`), read the two ways a
/// checkout reads one: streamed (inflated, or straight from stored blocks) and copied by the
/// kernel when it is stored blocks only. Either may refuse it; both must agree when they accept.
@main
enum FuzzLooseObject {
    static func main() { exit(runFuzzer(fuzzerTestOneInput)) }
}

/// libFuzzer's own main, linked in too, calls this by name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzLooseObject(fuzzInput(data, count))
    return 0
}

private func fuzzLooseObject(_ bytes: UnsafeBufferPointer<UInt8>) {
    object.replace(with: bytes)
    var streamed: [UInt8] = []
    let size = try? LooseObjectReader.read(path: object.path, id: id) { streamed += $0 }
    if let size, size != Int64(streamed.count) { fatalError("read returned \(size) for \(streamed.count) bytes") }

    copy.replace(with: [])
    var wasCold = false
    var copiedBytes = 0
    let copied = try? LooseObjectReader.copyStored(path: object.path, id: id, to: copy.descriptor,
                                                   destinationPath: copy.path, wasCold: &wasCold,
                                                   onBytes: { copiedBytes += $0 })
    if let copied = copied ?? nil {
        guard let size, copy.contents() == streamed, copied == size, copiedBytes == streamed.count else {
            fatalError("the kernel copy accepted an object the streaming read refused or read otherwise")
        }
    }
}

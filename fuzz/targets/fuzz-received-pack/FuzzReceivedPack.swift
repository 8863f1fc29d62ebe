import CObjectCodec
@testable import DsnapCore
import FuzzSupport
import Glibc

/// A folder of its own for the packs the receiver finishes, emptied after each input.
private let objects: String = {
    let path = "/tmp/fuzz-received-pack-\(getpid())"
    mkdir(path, 0o700)
    return path
}()

/// libFuzzer entry. The first byte picks the size of the pieces the pack arrives in; the rest is
/// a pack without its trailing checksum, which is appended here so that inputs reach delta
/// resolution and thin-pack completion instead of stopping at a checksum that cannot match.
/// A thin pack's bases: a blob for ids with an even first byte, none for the others.
@main
enum FuzzReceivedPack {
    static func main() { exit(runFuzzer(fuzzerTestOneInput)) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    receive(fuzzInput(data, count))
    return 0
}

private func receive(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let mode = bytes.first else { return }
    var pack = Array(bytes.dropFirst())
    var context = dsnap_sha1_context()
    dsnap_sha1_init(&context)
    dsnap_sha1_update(&context, pack, pack.count)
    var digest = [UInt8](repeating: 0, count: 20)
    dsnap_sha1_finish(&context, &digest)
    pack += digest
    let piece = [1, 3, 17, 4_096][Int(mode & 3)]
    var limits = ReceivedPack.Limits()
    limits.maxDeltaResult = 1 << 20
    limits.checkCount = { count in if count > 10_000 { throw ReceivedPack.Failure(reason: "too many") } }
    defer { empty(objects + "/pack") }
    guard let received = try? ReceivedPack(objectsDirectory: objects, limits: limits) else { fatalError("cannot start") }
    defer { received.discard() }
    var position = 0
    while position < pack.count {
        let size = min(piece, pack.count - position)
        do {
            try pack[position ..< position + size].withUnsafeBytes { try received.append($0) }
        } catch is ReceivedPack.Failure {
            return
        } catch {
            fatalError("append threw \(error)")
        }
        position += size
    }
    do {
        try received.finish { id in id.firstByte & 1 == 0 ? (3, Array("hello world".utf8)) : nil }
    } catch is ReceivedPack.Failure {
        return
    } catch {
        fatalError("finish threw \(error)")
    }
}

private func empty(_ folder: String) {
    for name in DirectoryNames.list(folder) { unlink(folder + "/" + name) }
}

@testable import DsnapCore
import FuzzSupport
import Glibc

private let index = ScratchFile(name: "pack-fuzz.idx")
private let pack = ScratchFile(name: "pack-fuzz.pack")
private let wanted = GitOID(rawBytes: [UInt8](repeating: 0x5A, count: 20))

/// libFuzzer entry. An even first byte: the rest is a pack index, read and queried as a clone
/// does (every id's position, CRC and offset). An odd one: the rest is the entry of blob
/// `wanted` in a pack, found through a well-formed index and read as a checkout reads it.
@main
enum FuzzPack {
    static func main() { exit(runFuzzer(fuzzerTestOneInput)) }
}

/// libFuzzer's own main, linked in too, calls this by name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzPack(fuzzInput(data, count))
    return 0
}

private func fuzzPack(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let mode = bytes.first else { return }
    if mode & 1 == 0 {
        index.replace(with: bytes.dropFirst())
        guard let parsed = PackIndex(indexPath: index.path) else { return }
        for position in 0..<min(parsed.count, 256) {
            let id = GitOID(rawBytes: parsed.id(at: position))
            _ = parsed.position(of: id)
            _ = parsed.crc(at: position)
            _ = parsed.offset(at: position)
        }
        _ = parsed.contains(wanted)
    } else {
        index.replace(with: indexHolding(wanted, at: 12))
        pack.replace(with: Array("PACK".utf8) + [0, 0, 0, 2, 0, 0, 0, 1] + bytes.dropFirst())
        guard let parsed = PackIndex(indexPath: index.path) else { fatalError("the well-formed index was refused") }
        let files = OpenPacks()
        guard let entry = LooseObjectReader.packedEntry(wanted, packs: [parsed], files: files) else { return }
        var total = 0
        if let size = try? LooseObjectReader.read(entry, id: wanted, { total += $0.count }), size != Int64(total) {
            fatalError("read returned \(size) for \(total) bytes")
        }
    }
}

/// A version 2 pack index holding one object, `id`, at `offset`.
private func indexHolding(_ id: GitOID, at offset: UInt32) -> [UInt8] {
    func word(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    var bytes: [UInt8] = [0xFF, 0x74, 0x4F, 0x63] + word(2)
    for first in 0..<256 { bytes += word(first >= Int(id.firstByte) ? 1 : 0) }
    bytes += id.withRawBytes { Array($0) }
    bytes += word(0) + word(offset)
    bytes += [UInt8](repeating: 0, count: 40)
    return bytes
}

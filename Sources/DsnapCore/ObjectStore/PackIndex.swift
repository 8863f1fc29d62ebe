import Glibc

/// A pack's index file (`objects/pack/pack-*.idx`, version 2), read whole: which objects the pack
/// holds, where each starts in the pack, and the CRC-32 of its packed bytes. dsnap reads it to
/// skip objects a pack already holds when writing, and to copy packed objects into a clone
/// without decompressing them.
///
/// Version 2 layout: magic `\377tOc`, version, 256-entry fan-out table (cumulative counts by
/// first id byte), sorted ids (20 bytes each), CRC-32s, 31-bit offsets (high bit set: an index
/// into the 64-bit offset table that follows), then the pack's and the index's checksums.
struct PackIndex: Sendable {
    /// The pack file this index describes.
    let packPath: String
    let count: Int
    private let bytes: [UInt8]
    private let idsStart = 8 + 256 * 4
    private var crcsStart: Int { idsStart + count * 20 }
    private var offsetsStart: Int { crcsStart + count * 4 }
    private var largeOffsetsStart: Int { offsetsStart + count * 4 }

    init?(indexPath: String) {
        guard indexPath.hasSuffix(".idx"), let bytes = WholeFile.read(indexPath)?.bytes, bytes.count >= 8 + 1024 + 40,
              bytes[0] == 0xFF, bytes[1] == 0x74, bytes[2] == 0x4F, bytes[3] == 0x63,   // "\377tOc"
              Self.word(bytes, 4) == 2 else { return nil }
        let count = Int(Self.word(bytes, 8 + 255 * 4))
        guard bytes.count >= 8 + 1024 + count * 28 + 40, Self.tablesAgree(bytes, count: count) else { return nil }
        self.bytes = bytes
        self.count = count
        packPath = String(indexPath.dropLast(4)) + ".pack"
    }

    /// Whether the fan-out never decreases and every large offset's slot is in the file, so the
    /// look-ups below stay inside it. Checked once here: a damaged or hostile index is ignored
    /// whole (libgit2 then reads the pack, and reports the damage), never read past its end.
    private static func tablesAgree(_ bytes: [UInt8], count: Int) -> Bool {
        var previous: UInt32 = 0
        for first in 0..<256 {
            let cumulative = word(bytes, 8 + first * 4)
            guard cumulative >= previous else { return false }
            previous = cumulative
        }
        let offsetsStart = 8 + 256 * 4 + count * 24
        let largeOffsets = (bytes.count - 40 - (offsetsStart + count * 4)) / 8
        for position in 0..<count {
            let small = word(bytes, offsetsStart + position * 4)
            guard small & 0x8000_0000 == 0 || Int(small & 0x7FFF_FFFF) < largeOffsets else { return false }
        }
        return true
    }

    /// Every readable pack index in `objectsDirectory/pack`.
    static func all(in objectsDirectory: String) -> [PackIndex] {
        let folder = objectsDirectory + "/pack"
        return DirectoryNames.list(folder).filter { $0.hasPrefix("pack-") && $0.hasSuffix(".idx") }
            .compactMap { PackIndex(indexPath: folder + "/" + $0) }
    }

    /// The position of `id` in the sorted table, or nil when the pack lacks it.
    func position(of id: GitOID) -> Int? {
        let first = Int(id.firstByte)
        var low = first == 0 ? 0 : Int(Self.word(bytes, 8 + (first - 1) * 4))
        var high = Int(Self.word(bytes, 8 + first * 4))
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            id.withRawBytes { wanted -> Int? in
                while low < high {
                    let middle = (low + high) / 2
                    let order = memcmp(buffer.baseAddress! + idsStart + middle * 20, wanted.baseAddress!, 20)
                    if order == 0 { return middle }
                    if order < 0 { low = middle + 1 } else { high = middle }
                }
                return nil
            }
        }
    }

    func contains(_ id: GitOID) -> Bool { position(of: id) != nil }

    /// The raw id at `position` of the sorted table.
    func id(at position: Int) -> [UInt8] {
        Array(bytes[idsStart + position * 20 ..< idsStart + position * 20 + 20])
    }

    func crc(at position: Int) -> UInt32 { Self.word(bytes, crcsStart + position * 4) }

    /// Where the object at `position` starts in the pack.
    func offset(at position: Int) -> Int {
        let small = Self.word(bytes, offsetsStart + position * 4)
        guard small & 0x8000_0000 != 0 else { return Int(small) }
        let large = largeOffsetsStart + Int(small & 0x7FFF_FFFF) * 8
        return Int(Self.word(bytes, large)) << 32 | Int(Self.word(bytes, large + 4))
    }

    /// The 32-bit big-endian number at `offset` (git's index and pack index formats use them).
    static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
}

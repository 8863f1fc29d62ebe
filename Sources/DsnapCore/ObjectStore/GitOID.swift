/// A git object id as a value: 20 bytes held inline, shown as 40 lowercase hex digits. Converted
/// to libgit2's `git_oid` only inside Git/ (GitOID+libgit2.swift).
///
/// Inline rather than a hex String: a snapshot of 200,000 files keeps one per new object (ids
/// claimed, pack entries), and a 40-character String is a heap allocation of its own.
public struct GitOID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The bytes in order, big-endian in each word: comparing the words compares the bytes.
    private let high: UInt64
    private let middle: UInt64
    private let low: UInt32

    /// Accepts exactly 40 hex digits (either case); anything else is nil.
    public init?(hex: String) {
        var bytes = [UInt8](repeating: 0, count: 20)
        var count = 0
        for character in hex.utf8 {
            guard count < 40, let value = Self.hexValue(character) else { return nil }
            bytes[count / 2] |= count % 2 == 0 ? value << 4 : value
            count += 1
        }
        guard count == 40 else { return nil }
        self.init(rawBytes: bytes)
    }

    /// The id whose 20 raw bytes are `rawBytes` (as packs and their indexes store it).
    init<Bytes: Collection>(rawBytes: Bytes) where Bytes.Element == UInt8 {
        precondition(rawBytes.count == 20, "a git object id has 20 bytes")
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        for (position, byte) in rawBytes.enumerated() {
            switch position {
            case 0..<8: words.0 = words.0 << 8 | UInt64(byte)
            case 8..<16: words.1 = words.1 << 8 | UInt64(byte)
            default: words.2 = words.2 << 8 | UInt64(byte)
            }
        }
        high = words.0
        middle = words.1
        low = UInt32(words.2)
    }

    /// Twenty zero bytes: no object's id, a placeholder for one not known yet.
    static let zero = GitOID(rawBytes: [UInt8](repeating: 0, count: 20))

    /// The first byte (a pack index's fan-out table counts ids by it).
    var firstByte: UInt8 { UInt8(truncatingIfNeeded: high >> 56) }

    /// The first 8 bytes as a number: a ready-made hash, since ids are uniformly distributed.
    var leadingWord: UInt64 { high }

    /// Calls `body` with the id's 20 raw bytes, in order (no allocation).
    func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var words = (high.bigEndian, middle.bigEndian, low.bigEndian)
        return try withUnsafeBytes(of: &words) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<20])) }
    }

    /// The id's 20 raw bytes.
    var rawBytes: [UInt8] {
        withRawBytes { Array($0) }
    }


    /// 40 lowercase hex digits.
    public var hex: String {
        let digits: StaticString = "0123456789abcdef"
        return withRawBytes { bytes in
            String(unsafeUninitializedCapacity: 40) { buffer in
                digits.withUTF8Buffer { table in
                    for (position, byte) in bytes.enumerated() {
                        buffer[position * 2] = table[Int(byte >> 4)]
                        buffer[position * 2 + 1] = table[Int(byte & 0x0F)]
                    }
                }
                return 40
            }
        }
    }

    public var description: String { hex }

    /// Where git keeps this object loose: `OBJECTS/xx/yyyy…` (the first two hex digits name the folder).
    /// The first 12 hex digits, as messages show an id.
    public var short: String { String(hex.prefix(12)) }

    func looseObjectPath(in objectsDirectory: String) -> (folder: String, file: String) {
        let hex = self.hex
        let folder = objectsDirectory + "/" + hex.prefix(2)
        return (folder, folder + "/" + hex.dropFirst(2))
    }

    /// Byte order, which is also the order of the hex digits.
    public static func < (lhs: GitOID, rhs: GitOID) -> Bool {
        (lhs.high, lhs.middle, lhs.low) < (rhs.high, rhs.middle, rhs.low)
    }

    private static func hexValue(_ character: UInt8) -> UInt8? {
        switch character {
        case 0x30...0x39: return character - 0x30
        case 0x41...0x46: return character - 0x41 + 10
        case 0x61...0x66: return character - 0x61 + 10
        default: return nil
        }
    }
}

extension UInt8 {
    var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}

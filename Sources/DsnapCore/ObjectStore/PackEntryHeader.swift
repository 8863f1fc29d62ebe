/// The header of a pack entry (gitformat-pack(5)): the type in bits 4-6 of the first byte, the
/// size 4 bits there and 7 bits a byte after, low bits first, the high bit set on every byte but
/// the last. Written by every pack dsnap makes: a snapshot's, a push's, a thin pack's completion.
enum PackEntryHeader {
    static func encode(type: UInt8, size: Int) -> [UInt8] {
        var header: [UInt8] = [(type & 0x07) << 4 | UInt8(size & 0x0F)]
        var rest = size >> 4
        while rest > 0 {
            header[header.count - 1] |= 0x80
            header.append(UInt8(rest & 0x7F))
            rest >>= 7
        }
        return header
    }
}

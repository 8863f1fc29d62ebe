import CObjectCodec
import Glibc

/// Writes a loose object's zlib stream as "stored" blocks, as dsnap keeps media (already
/// compressed): the content goes to the file straight from the caller's buffer (writev), behind
/// a 5-byte header per 65,535 bytes, and the Adler-32 is computed 16 bytes at a time. zlib's
/// level 0 does the same work at a cost: a byte-wise Adler-32 and a copy into its output buffer,
/// both visible in a profile of a first snapshot (bench/RESULTS.md). `StoredObjectReader` reads
/// these back.
///
/// One object at a time: `start`, then `append` the content in order; the stream's end (the
/// last block is marked final, the checksum follows) is written with the last byte.
final class StoredBlockWriter {
    private static let blockLimit = 65_535
    /// Block headers, the object header, the zlib header and trailer of the bytes not yet written.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
    private var used = 0
    private var vectors: [iovec] = []
    private var total = 0
    private var position = 0
    private var adler: UInt32 = 1

    deinit {
        scratch.deallocate()
    }

    /// Begins an object whose content (`header`, `blob SIZE\\0`, then `contentSize` bytes) follows.
    func start(header: [UInt8], contentSize: Int, to file: TemporaryObject) throws {
        total = header.count + contentSize
        position = 0
        adler = 1
        used = 0
        vectors.removeAll(keepingCapacity: true)
        // zlib header: deflate, 32 KiB window, "fastest" level, check bits.
        vectors.append(iovec(iov_base: keep([0x78, 0x01]), iov_len: 2))
        try add(UnsafeRawBufferPointer(start: keep(header), count: header.count), to: file)
        if contentSize == 0 { try flush(to: file) }  // the stream is complete already
    }

    /// Writes the next `piece` of content. `piece` need not outlive the call.
    func append(_ piece: UnsafeRawBufferPointer, to file: TemporaryObject) throws {
        try add(piece, to: file)
        try flush(to: file)
    }

    private func add(_ piece: UnsafeRawBufferPointer, to file: TemporaryObject) throws {
        guard let base = piece.baseAddress, !piece.isEmpty else { return }
        precondition(position + piece.count <= total, "more content than the object header says")
        adler = dsnap_adler32(adler, base, piece.count)
        var offset = 0
        while offset < piece.count {
            if position % Self.blockLimit == 0 {
                // Room for this header and the trailer, or what is gathered goes out first.
                if used + 5 + 4 > scratch.count { try flush(to: file) }
                let length = min(Self.blockLimit, total - position)
                let isLast: UInt8 = position + length == total ? 1 : 0
                let block = keep([isLast, UInt8(length & 0xFF), UInt8(length >> 8),
                                  UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)])
                vectors.append(iovec(iov_base: block, iov_len: 5))
            }
            let count = min(piece.count - offset, Self.blockLimit - position % Self.blockLimit)
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: base + offset), iov_len: count))
            offset += count
            position += count
        }
        if position == total {
            let trailer = keep([UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)])
            vectors.append(iovec(iov_base: trailer, iov_len: 4))
        }
    }

    private func flush(to file: TemporaryObject) throws {
        try file.append(&vectors)
        vectors.removeAll(keepingCapacity: true)
        used = 0
    }

    /// Copies `bytes` into the scratch space and returns where (valid until the next flush).
    private func keep(_ bytes: [UInt8]) -> UnsafeMutableRawPointer {
        precondition(used + bytes.count <= scratch.count, "stored-block scratch space exhausted")
        let start = scratch.baseAddress! + used
        bytes.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        used += bytes.count
        return start
    }
}

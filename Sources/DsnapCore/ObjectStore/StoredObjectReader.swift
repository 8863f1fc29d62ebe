import CObjectCodec
import CSystem
import Dispatch
import Glibc

/// Reads a loose object whose zlib stream is made of "stored" blocks only, as dsnap writes
/// media: the content is in the file as it is, in pieces of up to 65,535 bytes behind 5-byte
/// block headers. Instead of inflating (which copies every byte once more and checks Adler-32
/// byte by byte), the pieces go to the caller straight from the read buffer and the checksum is
/// computed 16 bytes at a time. Restoring a 256 MiB video: see bench/RESULTS.md.
///
/// The layout is checked whole before a byte is handed on (a walk over the block headers, one
/// small `pread` per 64 KiB), so any other stream (git's own compressed objects, a damaged
/// file) goes to the inflating reader from its start.
enum StoredObjectReader {
    /// Where the content pieces are: file offset and length of each stored block's data.
    typealias Segment = (offset: Int, length: Int)

    /// The pieces of an all-stored zlib stream filling exactly `fileSize` bytes; nil otherwise.
    static func segments(_ descriptor: Int32, fileSize: Int) -> [Segment]? {
        // zlib header (method 8, no preset dictionary, check bits), blocks, then 4 bytes of Adler-32.
        let trailer = fileSize - 4
        guard fileSize >= 2 + 5 + 4 else { return nil }
        var header = [UInt8](repeating: 0, count: 5)
        guard pread(descriptor, &header, 2, 0) == 2, header[0] & 0x0F == 8, header[1] & 0x20 == 0,
              (Int(header[0]) << 8 | Int(header[1])) % 31 == 0 else { return nil }
        var segments: [Segment] = []
        segments.reserveCapacity(fileSize / 65_540 + 1)
        var offset = 2
        while true {
            // A stored block starts on a byte: BFINAL, BTYPE 00, padding; LEN and its complement.
            guard offset + 5 <= trailer, pread(descriptor, &header, 5, off_t(offset)) == 5,
                  (header[0] >> 1) & 0x03 == 0 else { return nil }
            let length = Int(header[1]) | Int(header[2]) << 8
            guard length ^ (Int(header[3]) | Int(header[4]) << 8) == 0xFFFF else { return nil }
            offset += 5
            guard offset + length <= trailer else { return nil }
            if length > 0 { segments.append((offset, length)) }
            offset += length
            if header[0] & 1 == 1 { break }
        }
        return offset == trailer ? segments : nil
    }

    /// Calls `body` with the content of the stored blocks, in order, read 1 MiB at a time (the
    /// block headers between them are read along and skipped).
    static func forEachPiece(_ descriptor: Int32, segments: [Segment], id: GitOID,
                             _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let first = segments.first, let last = segments.last else { return }
        let end = last.offset + last.length
        let capacity = max(1, min(LooseObjectReader.chunkSize, end - first.offset))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        var next = 0                 // the segment being handed on
        var cursor = first.offset    // the next content byte's file offset
        while next < segments.count {
            let count = FileRead.some(descriptor, into: buffer.baseAddress!, count: min(capacity, end - cursor), at: cursor)
            guard count > 0 else { throw LooseObjectReader.failure("cannot read object \(id.hex): it is truncated") }
            let chunkStart = cursor
            let chunkEnd = cursor + count
            while next < segments.count {
                let segment = segments[next]
                let from = max(segment.offset, cursor)
                let upTo = min(segment.offset + segment.length, chunkEnd)
                guard from < chunkEnd else { break }
                if from < upTo {
                    try body(UnsafeRawBufferPointer(rebasing: buffer[(from - chunkStart)..<(upTo - chunkStart)]))
                }
                cursor = upTo
                if upTo < segment.offset + segment.length { break }
                next += 1
                if next < segments.count { cursor = segments[next].offset }
            }
        }
    }

    /// The Adler-32 the stream ends with.
    static func storedChecksum(_ descriptor: Int32, fileSize: Int, id: GitOID) throws -> UInt32 {
        var stored = [UInt8](repeating: 0, count: 4)
        guard pread(descriptor, &stored, 4, off_t(fileSize - 4)) == 4 else {
            throw LooseObjectReader.failure("cannot read object \(id.hex): it is truncated")
        }
        return stored.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// Hands the object's content to `consume` (its `TYPE SIZE\0` header checked and left out),
    /// then checks the Adler-32 at the end; returns the content's size.
    static func read(_ descriptor: Int32, fileSize: Int, segments: [Segment], id: GitOID,
                     _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        var adler: UInt32 = 1
        var header = BlobHeader(id: id)
        var total: Int64 = 0
        try forEachPiece(descriptor, segments: segments, id: id) { piece in
            adler = dsnap_adler32(adler, piece.baseAddress, piece.count)
            let rest = try header.take(piece)
            if !rest.isEmpty {
                try consume(rest)
                total += Int64(rest.count)
            }
        }
        guard try storedChecksum(descriptor, fileSize: fileSize, id: id) == adler else {
            throw LooseObjectReader.failure("object \(id.hex) is corrupt (its checksum does not match)")
        }
        try header.check(total: total)
        return total
    }
}

/// The `blob SIZE\0` that starts a loose object's content, parsed as the content goes by. A pack
/// entry has no such header: its size is known beforehand (`declaredSize`).
struct BlobHeader {
    let id: GitOID
    private var bytes: [UInt8] = []
    private(set) var declaredSize: Int64?

    init(id: GitOID, declaredSize: Int64? = nil) {
        self.id = id
        self.declaredSize = declaredSize
    }

    /// Consumes the header's bytes from `piece` and returns the content after them.
    mutating func take(_ piece: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
        guard declaredSize == nil else { return piece }
        guard let nul = piece.firstIndex(of: 0) else {
            bytes += piece
            guard bytes.count < 64 else { throw LooseObjectReader.failure("object \(id.hex) has no valid header") }
            return UnsafeRawBufferPointer(rebasing: piece[piece.endIndex...])
        }
        bytes += piece[piece.startIndex..<nul]
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("blob "), let size = Int64(text.dropFirst(5)) else {
            throw LooseObjectReader.failure("object \(id.hex) is not a blob")
        }
        declaredSize = size
        return UnsafeRawBufferPointer(rebasing: piece[(nul + 1)...])
    }

    func check(total: Int64) throws {
        guard let declaredSize, declaredSize == total else {
            throw LooseObjectReader.failure("object \(id.hex) is truncated: \(total) bytes of \(declaredSize ?? -1)")
        }
    }
}

extension StoredObjectReader {
    /// Copies the object's content to the end of `destination` the way `cp` does, with
    /// copy_file_range(2): the kernel moves the bytes, they never pass through this process.
    /// The Adler-32 is checked before the copy for a small object, and on another thread during
    /// the copy for a large one (8 MiB or more), so a damaged large object throws after part of
    /// the file was written, which the caller removes, as with any failed write. Memory stays
    /// flat: the checksum reads 1 MiB at a time. Where the kernel cannot copy between the two
    /// files (another file system type), the content is read and written here.
    static func copy(_ descriptor: Int32, fileSize: Int, segments: [Segment], id: GitOID, to destination: Int32,
                     destinationPath: String, onBytes: (Int) -> Void) throws -> Int64 {
        // Where the content starts, after `blob SIZE\0` (at most 64 bytes, maybe across blocks).
        var header = BlobHeader(id: id)
        var start: (segment: Int, offset: Int)?
        var probe = [UInt8](repeating: 0, count: 64)
        for (position, segment) in segments.enumerated() where start == nil {
            let count = min(64, segment.length)
            guard pread(descriptor, &probe, count, off_t(segment.offset)) == count else {
                throw LooseObjectReader.failure("cannot read object \(id.hex): it is truncated")
            }
            let rest = try probe.withUnsafeBytes { try header.take(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            if header.declaredSize != nil { start = (position, segment.offset + count - rest.count) }
        }
        guard let start else { throw LooseObjectReader.failure("object \(id.hex) has no valid header") }

        let stored = try storedChecksum(descriptor, fileSize: fileSize, id: id)
        let checksum = AdlerCheck(descriptor: descriptor, segments: segments, id: id, concurrently: fileSize >= 8 << 20)
        // Runs on every way out, before the caller closes the descriptor the other thread reads.
        defer { _ = checksum.result() }
        func verify() throws {
            guard try checksum.result().get() == stored else {
                throw LooseObjectReader.failure("object \(id.hex) is corrupt (its checksum does not match)")
            }
        }
        if !checksum.concurrent { try verify() }

        var total: Int64 = 0
        var kernelCopies = true
        var buffer: [UInt8] = []
        for position in start.segment..<segments.count {
            let segment = segments[position]
            var offset = Int64(position == start.segment ? start.offset : segment.offset)
            let end = Int64(segment.offset + segment.length)
            while offset < end {
                var count: Int
                if kernelCopies {
                    count = dsnap_copy_file_range(descriptor, &offset, destination, Int(end - offset))
                    if count < 0 {
                        if errno == EINTR { continue }
                        guard [EXDEV, EINVAL, ENOSYS, EOPNOTSUPP].contains(errno) else {
                            throw StorageError.fromErrno(errno, path: destinationPath)
                        }
                        kernelCopies = false
                        buffer = [UInt8](repeating: 0, count: 1 << 16)
                        continue
                    }
                } else {
                    let wanted = min(buffer.count, Int(end - offset))
                    count = buffer.withUnsafeMutableBytes {
                        FileRead.some(descriptor, into: $0.baseAddress!, count: wanted, at: Int(offset))
                    }
                    if count > 0 {
                        try buffer.withUnsafeBytes {
                            try FileWrite.all(destination, UnsafeRawBufferPointer(rebasing: $0[0..<count]), path: destinationPath)
                        }
                        offset += Int64(count)
                    }
                }
                guard count > 0 else { throw LooseObjectReader.failure("object \(id.hex) is truncated") }
                total += Int64(count)
                onBytes(count)
            }
        }
        try verify()
        try header.check(total: total)
        return total
    }
}

/// The Adler-32 of the stored blocks' content, computed now or on another thread.
private final class AdlerCheck: @unchecked Sendable {
    let concurrent: Bool
    private var value: Result<UInt32, Error> = .success(1)
    private let done = DispatchSemaphore(value: 0)

    init(descriptor: Int32, segments: [StoredObjectReader.Segment], id: GitOID, concurrently: Bool) {
        concurrent = concurrently
        let work: @Sendable () -> Void = { [self] in
            value = Result {
                var adler: UInt32 = 1
                try StoredObjectReader.forEachPiece(descriptor, segments: segments, id: id) { piece in
                    adler = dsnap_adler32(adler, piece.baseAddress, piece.count)
                }
                return adler
            }
            done.signal()
        }
        // A queue of its own, not the global one: the checkout's workers fill the global pool
        // (one thread per core), and libdispatch adds a thread for more work only after about
        // a second, which a clone of two or more large files would wait for nothing.
        if concurrently { DispatchQueue(label: "dsnap.adler-check", qos: .userInitiated).async(execute: work) } else { work() }
    }

    /// Waits for the checksum.
    func result() -> Result<UInt32, Error> {
        done.wait()
        done.signal()
        return value
    }
}

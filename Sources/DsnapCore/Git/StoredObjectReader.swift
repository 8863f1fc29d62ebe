import Clibgit2
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

    /// Hands the object's content to `consume` (its `TYPE SIZE\0` header checked and left out),
    /// then checks the Adler-32 at the end; returns the content's size.
    static func read(_ descriptor: Int32, fileSize: Int, segments: [Segment], id: GitOID,
                     _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        let end = segments.last.map { $0.offset + $0.length } ?? 2
        let capacity = max(1, min(LooseObjectReader.chunkSize, end))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        var adler: UInt32 = 1
        var header: [UInt8] = []
        var declaredSize: Int64?
        var total: Int64 = 0
        var next = 0            // the segment being handed on
        var cursor = segments.first?.offset ?? end   // the next content byte's file offset

        /// Content bytes, in order: the object header first, then what the caller gets.
        func hand(_ bytes: UnsafeRawBufferPointer) throws {
            adler = dsnap_adler32(adler, bytes.baseAddress, bytes.count)
            var rest = bytes
            if declaredSize == nil {
                guard let nul = rest.firstIndex(of: 0) else {
                    header += rest
                    guard header.count < 64 else { throw LooseObjectReader.failure("object \(id.hex) has no valid header") }
                    return
                }
                header += rest[rest.startIndex..<nul]
                let text = String(decoding: header, as: UTF8.self)
                guard text.hasPrefix("blob "), let size = Int64(text.dropFirst(5)) else {
                    throw LooseObjectReader.failure("object \(id.hex) is not a blob")
                }
                declaredSize = size
                rest = UnsafeRawBufferPointer(rebasing: rest[(nul + 1)...])
            }
            if !rest.isEmpty {
                try consume(rest)
                total += Int64(rest.count)
            }
        }

        while next < segments.count {
            let count = pread(descriptor, buffer.baseAddress!, min(capacity, end - cursor), off_t(cursor))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw LooseObjectReader.failure("cannot read object \(id.hex): it is truncated") }
            let chunkStart = cursor
            let chunkEnd = cursor + count
            while next < segments.count {
                let segment = segments[next]
                let from = max(segment.offset, cursor)
                let upTo = min(segment.offset + segment.length, chunkEnd)
                guard from < chunkEnd else { break }
                if from < upTo {
                    try hand(UnsafeRawBufferPointer(rebasing: buffer[(from - chunkStart)..<(upTo - chunkStart)]))
                }
                cursor = upTo
                if upTo < segment.offset + segment.length { break }
                next += 1
                if next < segments.count { cursor = segments[next].offset }
            }
        }
        var stored = [UInt8](repeating: 0, count: 4)
        guard pread(descriptor, &stored, 4, off_t(fileSize - 4)) == 4,
              UInt32(stored[0]) << 24 | UInt32(stored[1]) << 16 | UInt32(stored[2]) << 8 | UInt32(stored[3]) == adler else {
            throw LooseObjectReader.failure("object \(id.hex) is corrupt (its checksum does not match)")
        }
        guard let declaredSize, declaredSize == total else {
            throw LooseObjectReader.failure("object \(id.hex) is truncated: \(total) bytes of \(declaredSize ?? -1)")
        }
        return total
    }
}

extension StoredObjectReader {
    /// Copies the object's content to the end of `destination` the way `cp` does, with
    /// copy_file_range(2): the kernel moves the bytes, they never pass through this process.
    /// The Adler-32 is checked over a read-only mapping of the object: before the copy for a
    /// small object, on another thread during the copy for a large one (8 MiB or more), so a
    /// damaged object throws after writing part of the file, which the caller removes, as with
    /// any failed write. Where the kernel cannot copy between the two files (another file
    /// system type), the content is written from the mapping.
    static func copy(_ descriptor: Int32, fileSize: Int, segments: [Segment], id: GitOID, to destination: Int32,
                     destinationPath: String, onBytes: (Int) -> Void) throws -> Int64 {
        guard let mapping = mmap(nil, fileSize, PROT_READ, MAP_PRIVATE, descriptor, 0),
              mapping != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw LooseObjectReader.failure("cannot map object \(id.hex): \(String(cString: strerror(errno)))")
        }
        defer { munmap(mapping, fileSize) }
        let bytes = UnsafeRawBufferPointer(start: mapping, count: fileSize)
        let stored = bytes[(fileSize - 4)...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let checksum = AdlerCheck(mapping: mapping, segments: segments, concurrently: fileSize >= 8 << 20)
        // Runs before the unmapping above, on every way out: the other thread reads the mapping.
        defer { _ = checksum.result() }
        func verify() throws {
            guard checksum.result() == stored else {
                throw LooseObjectReader.failure("object \(id.hex) is corrupt (its checksum does not match)")
            }
        }
        if !checksum.concurrent { try verify() }

        // `blob SIZE\0`, which may in principle span blocks.
        var header: [UInt8] = []
        var start: (segment: Int, offset: Int)?
        search: for (position, segment) in segments.enumerated() {
            for offset in segment.offset..<(segment.offset + segment.length) {
                if bytes[offset] == 0 {
                    start = (position, offset + 1)
                    break search
                }
                header.append(bytes[offset])
                guard header.count < 64 else { break search }
            }
        }
        let text = String(decoding: header, as: UTF8.self)
        guard let start, text.hasPrefix("blob "), let declaredSize = Int64(text.dropFirst(5)) else {
            throw LooseObjectReader.failure("object \(id.hex) has no valid blob header")
        }

        var total: Int64 = 0
        var kernelCopies = true
        for position in start.segment..<segments.count {
            let segment = segments[position]
            var offset = Int64(position == start.segment ? start.offset : segment.offset)
            let end = Int64(segment.offset + segment.length)
            while offset < end {
                var count = -1
                if kernelCopies {
                    count = dsnap_copy_file_range(descriptor, &offset, destination, Int(end - offset))
                    if count < 0 {
                        if errno == EINTR { continue }
                        guard [EXDEV, EINVAL, ENOSYS, EOPNOTSUPP].contains(errno) else {
                            throw StorageError.fromErrno(errno, path: destinationPath)
                        }
                        kernelCopies = false
                        continue
                    }
                } else {
                    count = Glibc.write(destination, mapping + Int(offset), Int(end - offset))
                    if count < 0 {
                        if errno == EINTR { continue }
                        throw StorageError.fromErrno(errno, path: destinationPath)
                    }
                    offset += Int64(count)
                }
                guard count > 0 else { throw LooseObjectReader.failure("object \(id.hex) is truncated") }
                total += Int64(count)
                onBytes(count)
            }
        }
        try verify()
        guard total == declaredSize else {
            throw LooseObjectReader.failure("object \(id.hex) is truncated: \(total) bytes of \(declaredSize)")
        }
        return total
    }
}

/// The Adler-32 of the stored blocks' content, computed now or on another thread.
private final class AdlerCheck: @unchecked Sendable {
    let concurrent: Bool
    private var value: UInt32 = 1
    private let done = DispatchSemaphore(value: 0)

    init(mapping: UnsafeMutableRawPointer, segments: [StoredObjectReader.Segment], concurrently: Bool) {
        concurrent = concurrently
        let address = UInt(bitPattern: mapping)
        let work: @Sendable () -> Void = { [self] in
            let base = UnsafeRawPointer(bitPattern: address)!
            var adler: UInt32 = 1
            for segment in segments { adler = dsnap_adler32(adler, base + segment.offset, segment.length) }
            value = adler
            done.signal()
        }
        if concurrently { DispatchQueue.global(qos: .userInitiated).async(execute: work) } else { work() }
    }

    /// Waits for the checksum (the mapping must outlive this call).
    func result() -> UInt32 {
        done.wait()
        done.signal()
        return value
    }
}

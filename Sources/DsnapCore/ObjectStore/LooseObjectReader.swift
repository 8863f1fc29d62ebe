import CObjectCodec
import CSystem
import Glibc

/// Streams a loose object (`objects/xx/yyyy…`, zlib of `TYPE SIZE\0CONTENT`), or a whole blob
/// stored in a pack, in bounded memory.
///
/// libgit2 1.5's own read stream maps the whole object file into memory, so reading a 2 GiB video
/// through it grows the process to 2 GiB; this reads the file and inflates it 1 MiB at a time.
struct LooseObjectReader {
    static let chunkSize = 1 << 20

    /// Calls `consume` with the content of the loose object at `path`, in order; returns its size,
    /// or nil when there is no such file (the object may be packed).
    static func read(path: String, id: GitOID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw StorageError.fromErrno(errno, path: path)
        }
        defer { close(descriptor) }

        var info = stat()
        let fileSize = fstat(descriptor, &info) == 0 ? Int(info.st_size) : chunkSize
        // Media as dsnap stores it: no inflating needed.
        if let segments = StoredObjectReader.segments(descriptor, fileSize: fileSize) {
            return try StoredObjectReader.read(descriptor, fileSize: fileSize, segments: segments, id: id, consume)
        }
        return try inflateStream(id: id, compressedSize: fileSize, expectedSize: nil, consume) { buffer, count in
            FileRead.some(descriptor, into: buffer, count: count)
        }
    }

    /// Copies the content of the loose object at `path` to the end of `destination` in the
    /// kernel when the object is stored blocks only (media as dsnap writes it; see
    /// `StoredObjectReader.copy`). Nil, having written nothing, for any other object.
    /// `wasCold` learns whether the object's first page was in the page cache when opened.
    static func copyStored(path: String, id: GitOID, to destination: Int32, destinationPath: String,
                           wasCold: inout Bool, onBytes: (Int) -> Void) throws -> Int64? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        wasCold = !isCached(descriptor)
        var info = stat()
        guard fstat(descriptor, &info) == 0,
              let segments = StoredObjectReader.segments(descriptor, fileSize: Int(info.st_size)) else { return nil }
        return try StoredObjectReader.copy(descriptor, fileSize: Int(info.st_size), segments: segments, id: id,
                                           to: destination, destinationPath: destinationPath, onBytes: onBytes)
    }

    /// How much of an object `prefetch` asks for: small objects whole, the start of large ones
    /// (reading the rest is the kernel's readahead once the copy is under way).
    static let prefetchLength = 4 << 20

    /// Asks the kernel to start reading the loose object at `path` now (posix_fadvise WILLNEED),
    /// without waiting for it (see `ObjectPrefetch`). Nothing happens for an object not loose.
    static func prefetch(path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return }
        _ = posix_fadvise(descriptor, 0, off_t(prefetchLength), POSIX_FADV_WILLNEED)
        close(descriptor)
    }

    /// Whether the first byte of the open file is in the page cache: a read that may not wait
    /// (RWF_NOWAIT) fails with EAGAIN when it is not. Taken as cached where the kernel cannot tell.
    static func isCached(_ descriptor: Int32) -> Bool {
        dsnap_first_page_is_cached(descriptor) != 0
    }

    /// Inflates one zlib stream that `readInput` supplies, and hands its content to `consume`.
    /// A loose object's stream starts with `blob SIZE\0` (`expectedSize` nil: the header says);
    /// a pack entry's holds the content alone (`expectedSize`: the entry's header said).
    static func inflateStream(id: GitOID, compressedSize: Int, expectedSize: Int64?,
                        _ consume: (UnsafeRawBufferPointer) throws -> Void,
                        readInput: (UnsafeMutablePointer<UInt8>, Int) -> Int) throws -> Int64 {
        // At a fixed heap address: zlib keeps a pointer back to its stream and refuses one that moved.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard dsnap_inflate_init(stream) == Z_OK else { throw failure("cannot start zlib for object \(id.hex)") }
        defer { inflateEnd(stream) }
        // Buffers sized to the object: most sidecars are a few hundred bytes, and two 1 MiB
        // buffers per object cost more (allocation, page faults) than inflating it.
        let inputSize = max(1, min(chunkSize, compressedSize))
        let outputSize = compressedSize >= chunkSize / 4 ? chunkSize : max(64 * 1024, compressedSize * 4)
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: inputSize)
        defer { input.deallocate() }
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: outputSize)
        defer { output.deallocate() }

        var header = BlobHeader(id: id, declaredSize: expectedSize)
        var total: Int64 = 0
        var finished = false
        while !finished {
            if stream.pointee.avail_in == 0 {
                let count = readInput(input, inputSize)
                if count < 0 { throw StorageError.fromErrno(errno, path: "object \(id.short)") }
                if count == 0 { throw failure("object \(id.hex) is truncated") }
                stream.pointee.next_in = input
                stream.pointee.avail_in = UInt32(count)
            }
            stream.pointee.next_out = output
            stream.pointee.avail_out = UInt32(outputSize)
            let status = inflate(stream, Z_NO_FLUSH)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw failure("object \(id.hex) is corrupt (zlib status \(status))")
            }
            finished = status == Z_STREAM_END
            // The header `blob 12345\0` comes first (it may span chunks in theory).
            let produced = try header.take(UnsafeRawBufferPointer(start: output,
                                                                  count: outputSize - Int(stream.pointee.avail_out)))
            if !produced.isEmpty {
                try consume(produced)
                total += Int64(produced.count)
            }
        }
        try header.check(total: total)
        return total
    }

    static func failure(_ message: String) -> GitFailure {
        GitFailure.damagedObject(function: "LooseObjectReader.read", message: message)
    }
}

extension LooseObjectReader {
    /// A blob stored whole (not as a delta) in a pack: found once, then read with `read(_:id:_:)`.
    struct PackedEntry {
        let descriptor: Int32
        let offset: Int
        /// The entry's first bytes (its type and size).
        let header: [UInt8]
    }

    /// Where whichever of `packs` holds blob `id` keeps it whole; nil when none does (not packed,
    /// or a delta: the caller then asks libgit2). The pack stays open in `files`.
    static func packedEntry(_ id: GitOID, packs: [PackIndex], files: OpenPacks) -> PackedEntry? {
        for pack in packs {
            guard let position = pack.position(of: id) else { continue }
            guard let descriptor = files.descriptor(of: pack.packPath) else { return nil }
            let offset = pack.offset(at: position)
            var header = [UInt8](repeating: 0, count: 16)
            guard pread(descriptor, &header, 16, off_t(offset)) > 0 else { return nil }
            // Type 3 is a blob stored whole; 6 and 7 are deltas.
            guard (header[0] >> 4) & 0x07 == 3 else { return nil }
            return PackedEntry(descriptor: descriptor, offset: offset, header: header)
        }
        return nil
    }

    /// Streams the content of a packed blob, 1 MiB at a time, without libgit2, so workers can
    /// read in parallel; returns its size.
    static func read(_ entry: PackedEntry, id: GitOID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        try readEntry(id, descriptor: entry.descriptor, offset: entry.offset, header: entry.header, consume)
    }

    /// Inflates the whole-blob entry at `offset` (`header`: its first bytes).
    private static func readEntry(_ id: GitOID, descriptor: Int32, offset start: Int, header: [UInt8],
                                  _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        // The entry's header: type in bits 4-6 of the first byte, then the size, 7 bits a byte.
        var size = Int64(header[0] & 0x0F)
        var shift: Int64 = 4
        var used = 1
        var byte = header[0]
        while byte & 0x80 != 0 && used < header.count {
            byte = header[used]
            // A damaged pack may claim a size past 63 bits: refused, not wrapped into a negative one.
            guard shift <= 56 || Int64(byte & 0x7F) >> (63 - shift) == 0 else {
                throw failure("object \(id.hex) is corrupt (its pack entry's size is too large)")
            }
            size |= Int64(byte & 0x7F) << shift
            shift += 7
            used += 1
        }
        var offset = start + used
        var info = stat()
        let remaining = fstat(descriptor, &info) == 0 ? max(0, Int(info.st_size) - offset) : chunkSize
        // A stored (uncompressed) stream is slightly larger than its content: size the buffer for it.
        let bound = size >= Int64(remaining) ? remaining : min(remaining, Int(size) + 1024)
        return try inflateStream(id: id, compressedSize: bound, expectedSize: size, consume) {
            buffer, count in
            let read = FileRead.some(descriptor, into: buffer, count: count, at: offset)
            if read > 0 { offset += read }
            return read
        }
    }
}

/// Pack files kept open by one checkout worker, one descriptor each, closed with it. Opening the
/// pack for each file read from it (twice: to check the entry, then to read it) was a tenth of
/// a 100,000-file clone's system time.
final class OpenPacks {
    /// The most packs held open at once (a repository with more starts over): well below a
    /// default limit of 1,024 open files, with one set per core.
    static let limit = 64
    private var descriptors: [String: Int32] = [:]

    deinit {
        for descriptor in descriptors.values { close(descriptor) }
    }

    /// The open pack at `path`, or nil when it cannot be opened.
    func descriptor(of path: String) -> Int32? {
        if let open = descriptors[path] { return open }
        if descriptors.count >= Self.limit {
            for descriptor in descriptors.values { close(descriptor) }
            descriptors.removeAll()
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { return nil }
        descriptors[path] = opened
        return opened
    }
}

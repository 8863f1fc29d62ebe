import CObjectCodec
import Glibc

/// Inflates a whole loose object of any type (`TYPE SIZE\0CONTENT`, zlib) with checks at every
/// step: each call to zlib either moves on or ends the read, so a damaged file is an error, never
/// a loop. Used by `CheckedLooseBackend` for libgit2's reads and by `dsnap verify`.
enum LooseObjectInflater {
    struct Header: Equatable {
        let type: ObjectType
        let size: Int
    }

    struct Object {
        let type: ObjectType
        let size: Int
        /// `size` bytes and a NUL after them, from the caller's allocator.
        let data: UnsafeMutableRawPointer
    }

    /// The whole object at `path`, in memory `allocate` gives (at least `size + 1` bytes); nil
    /// when there is no such file. Throws a `GitFailure` naming the object when it is damaged.
    static func inflate(path: String, id: GitOID,
                        into allocate: (Int) -> UnsafeMutableRawPointer?) throws -> Object? {
        var object: Object?
        let found = try run(path: path, id: id) { header, stream in
            guard let data = allocate(header.size) else {
                throw LooseObjectReader.failure("out of memory reading object \(id.hex) (\(header.size) bytes)")
            }
            object = Object(type: header.type, size: header.size, data: data)
            return UnsafeMutableRawBufferPointer(start: data, count: header.size)
        }
        guard found, let object else { return nil }
        object.data.storeBytes(of: 0, toByteOffset: object.size, as: UInt8.self)
        return object
    }

    /// Only the object's type and size (the first bytes inflated); nil when there is no such file.
    static func header(path: String, id: GitOID) throws -> Header? {
        var found: Header?
        _ = try run(path: path, id: id, readSize: headerReadSize) { header, _ in
            found = header
            return nil
        }
        return found
    }

    /// What a read of the header alone takes from the file at a time. The header is at most 64
    /// bytes inflated, which a deflate stream holds in its first few hundred bytes; reading a
    /// whole chunk for it read all of a 100 KB medium to learn its size (libgit2's pack
    /// builder asks the size of every object it packs, before it reads the object).
    static let headerReadSize = 512

    /// Inflates the object at `path`: the header first, then the content into the buffer that
    /// `content` returns for it (nil: stop after the header). False when there is no such file.
    /// `readSize`: bytes read from the file at a time (by default the file's size, at most a
    /// chunk).
    private static func run(path: String, id: GitOID, readSize: Int? = nil,
                            content: (Header, UnsafeMutablePointer<z_stream>) throws -> UnsafeMutableRawBufferPointer?)
        throws -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return false }
            throw StorageError.fromErrno(errno, path: path)
        }
        defer { close(descriptor) }
        let inputSize: Int
        if let readSize {
            inputSize = readSize
        } else {
            var info = stat()
            let fileSize = fstat(descriptor, &info) == 0 ? Int(info.st_size) : LooseObjectReader.chunkSize
            inputSize = max(1, min(LooseObjectReader.chunkSize, fileSize))
        }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard dsnap_inflate_init(stream) == Z_OK else { throw LooseObjectReader.failure("cannot start zlib") }
        defer { inflateEnd(stream) }
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: inputSize)
        defer { input.deallocate() }

        var steps = ObjectInflation(stream: stream, id: id) { buffer, count in
            FileRead.some(descriptor, into: buffer, count: count)
        }
        steps.input = UnsafeMutableRawBufferPointer(start: input, count: inputSize)

        // The header: at most 64 bytes up to its NUL; content after it stays in `scratch`.
        var scratch = [UInt8](repeating: 0, count: 64)
        var filled = 0
        var nul: Int?
        var ended = false
        while nul == nil {
            guard filled < scratch.count, !ended else {
                throw LooseObjectReader.failure("object \(id.hex) is corrupt: it has no valid header")
            }
            let produced = try scratch.withUnsafeMutableBytes { buffer in
                try steps.step(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), ended: &ended)
            }
            nul = scratch[filled..<(filled + produced)].firstIndex(of: 0)
            filled += produced
        }
        let header = try parse(scratch[..<nul!], id: id)
        guard let buffer = try content(header, stream) else { return true }

        // The content: what came with the header, then the rest straight into `buffer`.
        let early = filled - (nul! + 1)
        guard early <= header.size else {
            throw LooseObjectReader.failure("object \(id.hex) is corrupt: longer than its header says")
        }
        scratch.withUnsafeBytes { bytes in
            buffer.baseAddress.map { _ = memcpy($0, bytes.baseAddress! + nul! + 1, early) }
        }
        var written = early
        while written < header.size {
            guard !ended else {
                throw LooseObjectReader.failure("object \(id.hex) is truncated: \(written) bytes of \(header.size)")
            }
            written += try steps.step(into: UnsafeMutableRawBufferPointer(rebasing: buffer[written...]), ended: &ended)
        }
        // The stream must end here, with nothing past the declared size.
        var extra: UInt8 = 0
        while !ended {
            let produced = try withUnsafeMutableBytes(of: &extra) { try steps.step(into: $0, ended: &ended) }
            guard produced == 0 else {
                throw LooseObjectReader.failure("object \(id.hex) is corrupt: longer than its header says")
            }
        }
        return true
    }

    /// Parses `TYPE SIZE` (the bytes before the header's NUL); throws naming the object otherwise.
    static func parse(_ bytes: ArraySlice<UInt8>, id: GitOID) throws -> Header {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, let type = ObjectType(rawValue: String(parts[0])), let size = Int(parts[1]), size >= 0,
              parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw LooseObjectReader.failure("object \(id.hex) is corrupt: it has no valid header")
        }
        return Header(type: type, size: size)
    }
}

/// One zlib inflation fed by a reader, advanced a step at a time; each step either produces
/// output, consumes input, ends the stream, or throws.
struct ObjectInflation {
    let stream: UnsafeMutablePointer<z_stream>
    let id: GitOID
    let readInput: (UnsafeMutablePointer<UInt8>, Int) -> Int
    var input = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    init(stream: UnsafeMutablePointer<z_stream>, id: GitOID,
         readInput: @escaping (UnsafeMutablePointer<UInt8>, Int) -> Int) {
        self.stream = stream
        self.id = id
        self.readInput = readInput
    }

    /// Inflates into `output` (not empty unless the stream is checked for its end); returns the
    /// bytes produced and sets `ended` at the end of the zlib stream.
    mutating func step(into output: UnsafeMutableRawBufferPointer, ended: inout Bool) throws -> Int {
        if stream.pointee.avail_in == 0 {
            let count = readInput(input.baseAddress!.assumingMemoryBound(to: UInt8.self), input.count)
            if count < 0 { throw StorageError.fromErrno(errno, path: "object \(id.short)") }
            guard count > 0 else { throw LooseObjectReader.failure("object \(id.hex) is truncated") }
            stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_in = UInt32(count)
        }
        let before = stream.pointee.avail_in
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = UInt32(output.count)
        let status = inflate(stream, Z_NO_FLUSH)
        let produced = output.count - Int(stream.pointee.avail_out)
        switch status {
        case Z_STREAM_END:
            ended = true
        case Z_OK, Z_BUF_ERROR:
            // zlib moved on, or there is nowhere left to go: a stream that neither reads nor
            // writes is damaged (libgit2's loop spun for ever here).
            if produced == 0 && stream.pointee.avail_in == before && (before > 0 && output.count > 0) {
                throw LooseObjectReader.failure("object \(id.hex) is corrupt (zlib made no progress)")
            }
        default:
            throw LooseObjectReader.failure("object \(id.hex) is corrupt (zlib status \(status))")
        }
        return produced
    }
}

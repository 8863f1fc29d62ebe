import CObjectCodec
import Glibc

/// Writes a pack of whole objects (no deltas) as a stream, for a push to send as it is made: no
/// file, and no object held whole in memory.
///
/// Each object goes as it is stored here: an entry of a local pack is copied byte for byte; a
/// loose object (media, written as zlib stored blocks) is inflated and deflated again as stored
/// blocks 1 MiB at a time (the git CLI's `pack.compression=0`: media are compressed already);
/// only an object kept as a delta in a fetched pack is read whole, through `readWhole`.
struct PackStreamWriter {
    let objectsDirectory: String
    /// An object the store keeps as a delta, rebuilt (by libgit2): type 1-4 and content.
    let readWhole: (GitOID) throws -> (type: UInt8, content: [UInt8])

    /// Sends the pack of `ids` through `send`, reporting each object done and the bytes so far.
    func write(_ ids: [GitOID], send: @escaping (UnsafeRawBufferPointer) throws -> Void,
               progress: (_ objects: Int, _ bytes: Int64) -> Void) throws {
        let output = PackOutput(send: send)
        var header: [UInt8] = Array("PACK".utf8) + [0, 0, 0, 2]
        withUnsafeBytes(of: UInt32(ids.count).bigEndian) { header += $0 }
        try output.append(header)
        let packs = PackedEntries(objectsDirectory: objectsDirectory)
        defer { packs.close() }
        let deflater = try StoredDeflater()
        for (done, id) in ids.enumerated() {
            // Packs first: a look-up in memory, where a loose object costs a path's open (100,000
            // failed opens were a third of a 100,000-file push's CPU).
            if try !packs.copyWhole(id, to: output.append), try !writeLoose(id, to: output, deflater: deflater) {
                let object = try readWhole(id)
                try output.append(PackEntryHeader.encode(type: object.type, size: object.content.count))
                try object.content.withUnsafeBytes { try deflater.deflate($0, last: true, to: output) }
            }
            progress(done + 1, output.bytes)
        }
        try output.finish()
    }

    /// Writes loose object `id` as a pack entry; false when it is not loose.
    private func writeLoose(_ id: GitOID, to output: PackOutput, deflater: StoredDeflater) throws -> Bool {
        let path = id.looseObjectPath(in: objectsDirectory).file
        guard let header = try LooseObjectInflater.header(path: path, id: id) else { return false }
        try output.append(PackEntryHeader.encode(type: header.type.packNumber, size: header.size))
        guard header.type == .blob else {
            // Trees, commits and tags are small: read whole.
            guard let object = try LooseObjectInflater.inflate(path: path, id: id, into: { malloc($0 + 1) }) else {
                throw LooseObjectReader.failure("object \(id.hex) vanished while it was sent")
            }
            defer { free(object.data) }
            try deflater.deflate(UnsafeRawBufferPointer(start: object.data, count: object.size), last: true, to: output)
            return true
        }
        var written = 0
        var ended = false
        let size = try LooseObjectReader.read(path: path, id: id) { content in
            guard !content.isEmpty else { return }
            written += content.count
            guard !ended, written <= header.size else {
                throw LooseObjectReader.failure("object \(id.hex) is corrupt (its content runs past the size its header says)")
            }
            ended = written == header.size
            try deflater.deflate(content, last: ended, to: output)
        }
        guard size == Int64(header.size), written == header.size else {
            throw LooseObjectReader.failure("object \(id.hex) is corrupt (its content is not the size its header says)")
        }
        if !ended { try deflater.deflate(UnsafeRawBufferPointer(start: nil, count: 0), last: true, to: output) }
        return true
    }
}

/// The pack as it goes out: buffered into sends of 256 KiB, and hashed for its trailing checksum.
private final class PackOutput {
    private let send: (UnsafeRawBufferPointer) throws -> Void
    private var buffer: [UInt8] = []
    private var context = dsnap_sha1_context()
    private(set) var bytes: Int64 = 0
    private static let bufferSize = 256 << 10

    init(send: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.send = send
        buffer.reserveCapacity(Self.bufferSize)
        dsnap_sha1_init(&context)
    }

    func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        dsnap_sha1_update(&context, bytes.baseAddress!, bytes.count)
        self.bytes += Int64(bytes.count)
        if buffer.count + bytes.count > Self.bufferSize { try flush() }
        if bytes.count >= Self.bufferSize {
            try send(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Sends what is buffered and the checksum.
    func finish() throws {
        var digest = [UInt8](repeating: 0, count: 20)
        dsnap_sha1_finish(&context, &digest)
        buffer += digest
        bytes += 20
        try flush()
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try send($0) }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// One zlib stream after another at level 0 (stored blocks: copied, not compressed), each fed
/// in pieces; the stream's state is allocated once, since zlib keeps a pointer back to it.
private final class StoredDeflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 128 << 10, alignment: 16)

    init() throws {
        stream.initialize(to: z_stream())
        guard dsnap_deflate_init(stream, 0) == Z_OK else {
            stream.deallocate()
            chunk.deallocate()
            throw StorageError.io(path: "zlib", reason: "cannot start a zlib stream (out of memory)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        chunk.deallocate()
    }

    /// Deflates `input` into `output`; `last` ends the stream (and readies the next one).
    func deflate(_ input: UnsafeRawBufferPointer, last: Bool, to output: PackOutput) throws {
        var placeholder: UInt8 = 0
        try withUnsafeMutablePointer(to: &placeholder) { empty in
            stream.pointee.next_in = input.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) } ?? empty
            stream.pointee.avail_in = uInt(input.count)
            while true {
                stream.pointee.next_out = chunk.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(chunk.count)
                let status = zlibDeflate(stream, last ? Z_FINISH : Z_NO_FLUSH)
                let produced = chunk.count - Int(stream.pointee.avail_out)
                try output.append(UnsafeRawBufferPointer(rebasing: chunk[..<produced]))
                if status == Z_STREAM_END { break }
                guard status == Z_OK || status == Z_BUF_ERROR else {
                    throw StorageError.io(path: "zlib", reason: "deflate failed (\(status))")
                }
                if !last && stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { break }
            }
        }
        if last { deflateReset(stream) }
    }
}

/// zlib's deflate, under a name that `StoredDeflater.deflate` does not shadow.
private func zlibDeflate(_ stream: UnsafeMutablePointer<z_stream>, _ flush: Int32) -> Int32 {
    deflate(stream, flush)
}

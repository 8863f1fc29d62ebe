import CObjectCodec
import Glibc

/// Writes a pack's version 2 index (`pack-*.idx`): the packs dsnap writes for a snapshot and the
/// packs it receives from a remote are indexed by this one writer. `PackIndex` reads the format.
enum PackIndexWriter {
    /// Writes the version 2 index of `entries`, sorted by id, to `path`.
    static func write(_ entries: [PackWriter.Entry], packChecksum: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o444)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: path) }
        defer { close(descriptor) }
        let output = IndexOutput(descriptor: descriptor, path: path)
        try output.append([0xFF, 0x74, 0x4F, 0x63, 0, 0, 0, 2])
        var fanout = [UInt32](repeating: 0, count: 256)
        for entry in entries { fanout[Int(entry.id.firstByte)] += 1 }
        var running: UInt32 = 0
        for first in 0..<256 {
            running += fanout[first]
            try output.word(running)
        }
        for entry in entries { try entry.id.withRawBytes { try output.append($0) } }
        for entry in entries { try output.word(entry.crc) }
        var large: [Int] = []
        for entry in entries {
            if entry.offset < 0x8000_0000 {
                try output.word(UInt32(entry.offset))
            } else {
                try output.word(0x8000_0000 | UInt32(large.count))
                large.append(entry.offset)
            }
        }
        for offset in large {
            try output.word(UInt32(offset >> 32))
            try output.word(UInt32(offset & 0xFFFF_FFFF))
        }
        try output.append(packChecksum)
        try output.finish()
    }

    /// SHA-1 of the first `size` bytes of the file open as `descriptor`, read back 1 MiB at a
    /// time (from the page cache): a pack's trailing checksum.
    static func checksum(of descriptor: Int32, size: Int, path: String) throws -> [UInt8] {
        var context = dsnap_sha1_context()
        dsnap_sha1_init(&context)
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var position = 0
        while position < size {
            let count = FileRead.some(descriptor, into: buffer.baseAddress!, count: min(chunk, size - position), at: position)
            guard count > 0 else { throw StorageError.fromErrno(count < 0 ? errno : EIO, path: path) }
            dsnap_sha1_update(&context, buffer.baseAddress!, count)
            position += count
        }
        var digest = [UInt8](repeating: 0, count: 20)
        dsnap_sha1_finish(&context, &digest)
        return digest
    }
}

/// A pack index on its way to its file: buffered, and hashed as it goes (the index ends with the
/// SHA-1 of everything before).
private final class IndexOutput {
    private let descriptor: Int32
    private let path: String
    private var buffer: [UInt8] = []
    private var context = dsnap_sha1_context()
    private static let bufferSize = 64 << 10

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
        buffer.reserveCapacity(Self.bufferSize)
        dsnap_sha1_init(&context)
    }

    func word(_ value: UInt32) throws {
        try withUnsafeBytes(of: value.bigEndian) { try append($0) }
    }

    func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.bufferSize { try flush() }
    }

    /// Appends the checksum and writes what is left.
    func finish() throws {
        try flush()
        var digest = [UInt8](repeating: 0, count: 20)
        dsnap_sha1_finish(&context, &digest)
        try FileWrite.all(descriptor, digest, path: path)
    }

    private func flush() throws {
        dsnap_sha1_update(&context, buffer, buffer.count)
        try FileWrite.all(descriptor, buffer, path: path)
        buffer.removeAll(keepingCapacity: true)
    }
}

import Clibgit2
import Foundation

/// Writes work tree files as loose blob objects (`objects/xx/yyyy…`, zlib of `blob SIZE\0DATA`),
/// hashing and compressing in one streaming pass. Thread-safe: it touches no libgit2 state.
///
/// libgit2's writer compresses everything with zlib's default level, which runs at ~30-46 MB/s on
/// media that is already compressed; this one stores media as zlib "stored" blocks (memory speed)
/// and compresses text at level 1.
struct LooseObjectWriter: Sendable {
    let objectsDirectory: String
    static let chunkSize = 1 << 20
    /// Files up to this size are read whole and hashed before compressing, so an object that
    /// already exists is never compressed again.
    static let smallFileLimit = 1 << 20

    /// What one file became.
    struct Written: Sendable {
        let id: GitOID
        let mode: UInt32
        let info: stat
        let bytes: Int64
    }

    init(gitDir: String) {
        objectsDirectory = gitDir + "/objects"
    }

    /// Writes the file at `path` (`relativePath` decides the compression) and returns its blob id,
    /// git mode and the stat taken before reading (so a file changed meanwhile is rehashed later).
    func write(fileAt path: String, relativePath: String) throws -> Written? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return nil }  // removed since the work tree was scanned
            throw StorageError.fromErrno(errno, path: path)
        }
        switch info.st_mode & S_IFMT {
        case S_IFLNK:
            var target = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(path, &target, target.count)
            guard count >= 0 else { throw StorageError.fromErrno(errno, path: path) }
            let id = try store(Array(target[0..<count]), level: Z_BEST_SPEED)
            return Written(id: id, mode: GitFileMode.symlink, info: info, bytes: Int64(count))
        case S_IFREG:
            break
        default:
            return nil  // sockets, fifos, devices: not dataset content
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: path) }
        defer { close(descriptor) }
        guard fstat(descriptor, &info) == 0 else { throw StorageError.fromErrno(errno, path: path) }
        let mode = info.st_mode & 0o100 != 0 ? GitFileMode.executable : GitFileMode.regular
        let size = Int(info.st_size)
        let level = FileClass(path: relativePath).isMedia ? Z_NO_COMPRESSION : Z_BEST_SPEED
        let id: GitOID
        if size <= Self.smallFileLimit {
            var bytes = [UInt8](repeating: 0, count: size)
            try readFully(descriptor, into: &bytes, path: path)
            id = try store(bytes, level: level)
        } else {
            id = try stream(descriptor, size: size, level: level, path: path)
        }
        return Written(id: id, mode: mode, info: info, bytes: Int64(size))
    }

    // MARK: Writing objects

    private func objectPath(_ id: GitOID) -> (folder: String, file: String) {
        let folder = objectsDirectory + "/" + id.hex.prefix(2)
        return (folder, folder + "/" + id.hex.dropFirst(2))
    }

    /// A whole buffer: hashed first, compressed only when the object is new.
    private func store(_ bytes: [UInt8], level: Int32) throws -> GitOID {
        var hasher = ObjectHasher(size: bytes.count)
        bytes.withUnsafeBytes { hasher.update($0) }
        let id = hasher.finish()
        let target = objectPath(id)
        if access(target.file, F_OK) == 0 { return id }
        let temporary = try TemporaryObject(directory: objectsDirectory)
        let compressor = try Compressor(level: level)
        try compressor.feed(Array("blob \(bytes.count)\0".utf8), to: temporary, finish: false)
        try compressor.feed(bytes, to: temporary, finish: true)
        try temporary.install(at: target)
        return id
    }

    /// A large file: hashed and compressed in the same pass, 1 MiB at a time.
    private func stream(_ descriptor: Int32, size: Int, level: Int32, path: String) throws -> GitOID {
        var hasher = ObjectHasher(size: size)
        let temporary = try TemporaryObject(directory: objectsDirectory)
        let compressor = try Compressor(level: level)
        try compressor.feed(Array("blob \(size)\0".utf8), to: temporary, finish: false)
        var buffer = [UInt8](repeating: 0, count: Self.chunkSize)
        var remaining = size
        while remaining > 0 {
            let wanted = min(remaining, Self.chunkSize)
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                temporary.discard()
                throw StorageError.fromErrno(errno, path: path)
            }
            if count == 0 {
                temporary.discard()
                throw StorageError.io(path: path, reason: "the file shrank while it was being read; run the command again")
            }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            try compressor.feed(Array(buffer[0..<count]), to: temporary, finish: false)
            remaining -= count
        }
        try compressor.feed([], to: temporary, finish: true)
        let id = hasher.finish()
        let target = objectPath(id)
        if access(target.file, F_OK) == 0 {
            temporary.discard()
        } else {
            try temporary.install(at: target)
        }
        return id
    }

    private func readFully(_ descriptor: Int32, into bytes: inout [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw StorageError.fromErrno(errno, path: path)
            }
            if count == 0 {
                throw StorageError.io(path: path, reason: "the file shrank while it was being read; run the command again")
            }
            offset += count
        }
    }
}

/// SHA-1 of a git object (`blob SIZE\0` + content), through mbedtls (libgit2-dev brings it).
struct ObjectHasher {
    private var context = mbedtls_sha1_context()

    init(size: Int) {
        mbedtls_sha1_init(&context)
        _ = mbedtls_sha1_starts_ret(&context)
        let header = Array("blob \(size)\0".utf8)
        header.withUnsafeBytes { update($0) }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        _ = mbedtls_sha1_update_ret(&context, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    mutating func finish() -> GitOID {
        var digest = [UInt8](repeating: 0, count: 20)
        _ = mbedtls_sha1_finish_ret(&context, &digest)
        mbedtls_sha1_free(&context)
        return GitOID(hex: digest.map { String(format: "%02x", $0) }.joined())!
    }
}

/// A zlib deflate stream writing to a temporary object file. The `z_stream` lives at a fixed heap
/// address: zlib keeps a pointer back to it and refuses a stream that moved (Z_STREAM_ERROR).
private final class Compressor {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var output = [UInt8](repeating: 0, count: LooseObjectWriter.chunkSize + 1024)

    init(level: Int32) throws {
        stream.initialize(to: z_stream())
        guard dsnap_deflate_init(stream, level) == Z_OK else {
            stream.deallocate()
            throw StorageError.io(path: "zlib", reason: "cannot start compression")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    func feed(_ input: [UInt8], to file: TemporaryObject, finish: Bool) throws {
        var input = input
        try input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.pointee.next_in = inputBuffer.baseAddress
            stream.pointee.avail_in = UInt32(inputBuffer.count)
            var status = Z_OK
            // Until the input is consumed (and, when finishing, until zlib says the stream ended).
            repeat {
                let produced: Int = try output.withUnsafeMutableBufferPointer { outputBuffer in
                    stream.pointee.next_out = outputBuffer.baseAddress
                    stream.pointee.avail_out = UInt32(outputBuffer.count)
                    status = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                        throw StorageError.io(path: file.path, reason: "compression failed (zlib status \(status))")
                    }
                    return outputBuffer.count - Int(stream.pointee.avail_out)
                }
                try file.append(output, count: produced)
            } while finish ? status != Z_STREAM_END
                : (stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0)
        }
        stream.pointee.next_in = nil
    }
}

/// An object being written under a temporary name in `objects/`, moved into place when complete.
private final class TemporaryObject {
    let path: String
    private let descriptor: Int32
    private nonisolated(unsafe) static var counter = 0
    private static let counterLock = NSLock()

    init(directory: String) throws {
        Self.counterLock.lock()
        Self.counter += 1
        let number = Self.counter
        Self.counterLock.unlock()
        path = directory + "/tmp_dsnap_\(getpid())_\(number)"
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: path) }
    }

    deinit {
        close(descriptor)
    }

    func append(_ bytes: [UInt8], count: Int) throws {
        var offset = 0
        while offset < count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                let failure = errno
                discard()
                throw StorageError.fromErrno(failure, path: path)
            }
            offset += written
        }
    }

    /// Renames the finished object into `objects/xx/`; an object is immutable, so one that
    /// appeared meanwhile (same id, same bytes) is simply replaced.
    func install(at target: (folder: String, file: String)) throws {
        if mkdir(target.folder, 0o777) != 0 && errno != EEXIST {
            let failure = errno
            discard()
            throw StorageError.fromErrno(failure, path: target.folder)
        }
        guard rename(path, target.file) == 0 else {
            let failure = errno
            discard()
            throw StorageError.fromErrno(failure, path: target.file)
        }
    }

    func discard() {
        unlink(path)
    }
}

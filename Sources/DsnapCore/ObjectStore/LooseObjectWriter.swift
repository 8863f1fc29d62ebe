import CObjectCodec
import FoundationEssentials
import Glibc

/// Writes work tree files as loose blob objects (`objects/xx/yyyy…`, zlib of `blob SIZE\0DATA`),
/// hashing and compressing in one streaming pass. Thread-safe: it touches no libgit2 state.
///
/// libgit2's writer compresses everything with zlib's default level, which runs at ~30-46 MB/s on
/// media that is already compressed; this one stores media as zlib "stored" blocks (memory speed)
/// and compresses text at level 1.
struct LooseObjectWriter: Sendable {
    let objectsDirectory: String
    /// Whether new objects up to `packedObjectLimit` go into packs (a snapshot of many files), and
    /// which objects packs already hold.
    let packing: ObjectPacking
    /// The largest object packed. Larger ones stay loose even in a packing snapshot: a clone
    /// hard-links loose objects for free, but must copy the bytes of packed ones it needs when it
    /// does not need the whole pack: after an incremental snapshot, a clone of 100 KiB images
    /// takes over twice as long with them packed (bench/RESULTS.md).
    static let packedObjectLimit = 64 << 10
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

    /// Where written object files go so their pages can be let go once on disk (a snapshot's
    /// `BackgroundWriteBack` does it); nil keeps them cached.
    let writtenPages: WrittenPages?

    init(gitDir: String, packNewObjects: Bool = false, writtenPages: WrittenPages? = nil) {
        objectsDirectory = gitDir + "/objects"
        self.writtenPages = writtenPages
        packing = ObjectPacking(objectsDirectory: objectsDirectory, packNewObjects: packNewObjects)
    }

    /// Writes the file at `path` (`relativePath` decides the compression) and returns its blob id,
    /// git mode and the stat taken before reading (so a file changed meanwhile is rehashed later).
    /// `counter` learns each file's size once known (0 for one that is not content) and the
    /// bytes as they are read, for the progress line.
    func write(fileAt path: String, relativePath: String, workspace: Workspace,
               counter: ByteCounter? = nil) throws -> Written? {
        try PathBytes.withCString(path) {
            try write($0, in: AT_FDCWD, shownAs: path, relativePath: relativePath, workspace: workspace,
                      counter: counter)
        }
    }

    /// `write(fileAt:)` for the file `name` in the folder open as `folder`: a path longer than
    /// PATH_MAX is reached from its folder (`PathLimit`). (AT_FDCWD and a whole path is the
    /// same call as `write(fileAt:)` makes.) `path` names the file in errors.
    func write(_ name: UnsafePointer<CChar>, in folder: Int32, shownAs path: String, relativePath: String,
               workspace: Workspace, counter: ByteCounter? = nil) throws -> Written? {
        // Opened as it is, without a `stat` first (one path lookup less per file): a link fails
        // with ELOOP and is stored as a link; not blocking, so a fifo that took a file's place
        // since the scan cannot hang the snapshot.
        let descriptor = openat(folder, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else {
            switch errno {
            case ENOENT:  // removed since the work tree was scanned
                counter?.expect(fileOfSize: 0)
                return nil
            case ELOOP:
                let link = try writeLink(name, in: folder, shownAs: path, workspace: workspace)
                counter?.expect(fileOfSize: Int(link?.bytes ?? 0))
                counter?.add(Int(link?.bytes ?? 0))
                return link
            default: throw StorageError.fromErrno(errno, path: path)
            }
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw StorageError.fromErrno(errno, path: path) }
        // Sockets, fifos, devices, a folder that took a file's place: not dataset content.
        guard info.st_mode & S_IFMT == S_IFREG else {
            counter?.expect(fileOfSize: 0)
            return nil
        }
        let mode = info.st_mode & 0o100 != 0 ? GitFileMode.executable : GitFileMode.regular
        let size = Int(info.st_size)
        counter?.expect(fileOfSize: size)
        let level = FileClass(path: relativePath).isMedia ? Z_NO_COMPRESSION : Z_BEST_SPEED
        let id: GitOID
        if size <= Self.smallFileLimit {
            let bytes = try workspace.read(descriptor, count: size, path: path)
            id = try store(bytes, level: level, workspace: workspace)
            counter?.add(size)
        } else {
            id = try stream(descriptor, size: size, level: level, path: path, workspace: workspace, counter: counter)
        }
        return Written(id: id, mode: mode, info: info, bytes: Int64(size))
    }

    /// A symbolic link: its target is the object's content.
    private func writeLink(_ name: UnsafePointer<CChar>, in folder: Int32, shownAs path: String,
                           workspace: Workspace) throws -> Written? {
        var info = stat()
        guard fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT { return nil }
            throw StorageError.fromErrno(errno, path: path)
        }
        guard info.st_mode & S_IFMT == S_IFLNK else {
            throw StorageError.io(path: path, reason: "the file was replaced while it was being read; run the command again")
        }
        var target = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(folder, name, &target, target.count)
        guard count >= 0 else { throw StorageError.fromErrno(errno, path: path) }
        let id = try target.withUnsafeBytes {
            try store(UnsafeRawBufferPointer(rebasing: $0[0..<count]), level: Z_BEST_SPEED, workspace: workspace)
        }
        return Written(id: id, mode: GitFileMode.symlink, info: info, bytes: Int64(count))
    }

    // MARK: Writing objects

    private func objectPath(_ id: GitOID) -> (folder: String, file: String) {
        id.looseObjectPath(in: objectsDirectory)
    }

    /// A whole buffer: hashed first, compressed only when the object is new.
    private func store(_ bytes: UnsafeRawBufferPointer, level: Int32, workspace: Workspace) throws -> GitOID {
        var hasher = ObjectHasher(size: bytes.count)
        hasher.update(bytes)
        let id = hasher.finish()
        if packing.mayHaveLooseObjects && access(objectPath(id).file, F_OK) == 0 { return id }
        if packing.inExistingPack(id) { return id }
        if packing.packNewObjects && bytes.count <= Self.packedObjectLimit {
            // Each worker knows what its own pack holds. Two workers meeting the same content
            // both pack it, which git allows (an object may be in several packs), rather than
            // share a set of every id the snapshot writes (about 50 bytes per file).
            let pack = try workspace.pack(for: packing)
            if pack.contains(id) { return id }
            try pack.beginBlob(id: id, objectSize: bytes.count)
            try workspace.compressor(level: level).feed(bytes, finish: true) { try pack.appendEntryBytes($0) }
            pack.endEntry()
            return id
        }
        guard packing.claim(id) else { return id }   // being written by another worker
        let target = objectPath(id)
        // The id is known: the file is made in its folder, where it is linked when complete.
        try workspace.makeFolder(target.folder)
        let temporary = try TemporaryObject(objectsDirectory: objectsDirectory, folder: target.folder)
        let encoder = try ObjectEncoder(level: level, workspace: workspace)
        try encoder.start(contentSize: bytes.count, to: temporary)
        try encoder.append(bytes, isLast: true, to: temporary)
        try temporary.install(at: target, workspace: workspace)
        writtenPages?.add(target.file)
        return id
    }

    /// A large file: hashed and compressed in the same pass, 1 MiB at a time.
    private func stream(_ descriptor: Int32, size: Int, level: Int32, path: String,
                        workspace: Workspace, counter: ByteCounter?) throws -> GitOID {
        var hasher = ObjectHasher(size: size)
        let temporary = try TemporaryObject(objectsDirectory: objectsDirectory, folder: objectsDirectory)
        let encoder = try ObjectEncoder(level: level, workspace: workspace)
        try encoder.start(contentSize: size, to: temporary)
        var remaining = size
        while remaining > 0 {
            let chunk: UnsafeRawBufferPointer
            do {
                chunk = try workspace.read(descriptor, count: min(remaining, Self.chunkSize), path: path)
            } catch {
                temporary.discard()
                throw error
            }
            hasher.update(chunk)
            try encoder.append(chunk, isLast: remaining == chunk.count, to: temporary)
            remaining -= chunk.count
            counter?.add(chunk.count)
        }
        let id = hasher.finish()
        let target = objectPath(id)
        if access(target.file, F_OK) == 0 || packing.inExistingPack(id) {
            temporary.discard()
        } else {
            try temporary.install(at: target, workspace: workspace)
            writtenPages?.add(target.file)
        }
        return id
    }
}

/// How an object's content (behind its `blob SIZE\0` header) goes into its file: media as stored
/// blocks written by dsnap, anything else through zlib at `level`.
private enum ObjectEncoder {
    case stored(StoredBlockWriter)
    case deflate(Compressor)

    init(level: Int32, workspace: Workspace) throws {
        self = level == Z_NO_COMPRESSION ? .stored(workspace.storedBlocks) : .deflate(try workspace.compressor(level: level))
    }

    func start(contentSize: Int, to file: TemporaryObject) throws {
        let header = Array("blob \(contentSize)\0".utf8)
        switch self {
        case .stored(let writer): try writer.start(header: header, contentSize: contentSize, to: file)
        case .deflate(let compressor): try header.withUnsafeBytes { try compressor.feed($0, to: file, finish: false) }
        }
    }

    /// `isLast`: `piece` ends the content (possibly empty), and with it the zlib stream.
    func append(_ piece: UnsafeRawBufferPointer, isLast: Bool, to file: TemporaryObject) throws {
        switch self {
        case .stored(let writer): try writer.append(piece, to: file)
        case .deflate(let compressor): try compressor.feed(piece, to: file, finish: isLast)
        }
    }
}

/// One worker's reusable memory: a read buffer, an output buffer, a deflate stream per level, and
/// the object folders already made. Allocating these per file cost more than the writing itself.
final class Workspace {
    let input = UnsafeMutableRawBufferPointer.allocate(byteCount: LooseObjectWriter.chunkSize, alignment: 16)
    let output = UnsafeMutableRawBufferPointer.allocate(byteCount: LooseObjectWriter.chunkSize + 4096, alignment: 16)
    private var compressors: [Int32: Compressor] = [:]
    let storedBlocks = StoredBlockWriter()
    private var madeFolders = Set<String>()
    /// This worker's pack, made on first use when the snapshot packs its new objects.
    private var packWriter: PackWriter?

    func pack(for packing: ObjectPacking) throws -> PackWriter {
        if let packWriter { return packWriter }
        let made = try PackWriter(objectsDirectory: packing.objectsDirectory)
        packing.register(made)
        packWriter = made
        return made
    }

    deinit {
        input.deallocate()
        output.deallocate()
    }

    /// Makes `folder` (an `objects/xx`) unless this worker saw it already; `cleanUp` runs
    /// before a failure is thrown.
    func makeFolder(_ folder: String, cleanUp: () -> Void = {}) throws {
        guard !madeFolders.contains(folder) else { return }
        if mkdir(folder, 0o777) != 0 && errno != EEXIST {
            let failure = errno
            cleanUp()
            throw StorageError.fromErrno(failure, path: folder)
        }
        madeFolders.insert(folder)
    }

    /// The deflate stream for `level`, reset for a new object.
    func compressor(level: Int32) throws -> Compressor {
        if let existing = compressors[level] {
            try existing.reset()
            return existing
        }
        let made = try Compressor(level: level, output: output)
        compressors[level] = made
        return made
    }

    /// Reads exactly `count` bytes (at most one chunk) into the input buffer.
    func read(_ descriptor: Int32, count: Int, path: String) throws -> UnsafeRawBufferPointer {
        guard try FileRead.fill(descriptor, UnsafeMutableRawBufferPointer(rebasing: input[0..<count]), path: path) == count else {
            throw StorageError.io(path: path, reason: "the file shrank while it was being read; run the command again")
        }
        return UnsafeRawBufferPointer(rebasing: input[0..<count])
    }
}

/// SHA-1 of a git object (`blob SIZE\0` + content): the CPU's SHA instructions when it has them,
/// mbedtls (which libgit2-dev brings) otherwise; see `dsnap_sha1.h`.
struct ObjectHasher {
    private var context = dsnap_sha1_context()

    init(size: Int) {
        dsnap_sha1_init(&context)
        let header = Array("blob \(size)\0".utf8)
        header.withUnsafeBytes { update($0) }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        dsnap_sha1_update(&context, base, bytes.count)
    }

    mutating func finish() -> GitOID {
        var digest = [UInt8](repeating: 0, count: 20)
        dsnap_sha1_finish(&context, &digest)
        // Not String(format:): at 20 calls per object it cost more than hashing a small file.
        return GitOID(rawBytes: digest)
    }
}

/// A zlib deflate stream writing to a temporary object file, reused object after object. The
/// `z_stream` lives at a fixed heap address: zlib keeps a pointer back to it and refuses a stream
/// that moved (Z_STREAM_ERROR).
final class Compressor {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let output: UnsafeMutableRawBufferPointer

    init(level: Int32, output: UnsafeMutableRawBufferPointer) throws {
        self.output = output
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

    func reset() throws {
        guard deflateReset(stream) == Z_OK else { throw StorageError.io(path: "zlib", reason: "cannot reset compression") }
    }

    func feed(_ input: UnsafeRawBufferPointer, to file: TemporaryObject, finish: Bool) throws {
        try feed(input, finish: finish, path: file.path) { try file.append($0) }
    }

    /// Compresses `input`, handing each piece of output to `sink`.
    func feed(_ input: UnsafeRawBufferPointer, finish: Bool, path: String = "pack",
              sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        var status = Z_OK
        // Until the input is consumed (and, when finishing, until zlib says the stream ended).
        repeat {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = UInt32(output.count)
            status = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw StorageError.io(path: path, reason: "compression failed (zlib status \(status))")
            }
            try sink(UnsafeRawBufferPointer(rebasing: output[0..<(output.count - Int(stream.pointee.avail_out))]))
        } while finish ? status != Z_STREAM_END : (stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0)
        stream.pointee.next_in = nil
    }
}

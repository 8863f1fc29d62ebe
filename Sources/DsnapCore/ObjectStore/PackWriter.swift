import CObjectCodec
import FoundationEssentials
import Glibc

/// Writes one pack of whole (never delta) objects, with its version 2 index. A snapshot of many
/// small files writes its new objects into packs, one per worker, instead of one loose file per
/// object: on this kind of disk creating a small file costs 0.4-1 ms, far more than writing it.
///
/// A pack is `PACK`, version 2, object count, then per object a type-and-size header and the
/// object's zlib stream, then the SHA-1 of everything before. The count comes first but is only
/// known at the end, so it is patched in and the checksum computed by reading the pack back.
/// The pack is written as `objects/pack/tmp_pack_dsnap_*` and renamed `pack-<checksum>.pack`,
/// then its index likewise: git and libgit2 see a pack only once its index is there.
final class PackWriter: @unchecked Sendable {
    struct Entry {
        let id: GitOID
        let offset: Int
        let crc: UInt32
    }

    let packDirectory: String
    private let temporaryPath: String
    private let descriptor: Int32
    private(set) var entries: [Entry] = []
    /// Bytes written so far (where the next entry starts).
    private(set) var size = 0
    /// CRC-32 of the entry being written.
    private var entryCRC: UInt32 = 0
    private nonisolated(unsafe) static var counter = 0
    private static let counterLock = Lock()

    init(objectsDirectory: String) throws {
        packDirectory = objectsDirectory + "/pack"
        if mkdir(packDirectory, 0o777) != 0 && errno != EEXIST {
            throw StorageError.fromErrno(errno, path: packDirectory)
        }
        Self.counterLock.lock()
        Self.counter += 1
        let number = Self.counter
        Self.counterLock.unlock()
        temporaryPath = packDirectory + "/" + Self.temporaryPrefix + "\(getpid())_\(number)"
        descriptor = open(temporaryPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: temporaryPath) }
        // The header, with a zero count until `finish` knows it. A full disk fails it: nothing
        // is left behind.
        do {
            try append([0x50, 0x41, 0x43, 0x4B, 0, 0, 0, 2, 0, 0, 0, 0])
        } catch {
            unlink(temporaryPath)
            throw error
        }
    }

    deinit {
        close(descriptor)
    }

    /// Temporary packs are named with this prefix; a killed dsnap's are removed by the next writer.
    static let temporaryPrefix = "tmp_pack_dsnap_"

    /// Starts a blob entry of `objectSize` bytes; its zlib stream follows through `appendEntryBytes`.
    func beginBlob(id: GitOID, objectSize: Int) throws {
        try beginEntry(id: id, type: 3, objectSize: objectSize)
    }

    /// Starts an entry of git object type `type` (1 commit, 2 tree, 3 blob, 4 tag).
    func beginEntry(id: GitOID, type: UInt8, objectSize: Int) throws {
        entries.append(Entry(id: id, offset: size, crc: 0))
        entryCRC = UInt32(crc32(0, nil, 0))
        // The type in bits 4-6 of the first byte, the size 4 bits there and 7 per byte after.
        var header: [UInt8] = [UInt8((type & 0x07) << 4) | UInt8(objectSize & 0x0F)]
        var rest = objectSize >> 4
        while rest > 0 {
            header[header.count - 1] |= 0x80
            header.append(UInt8(rest & 0x7F))
            rest >>= 7
        }
        try appendEntryBytes(header)
    }

    func appendEntryBytes(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try appendEntryBytes($0) }
    }

    func appendEntryBytes(_ bytes: UnsafeRawBufferPointer) throws {
        if let base = bytes.baseAddress, !bytes.isEmpty {
            entryCRC = UInt32(crc32(uLong(entryCRC), base.assumingMemoryBound(to: UInt8.self), uInt(bytes.count)))
        }
        try append(bytes)
    }

    /// Ends the entry begun last.
    func endEntry() {
        let last = entries.removeLast()
        entries.append(Entry(id: last.id, offset: last.offset, crc: entryCRC))
    }

    /// Copies an entry as another pack stores it (its header and zlib stream), with its CRC.
    func appendRawEntry(id: GitOID, bytes: UnsafeRawBufferPointer, crc: UInt32) throws {
        entries.append(Entry(id: id, offset: size, crc: crc))
        try append(bytes)
    }

    /// Patches the count, appends the checksum, writes the index and renames both into place.
    /// Returns the pack's path, or nil (and leaves nothing) when no object was added.
    @discardableResult
    func finish() throws -> String? {
        guard !entries.isEmpty else {
            unlink(temporaryPath)
            return nil
        }
        let count = UInt32(entries.count).bigEndian
        try withUnsafeBytes(of: count) { try FileWrite.all(descriptor, $0, at: 8, path: temporaryPath) }
        let checksum = try checksumOfFile()
        try append(checksum)
        let name = "pack-" + GitOID(rawBytes: checksum).hex
        let index = indexBytes(packChecksum: checksum)
        let temporaryIndex = temporaryPath + ".idx"
        try Self.writeFile(temporaryIndex, index)
        let packPath = packDirectory + "/" + name + ".pack"
        guard rename(temporaryPath, packPath) == 0 else { throw failure(packPath) }
        guard rename(temporaryIndex, packDirectory + "/" + name + ".idx") == 0 else {
            throw failure(packDirectory + "/" + name + ".idx")
        }
        return packPath
    }

    /// Removes the unfinished pack (an error stopped the snapshot).
    func discard() {
        unlink(temporaryPath)
    }

    // MARK: Internals

    private func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw failure(temporaryPath)
            }
            offset += written
        }
        size += bytes.count
    }

    private func failure(_ path: String) -> Error {
        StorageError.fromErrno(errno, path: path)
    }

    /// SHA-1 of the whole file as written so far, read back 1 MiB at a time (from the page cache).
    private func checksumOfFile() throws -> [UInt8] {
        var context = dsnap_sha1_context()
        dsnap_sha1_init(&context)
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var position = 0
        while position < size {
            let count = pread(descriptor, buffer.baseAddress!, min(chunk, size - position), off_t(position))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw failure(temporaryPath) }
            dsnap_sha1_update(&context, buffer.baseAddress!, count)
            position += count
        }
        var digest = [UInt8](repeating: 0, count: 20)
        dsnap_sha1_finish(&context, &digest)
        return digest
    }

    /// The version 2 index of this pack's entries.
    private func indexBytes(packChecksum: [UInt8]) -> [UInt8] {
        let sorted = entries.sorted { $0.id < $1.id }
        var bytes: [UInt8] = [0xFF, 0x74, 0x4F, 0x63, 0, 0, 0, 2]
        bytes.reserveCapacity(8 + 1024 + sorted.count * 28 + 40)
        func word(_ value: UInt32) {
            bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        var fanout = [UInt32](repeating: 0, count: 256)
        for entry in sorted { fanout[Int(entry.id.firstByte)] += 1 }
        var running: UInt32 = 0
        for first in 0..<256 {
            running += fanout[first]
            word(running)
        }
        for entry in sorted { entry.id.withRawBytes { bytes.append(contentsOf: $0) } }
        for entry in sorted { word(entry.crc) }
        var large: [Int] = []
        for entry in sorted {
            if entry.offset < 0x8000_0000 {
                word(UInt32(entry.offset))
            } else {
                word(0x8000_0000 | UInt32(large.count))
                large.append(entry.offset)
            }
        }
        for offset in large {
            word(UInt32(offset >> 32))
            word(UInt32(offset & 0xFFFF_FFFF))
        }
        bytes += packChecksum
        var digest = [UInt8](repeating: 0, count: 20)
        var context = dsnap_sha1_context()
        dsnap_sha1_init(&context)
        dsnap_sha1_update(&context, bytes, bytes.count)
        dsnap_sha1_finish(&context, &digest)
        bytes += digest
        return bytes
    }

    private static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o444)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: path) }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw StorageError.fromErrno(errno, path: path)
            }
            offset += written
        }
    }
}

/// What the workers of one snapshot share about objects: the packs already on disk (objects
/// there are never written again), the ids claimed during this snapshot (two files with the
/// same content make one object), and each worker's pack, finished together at the end.
final class ObjectPacking: @unchecked Sendable {
    let objectsDirectory: String
    /// True: new small objects go into packs; false: loose files.
    let packNewObjects: Bool
    private let existing: [PackIndex]
    private let lock = Lock()
    private var claimed = Set<GitOID>()
    private var writers: [PackWriter] = []

    /// False when the repository had no loose object when the snapshot began (its first one):
    /// then no file can already be stored loose, and the objects this snapshot writes are in
    /// `claimed`, so looking for each object's file (a path lookup per file) is skipped.
    let mayHaveLooseObjects: Bool

    init(objectsDirectory: String, packNewObjects: Bool) {
        self.objectsDirectory = objectsDirectory
        self.packNewObjects = packNewObjects
        existing = PackIndex.all(in: objectsDirectory)
        mayHaveLooseObjects = DirectoryNames.list(objectsDirectory).contains { name in
            name.utf8.count == 2 && name.utf8.allSatisfy(\.isHexDigit)
        }
    }

    func inExistingPack(_ id: GitOID) -> Bool {
        guard !existing.isEmpty else { return false }
        return existing.contains { $0.contains(id) }
    }

    /// True when the caller should write `id`: no pack holds it and no other worker claimed it.
    func claim(_ id: GitOID) -> Bool {
        if inExistingPack(id) { return false }
        lock.lock()
        defer { lock.unlock() }
        return claimed.insert(id).inserted
    }

    func register(_ writer: PackWriter) {
        lock.lock()
        writers.append(writer)
        lock.unlock()
    }

    /// Finishes every worker's pack (checksums, indexes, renames), on every core.
    func finishAll() throws {
        let writers = self.writers
        _ = try ParallelWork.run(writers.count, phase: "writing packs", progress: nil, makeState: { () }) { position, _ in
            (try writers[position].finish(), 0)
        }
    }

    /// Removes unfinished packs after an error.
    func discardAll() {
        for writer in writers { writer.discard() }
    }
}

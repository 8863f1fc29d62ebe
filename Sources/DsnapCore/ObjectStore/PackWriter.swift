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
    /// One object of the pack. The CRC sits beside the id's 20 bytes, so an entry takes 32 bytes
    /// instead of 40: a snapshot of a million small files keeps one per file until its packs end.
    struct Entry {
        let id: GitOID
        let crc: UInt32
        let offset: Int

        init(id: GitOID, offset: Int, crc: UInt32) {
            self.id = id
            self.crc = crc
            self.offset = offset
        }
    }

    let packDirectory: String
    private let temporaryPath: String
    private let descriptor: Int32
    private(set) var entries: [Entry] = []
    /// Where each id is among `entries`, so a writer can skip an object its pack holds already.
    private var positions = EntryPositions()
    /// Bytes written so far (where the next entry starts).
    private(set) var size = 0
    /// CRC-32 of the entry being written.
    private var entryCRC: UInt32 = 0

    init(objectsDirectory: String) throws {
        packDirectory = objectsDirectory + "/pack"
        if mkdir(packDirectory, 0o777) != 0 && errno != EEXIST {
            throw StorageError.fromErrno(errno, path: packDirectory)
        }
        temporaryPath = TemporaryName.make(in: packDirectory, prefix: Self.temporaryPrefix)
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
        positions.insert(entries.count - 1, of: entries)
        entryCRC = UInt32(crc32(0, nil, 0))
        try appendEntryBytes(PackEntryHeader.encode(type: type, size: objectSize))
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

    /// Whether this pack has an entry for `id` (begun or complete).
    func contains(_ id: GitOID) -> Bool {
        positions.contains(id, in: entries)
    }

    /// Ends the entry begun last.
    func endEntry() {
        let last = entries.removeLast()
        entries.append(Entry(id: last.id, offset: last.offset, crc: entryCRC))
    }

    /// Copies an entry as another pack stores it (its header and zlib stream), with its CRC.
    func appendRawEntry(id: GitOID, bytes: UnsafeRawBufferPointer, crc: UInt32) throws {
        entries.append(Entry(id: id, offset: size, crc: crc))
        positions.insert(entries.count - 1, of: entries)
        try append(bytes)
    }

    /// Patches the count, appends the checksum, writes the index and renames both into place.
    /// Returns the pack's path, or nil (and leaves nothing) when no object was added. The
    /// entries are let go: nothing more can be added.
    @discardableResult
    func finish() throws -> String? {
        guard !entries.isEmpty else {
            unlink(temporaryPath)
            return nil
        }
        let count = UInt32(entries.count).bigEndian
        try withUnsafeBytes(of: count) { try FileWrite.all(descriptor, $0, at: 8, path: temporaryPath) }
        let checksum = try PackIndexWriter.checksum(of: descriptor, size: size, path: temporaryPath)
        try append(checksum)
        let name = "pack-" + GitOID(rawBytes: checksum).hex
        // Sorted in place and the index streamed to its file: a sorted copy and the whole index
        // in memory would add 60 bytes per object at the moment a snapshot's memory peaks.
        positions = EntryPositions()
        entries.sort { $0.id < $1.id }
        let temporaryIndex = temporaryPath + ".idx"
        try PackIndexWriter.write(entries, packChecksum: checksum, to: temporaryIndex)
        entries = []
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
        try FileWrite.all(descriptor, bytes, path: temporaryPath)
        size += bytes.count
    }

    private func failure(_ path: String) -> Error {
        StorageError.fromErrno(errno, path: path)
    }

}

/// Positions of a pack's entries by id: an open-addressing table of 4-byte positions into the
/// entries (which hold the ids), so knowing which objects a pack holds costs 8 bytes or less per
/// object (a `Set<GitOID>` of them takes about 48).
struct EntryPositions {
    /// Entry position + 1; 0 is an empty slot. The count is a power of two.
    private var slots: [UInt32] = []
    private var count = 0

    func contains(_ id: GitOID, in entries: [PackWriter.Entry]) -> Bool {
        guard !slots.isEmpty else { return false }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: id.leadingWord) & mask
        while slots[slot] != 0 {
            if entries[Int(slots[slot]) - 1].id == id { return true }
            slot = (slot + 1) & mask
        }
        return false
    }

    /// Records that `entries[position]` is there; the caller checked `contains` first.
    mutating func insert(_ position: Int, of entries: [PackWriter.Entry]) {
        // At most half full: probes stay short.
        if (count + 1) * 2 > slots.count {
            slots = [UInt32](repeating: 0, count: max(1024, slots.count * 2))
            count = 0
            for earlier in 0..<position { place(earlier, of: entries) }
        }
        place(position, of: entries)
    }

    private mutating func place(_ position: Int, of entries: [PackWriter.Entry]) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: entries[position].id.leadingWord) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = UInt32(position + 1)
        count += 1
    }
}

/// What the workers of one snapshot share about objects: the packs already on disk (objects
/// there are never written again), the loose objects claimed during this snapshot (two files
/// with the same content make one object file), and each worker's pack, finished together at
/// the end.
final class ObjectPacking: @unchecked Sendable {
    let objectsDirectory: String
    /// True: new small objects go into packs; false: loose files.
    let packNewObjects: Bool
    private let existing: [PackIndex]
    private let lock = Lock()
    private var claimed = Set<GitOID>()
    private var writers: [PackWriter] = []

    /// False when the repository had no loose object when the snapshot began (its first one):
    /// then no file can already be stored loose, and the loose objects this snapshot writes are
    /// in `claimed`, so looking for each object's file (a path lookup per file) is skipped.
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

    /// True when the caller should write `id` as a loose object: no pack holds it and no other
    /// worker claimed it.
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
            try writers[position].finish()
        }
    }

    /// Removes unfinished packs after an error.
    func discardAll() {
        for writer in writers { writer.discard() }
    }
}

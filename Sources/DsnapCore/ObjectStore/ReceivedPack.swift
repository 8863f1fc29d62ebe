import CObjectCodec
import Glibc

/// A pack arriving from a remote: written to `objects/pack` as it streams in and indexed on the
/// way, with reads and writes only, never a mapping of the file.
///
/// libgit2's own indexer maps the pack it receives into memory in windows; fetching D1 (1 GB)
/// its peak resident size reached 152-201 MB, all of it pages of that mapping. Here each whole
/// object is inflated and hashed as its bytes arrive (a 1 GiB video costs a 64 KiB buffer), and
/// only deltas, resolved at the end, are read back and held in memory, one chain at a time.
///
/// Everything the sender says is checked: the header, each entry's type, size and zlib stream,
/// the pack's checksum, every delta's instructions against its base. A pack that breaks the
/// format fails with a reason (`Failure`) and leaves nothing in `objects/pack`.
final class ReceivedPack {
    /// Why a received pack was refused, in words for an error message.
    struct Failure: Error {
        let reason: String
    }

    /// One entry of the pack as it was received.
    struct Entry {
        /// Where its header starts in the pack.
        let offset: Int
        /// Where its zlib stream starts.
        let dataOffset: Int
        /// The size its header declares: the object's, or for a delta the delta's.
        let size: Int
        /// 1-4 a whole commit, tree, blob or tag; 6 a delta against an earlier entry (`base` is
        /// that entry's offset); 7 a delta against an object named by id (`base` indexes
        /// `referencedBases`).
        let packType: UInt8
        let base: Int
        var crc: UInt32 = 0
        /// The object's type (1-4) once known: at once for a whole object, when resolved for a delta.
        var objectType: UInt8 = 0
    }

    /// Caps on what a sender may declare: every object is bounded, by count and by what a delta
    /// may make memory hold.
    struct Limits {
        /// Checked at the pack's header, before anything is reserved for its objects.
        var checkCount: (Int) throws -> Void = { _ in }
        /// The largest object a delta may rebuild in memory: git itself never deltifies objects
        /// over its core.bigFileThreshold (512 MiB by default). Kept under 4 GiB: zlib counts the
        /// bytes of an object read back in one go in 32 bits.
        var maxDeltaResult = 1 << 30 {
            didSet { maxDeltaResult = min(maxDeltaResult, Int(UInt32.max)) }
        }
    }

    let packDirectory: String
    let temporaryPath: String
    let descriptor: Int32
    let limits: Limits
    /// Bytes written to the temporary file so far.
    private(set) var length = 0
    /// Set here as entries arrive; a thin pack's missing bases are appended when it finishes.
    var entries: [Entry] = []
    /// Each entry's id, in entry order; a delta's is filled in when it is resolved.
    var ids: [GitOID] = []
    /// The ids REF_DELTA entries name as their bases.
    private(set) var referencedBases: [GitOID] = []
    /// The pack's checksum as it arrived (its last 20 bytes), once checked.
    private(set) var checksum: [UInt8] = []
    /// The object count the pack's header declares.
    private(set) var declaredCount = 0
    /// Whole objects hashed so far (a delta counts once resolved).
    var indexedCount = 0

    private enum Phase {
        case packHeader, entryHeader, entryData, trailer, done
    }

    private var phase = Phase.packHeader
    /// Received bytes not yet parsed, and where the first of them sits in the pack.
    private var pending: [UInt8] = []
    private var pendingStart = 0
    private var parsedOffset = 0
    private var packHash = dsnap_sha1_context()
    private var objectHash = dsnap_sha1_context()
    /// Allocated once: zlib keeps a pointer back to its stream, so the stream must not move.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var streamOpen = false
    private var inflated = 0
    private let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)

    /// Packs are written under PackWriter's temporary prefix: a killed dsnap's are removed alike.
    init(objectsDirectory: String, limits: Limits) throws {
        packDirectory = objectsDirectory + "/pack"
        if mkdir(packDirectory, 0o777) != 0 && errno != EEXIST {
            let error = errno
            output.deallocate()
            stream.deallocate()
            throw StorageError.fromErrno(error, path: packDirectory)
        }
        temporaryPath = TemporaryName.make(in: packDirectory, prefix: PackWriter.temporaryPrefix)
        descriptor = open(temporaryPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard descriptor >= 0 else {
            output.deallocate()
            stream.deallocate()
            throw StorageError.fromErrno(errno, path: temporaryPath)
        }
        self.limits = limits
        dsnap_sha1_init(&packHash)
    }

    deinit {
        if streamOpen { inflateEnd(stream) }
        stream.deallocate()
        output.deallocate()
        close(descriptor)
    }

    /// Removes the unfinished pack (the transfer failed or was refused).
    func discard() {
        unlink(temporaryPath)
    }

    /// Entries received whole so far.
    var receivedCount: Int { entries.count - (phase == .entryData ? 1 : 0) }

    /// The next bytes of the pack, as the transport hands them over.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard !bytes.isEmpty else { return }
        try FileWrite.all(descriptor, bytes, at: length, path: temporaryPath)
        length += bytes.count
        pending.append(contentsOf: bytes)
        defer {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
        while try step() {}
    }

    /// Parses what it can of `pending`; false when it needs more bytes.
    private func step() throws -> Bool {
        let available = pending.count - pendingStart
        switch phase {
        case .packHeader:
            guard available >= 12 else { return false }
            let header = Array(pending[pendingStart ..< pendingStart + 12])
            guard header[0 ..< 4].elementsEqual("PACK".utf8) else { throw Failure(reason: "what it sent is not a pack") }
            let version = Self.word(header, 4)
            guard version == 2 || version == 3 else { throw Failure(reason: "its pack has version \(version), not 2 or 3") }
            declaredCount = Int(Self.word(header, 8))
            try limits.checkCount(declaredCount)
            consume(12)
            phase = declaredCount == 0 ? .trailer : .entryHeader
            return true
        case .entryHeader:
            guard let header = try parseEntryHeader() else { return false }
            consume(header.length, crc: true)
            try beginEntry(header)
            return true
        case .entryData:
            return try inflateEntry()
        case .trailer:
            guard available >= 20 else { return false }
            var digest = [UInt8](repeating: 0, count: 20)
            dsnap_sha1_finish(&packHash, &digest)
            guard pending[pendingStart ..< pendingStart + 20].elementsEqual(digest) else {
                throw Failure(reason: "its pack's checksum does not match its content")
            }
            checksum = digest
            pendingStart += 20
            parsedOffset += 20
            phase = .done
            return true
        case .done:
            guard available == 0 else { throw Failure(reason: "it sent bytes past the end of its pack") }
            return false
        }
    }

    private struct EntryHeader {
        let length: Int
        let type: UInt8
        let size: Int
        let base: Int
    }

    /// The entry header at the start of `pending`, or nil when not all of it has arrived.
    private func parseEntryHeader() throws -> EntryHeader? {
        var position = pendingStart
        func next() -> UInt8? {
            guard position < pending.count else { return nil }
            defer { position += 1 }
            return pending[position]
        }
        guard var byte = next() else { return nil }
        let type = (byte >> 4) & 0x07
        var size = Int(byte & 0x0F)
        var shift = 4
        while byte & 0x80 != 0 {
            guard let more = next() else { return nil }
            byte = more
            guard shift <= 56 else { throw Failure(reason: "an entry of its pack declares a size past 64 bits") }
            size |= Int(byte & 0x7F) << shift
            shift += 7
        }
        var base = 0
        switch type {
        case 1, 2, 3, 4:
            break
        case 6:
            // The distance back to the base: 7 bits a byte, high bits first, each continuation
            // adding one (so that no two encodings mean the same distance).
            guard let first = next() else { return nil }
            byte = first
            var distance = Int(byte & 0x7F)
            while byte & 0x80 != 0 {
                guard let more = next() else { return nil }
                byte = more
                guard distance < (1 << 55) else { throw Failure(reason: "a delta of its pack names a base past 64 bits") }
                distance = ((distance + 1) << 7) | Int(byte & 0x7F)
            }
            // Entries start after the pack's 12-byte header (git's index-pack refuses offset 0).
            guard distance > 0, distance <= parsedOffset - 12 else {
                throw Failure(reason: "a delta of its pack names a base outside the pack")
            }
            base = parsedOffset - distance
        case 7:
            guard pending.count - position >= 20 else { return nil }
            referencedBases.append(GitOID(rawBytes: pending[position ..< position + 20]))
            position += 20
            base = referencedBases.count - 1
        default:
            throw Failure(reason: "an entry of its pack has the unknown type \(type)")
        }
        return EntryHeader(length: position - pendingStart, type: type, size: size, base: base)
    }

    private func beginEntry(_ header: EntryHeader) throws {
        guard entries.count < declaredCount else {
            throw Failure(reason: "its pack holds more entries than the \(declaredCount) its header declares")
        }
        entries.append(Entry(offset: parsedOffset - header.length, dataOffset: parsedOffset, size: header.size,
                             packType: header.type, base: header.base, crc: currentCRC,
                             objectType: header.type <= 4 ? header.type : 0))
        ids.append(GitOID.zero)
        if header.type <= 4 {
            dsnap_sha1_init(&objectHash)
            let prefix = Array("\(Self.typeNames[Int(header.type)]) \(header.size)\0".utf8)
            dsnap_sha1_update(&objectHash, prefix, prefix.count)
        }
        stream.initialize(to: z_stream())
        guard dsnap_inflate_init(stream) == Z_OK else { throw Failure(reason: "zlib cannot start (out of memory)") }
        streamOpen = true
        inflated = 0
        phase = .entryData
    }

    /// Feeds `pending` to the current entry's zlib stream; true once the stream has ended.
    private func inflateEntry() throws -> Bool {
        let available = pending.count - pendingStart
        guard available > 0 else { return false }
        var entry = entries[entries.count - 1]
        var ended = false
        var used = 0
        // zlib counts input in 32 bits: a larger hand-over is fed in parts (see `guard ended`).
        let fed = min(available, Int(uInt.max))
        try pending.withUnsafeMutableBytes { buffer in
            stream.pointee.next_in = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self) + pendingStart
            stream.pointee.avail_in = uInt(fed)
            repeat {
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(output.count)
                let status = inflate(stream, Z_NO_FLUSH)
                let produced = output.count - Int(stream.pointee.avail_out)
                inflated += produced
                guard inflated <= entry.size else {
                    throw Failure(reason: "an entry of its pack inflates past the \(entry.size) bytes it declares")
                }
                if entry.packType <= 4 && produced > 0 { dsnap_sha1_update(&objectHash, output.baseAddress!, produced) }
                switch status {
                case Z_STREAM_END: ended = true
                case Z_OK: break
                case Z_BUF_ERROR where stream.pointee.avail_in == 0: break
                default: throw Failure(reason: "an entry of its pack is not a valid zlib stream")
                }
            } while !ended && (stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0)
            used = fed - Int(stream.pointee.avail_in)
        }
        consume(used, crc: true)
        // Not ended: zlib took all it was fed, and wants what is left of `pending` or more.
        guard ended else { return used < available }
        guard inflated == entry.size else {
            throw Failure(reason: "an entry of its pack inflates to \(inflated) bytes where it declares \(entry.size)")
        }
        inflateEnd(stream)
        streamOpen = false
        entry.crc = currentCRC
        entries[entries.count - 1] = entry
        if entry.packType <= 4 {
            var digest = [UInt8](repeating: 0, count: 20)
            dsnap_sha1_finish(&objectHash, &digest)
            ids[ids.count - 1] = GitOID(rawBytes: digest)
            indexedCount += 1
        }
        phase = entries.count == declaredCount ? .trailer : .entryHeader
        return true
    }

    /// Whether every byte of the pack, its checksum included, has arrived.
    var isComplete: Bool { phase == .done }

    /// Where the entries end (the checksum starts) once the pack is complete.
    var entriesEnd: Int { length - 20 }

    // MARK: Parsing bookkeeping

    private var currentCRC: UInt32 = 0

    /// Marks `count` bytes of `pending` parsed: into the pack's checksum and, for an entry's
    /// bytes, its CRC (restarted at each entry header).
    private func consume(_ count: Int, crc: Bool = false) {
        guard count > 0 else { return }
        pending.withUnsafeBytes { buffer in
            let start = buffer.baseAddress! + pendingStart
            dsnap_sha1_update(&packHash, start, count)
            if crc {
                let restart = phase == .entryHeader
                currentCRC = UInt32(crc32(restart ? 0 : uLong(currentCRC), start.assumingMemoryBound(to: Bytef.self), uInt(count)))
            }
        }
        pendingStart += count
        parsedOffset += count
    }

    static let typeNames = ["", "commit", "tree", "blob", "tag"]

    static func word(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }
}

import Glibc

/// A read-only view of a git index file (`.dsnap/index`, versions 2 and 3), for the one question
/// libgit2 answers slowly: "does the work tree still match the index's stat cache?". libgit2 reads
/// the index into its own structures and compares through its diff machinery on one thread;
/// this keeps the file's bytes and reads each entry's fields in place (no string per entry).
///
/// Anything unusual (version 4's compressed paths, conflict stages, assume-valid or extended
/// flags, a truncated file) makes `read` return nil: callers then ask libgit2, which is always
/// right, only slower. The trailing checksum is not verified for the same reason: a damaged
/// entry can only look changed, and then libgit2 (which verifies) takes over.
struct IndexFile: Sendable {
    /// The file's bytes. Every entry's path is followed by at least one NUL, so a pointer to a
    /// path (or to its last component) is a C string.
    let bytes: [UInt8]
    /// Where each entry starts in `bytes`.
    let entryOffsets: [Int]
    /// The length of each entry's path, in bytes.
    let pathLengths: [Int]
    /// The root tree the index holds, when the index's tree cache (`TREE` extension) is valid.
    let cachedRootTree: GitOID?
    /// When the index file was last written: an entry modified at or after it may have changed
    /// without its stat showing it ("racy git"), so it must be compared by content.
    let modified: timespec

    /// The entries' fixed fields, at these offsets from an entry's start (32-bit big-endian).
    enum Field: Int {
        case ctimeSeconds = 0, ctimeNanoseconds = 4, mtimeSeconds = 8, mtimeNanoseconds = 12
        case inode = 20, mode = 24, uid = 28, gid = 32, size = 36
    }
    /// Where an entry's path starts, from the entry's start.
    static let pathOffset = 62

    var count: Int { entryOffsets.count }

    func field(_ field: Field, of entry: Int) -> UInt32 {
        Self.word(bytes, entryOffsets[entry] + field.rawValue)
    }

    func path(_ entry: Int) -> String {
        let start = entryOffsets[entry] + Self.pathOffset
        return PathBytes.string(bytes[start..<start + pathLengths[entry]])
    }

    /// The images and videos among the regular files (links and submodules are not media).
    var mediaCounts: MediaCounts {
        var counts = MediaCounts()
        for entry in 0..<count {
            let mode = field(.mode, of: entry)
            guard mode == 0o100644 || mode == 0o100755 else { continue }
            let start = entryOffsets[entry] + Self.pathOffset
            counts.add(FileClass(utf8: bytes[start..<start + pathLengths[entry]]))
        }
        return counts
    }

    static func read(path: String) -> IndexFile? {
        guard let (bytes, info) = WholeFile.read(path), bytes.count >= 12 + 20 else { return nil }
        return parse(bytes, modified: info.st_mtim)
    }

    static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        PackIndex.word(bytes, offset)
    }

    private static func parse(_ bytes: [UInt8], modified: timespec) -> IndexFile? {
        let end = bytes.count - 20   // the trailing checksum
        guard bytes[0] == 0x44, bytes[1] == 0x49, bytes[2] == 0x52, bytes[3] == 0x43 else { return nil }   // "DIRC"
        let version = word(bytes, 4)
        guard version == 2 || version == 3 else { return nil }
        let count = Int(word(bytes, 8))
        var offsets: [Int] = []
        var lengths: [Int] = []
        offsets.reserveCapacity(count)
        lengths.reserveCapacity(count)
        var offset = 12
        for _ in 0..<count {
            guard offset + pathOffset <= end else { return nil }
            let flags = UInt16(bytes[offset + 60]) << 8 | UInt16(bytes[offset + 61])
            // assume-valid (0x8000), extended (0x4000), or a conflict stage: libgit2 decides.
            guard flags & 0xF000 == 0 else { return nil }
            let nameStart = offset + pathOffset
            var nameEnd = nameStart + Int(flags & 0x0FFF)
            if flags & 0x0FFF == 0x0FFF {   // a long name: NUL-terminated
                nameEnd = nameStart
                while nameEnd < end && bytes[nameEnd] != 0 { nameEnd += 1 }
            }
            guard nameEnd < end, bytes[nameEnd] == 0 else { return nil }
            offsets.append(offset)
            lengths.append(nameEnd - nameStart)
            // Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
            offset += (pathOffset + (nameEnd - nameStart) + 8) & ~7
        }
        guard offset <= end, !hasSplitIndexLink(bytes, from: offset, to: end) else { return nil }
        return IndexFile(bytes: bytes, entryOffsets: offsets, pathLengths: lengths,
                         cachedRootTree: rootTree(bytes, from: offset, to: end), modified: modified)
    }

    /// Every tree id the index's cache tree (`TREE` extension) names, at any depth, read from the
    /// file at `path`: git checks them all in fsck, so gc must keep them. Empty when there is no
    /// index; nil when it cannot be read (version 4, damaged), and then the caller must assume
    /// any tree may be named. Each cache-tree entry is `path NUL count SP subtrees LF [id]`, the
    /// id present unless the count is -1 (invalidated).
    static func cacheTreeIDs(path: String) -> [GitOID]? {
        guard access(path, F_OK) == 0 else { return [] }
        guard let (bytes, _) = WholeFile.read(path) else { return nil }
        let end = bytes.count - 20   // the trailing checksum
        guard end >= 12, bytes[0] == 0x44, bytes[1] == 0x49, bytes[2] == 0x52, bytes[3] == 0x43 else { return nil }
        let version = word(bytes, 4)
        guard version == 2 || version == 3 else { return nil }
        var offset = 12
        for _ in 0..<Int(word(bytes, 8)) {
            guard offset + pathOffset <= end else { return nil }
            let flags = UInt16(bytes[offset + 60]) << 8 | UInt16(bytes[offset + 61])
            let extended = version == 3 && flags & 0x4000 != 0 ? 2 : 0
            var nameEnd = offset + pathOffset + extended
            while nameEnd < end && bytes[nameEnd] != 0 { nameEnd += 1 }
            guard nameEnd < end else { return nil }
            offset += (pathOffset + extended + (nameEnd - offset - pathOffset - extended) + 8) & ~7
        }
        var ids: [GitOID] = []
        while offset + 8 <= end {
            let size = Int(word(bytes, offset + 4))
            let data = offset + 8
            guard data + size <= end else { return nil }
            if bytes[offset..<offset + 4].elementsEqual("TREE".utf8) {
                var cursor = data
                while cursor < data + size {
                    while cursor < data + size && bytes[cursor] != 0 { cursor += 1 }   // the path
                    cursor += 1
                    let invalid = cursor < data + size && bytes[cursor] == 0x2D          // "-1"
                    while cursor < data + size && bytes[cursor] != 0x0A { cursor += 1 }
                    cursor += 1
                    if invalid { continue }
                    guard cursor + 20 <= data + size else { return nil }
                    ids.append(GitOID(rawBytes: bytes[cursor..<cursor + 20]))
                    cursor += 20
                }
            }
            offset = data + size
        }
        return ids
    }

    /// Whether the index is split (`link` extension): its entries live partly in a shared file.
    private static func hasSplitIndexLink(_ bytes: [UInt8], from start: Int, to end: Int) -> Bool {
        var offset = start
        while offset + 8 <= end {
            if bytes[offset..<offset + 4].elementsEqual("link".utf8) { return true }
            offset += 8 + Int(word(bytes, offset + 4))
        }
        return false
    }

    /// The root entry of the `TREE` extension: `NUL entry-count SP subtree-count LF [20-byte id]`,
    /// where an entry count of -1 means "invalidated since the tree was last written".
    private static func rootTree(_ bytes: [UInt8], from start: Int, to end: Int) -> GitOID? {
        var offset = start
        while offset + 8 <= end {
            let size = Int(word(bytes, offset + 4))
            let data = offset + 8
            guard data + size <= end else { return nil }
            let isTree = bytes[offset] == 0x54 && bytes[offset + 1] == 0x52 && bytes[offset + 2] == 0x45
                && bytes[offset + 3] == 0x45   // "TREE"
            if isTree {
                guard size > 0, bytes[data] == 0 else { return nil }   // the root's path is empty
                var cursor = data + 1
                guard cursor < data + size, bytes[cursor] != 0x2D else { return nil }   // "-1": invalid
                while cursor < data + size && bytes[cursor] != 0x0A { cursor += 1 }
                cursor += 1
                guard cursor + 20 <= data + size else { return nil }
                return GitOID(rawBytes: bytes[cursor..<cursor + 20])
            }
            offset = data + size
        }
        return nil
    }
}

import CObjectCodec
import Glibc

/// Index entries libgit2 cannot write, added to the index file it wrote without them.
///
/// libgit2 1.5 writes the index through an 8 KiB buffer (`git_filebuf`) and refuses, with no
/// message, an entry that does not fit: a path longer than about 8,100 bytes, which the file
/// system holds (`PathLimit`) and git's index format allows (a name length of 0xFFF says "read
/// to the NUL"). `GitIndex.write` leaves such entries out of libgit2's write and has them put
/// in here, in git's order, under `index.lock` as git and libgit2 write it. The tree cache
/// (`TREE`) is dropped: it no longer counts the entries right, and without it every reader
/// compares the work tree the slow, exact way.
enum IndexFileLongEntries {
    /// One entry, its fields as git's index stores them.
    struct Entry {
        /// ctime s, ctime ns, mtime s, mtime ns, dev, ino, mode, uid, gid, size.
        let words: [UInt32]
        let id: [UInt8]
        let stage: UInt16
        let path: [UInt8]

        /// The entry as index versions 2 and 3 lay it out (no extended flags), NUL-padded to
        /// a multiple of 8 bytes.
        var serialized: [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(IndexFile.pathOffset + path.count + 8)
            for word in words { bytes += [UInt8(word >> 24), UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)] }
            bytes += id
            let flags = stage << 12 | UInt16(min(path.count, 0xFFF))
            bytes += [UInt8(flags >> 8), UInt8(flags & 0xFF)]
            bytes += path
            let length = IndexFile.pathOffset + path.count
            bytes += [UInt8](repeating: 0, count: ((length + 8) & ~7) - length)
            return bytes
        }
    }

    /// Adds `entries` to the index file at `path`, atomically.
    static func add(_ entries: [Entry], toIndexAt path: String) throws {
        let lock = path + ".lock"
        let descriptor = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: lock) }
        do {
            defer { close(descriptor) }
            guard let old = WholeFile.read(path)?.bytes, let new = adding(entries, to: old) else {
                throw StorageError.corrupt(detail: "the index '\(path)' could not be read back")
            }
            try FileWrite.all(descriptor, new, path: lock)
        } catch {
            unlink(lock)
            throw error
        }
        guard rename(lock, path) == 0 else {
            let failure = errno
            unlink(lock)
            throw StorageError.fromErrno(failure, path: path)
        }
    }

    /// The index file `bytes` with `entries` added in order; nil when it is not an index of
    /// version 2 or 3.
    static func adding(_ entries: [Entry], to bytes: [UInt8]) -> [UInt8]? {
        let end = bytes.count - 20
        guard end >= 12, bytes[0..<4].elementsEqual("DIRC".utf8) else { return nil }
        let version = IndexFile.word(bytes, 4)
        guard version == 2 || version == 3 else { return nil }
        // Each entry as its path, stage and bytes.
        var existing: [(path: ArraySlice<UInt8>, stage: UInt16, range: Range<Int>)] = []
        var offset = 12
        for _ in 0..<Int(IndexFile.word(bytes, 8)) {
            guard offset + IndexFile.pathOffset <= end else { return nil }
            let flags = UInt16(bytes[offset + 60]) << 8 | UInt16(bytes[offset + 61])
            let extended = version == 3 && flags & 0x4000 != 0 ? 2 : 0
            let pathStart = offset + IndexFile.pathOffset + extended
            var pathEnd = pathStart
            while pathEnd < end && bytes[pathEnd] != 0 { pathEnd += 1 }
            guard pathEnd < end else { return nil }
            let next = offset + ((IndexFile.pathOffset + extended + (pathEnd - pathStart) + 8) & ~7)
            existing.append((bytes[pathStart..<pathEnd], flags >> 12 & 0x3, offset..<next))
            offset = next
        }
        var result = Array(bytes[0..<12])
        let count = UInt32(existing.count + entries.count)
        result.replaceSubrange(8..<12, with: [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)])
        let added = entries.sorted { ($0.path, $0.stage) < ($1.path, $1.stage) }
        var next = 0
        for entry in existing {
            while next < added.count, (added[next].path, added[next].stage) < (Array(entry.path), entry.stage) {
                result += added[next].serialized
                next += 1
            }
            result += bytes[entry.range]
        }
        while next < added.count {
            result += added[next].serialized
            next += 1
        }
        // Extensions: all but the tree cache and those holding offsets into the entries.
        while offset + 8 <= end {
            let size = Int(IndexFile.word(bytes, offset + 4))
            guard offset + 8 + size <= end else { return nil }
            let signature = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            if !["TREE", "EOIE", "IEOT"].contains(signature) { result += bytes[offset..<offset + 8 + size] }
            offset += 8 + size
        }
        var context = dsnap_sha1_context()
        dsnap_sha1_init(&context)
        result.withUnsafeBytes { dsnap_sha1_update(&context, $0.baseAddress!, $0.count) }
        var digest = [UInt8](repeating: 0, count: 20)
        dsnap_sha1_finish(&context, &digest)
        return result + digest
    }
}

private func < (left: ([UInt8], UInt16), right: ([UInt8], UInt16)) -> Bool {
    left.0 == right.0 ? left.1 < right.1 : left.0.lexicographicallyPrecedes(right.0)
}

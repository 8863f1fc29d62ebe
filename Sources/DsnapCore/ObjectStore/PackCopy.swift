import FoundationEssentials
import Glibc

/// Copies packed objects into another repository as packs, without decompressing them: a pack
/// whose every object is wanted is hard-linked whole (with its index); from any other pack, the
/// wanted entries' bytes are copied into a new pack. Deltas (packs made by `git gc`) cannot be
/// copied alone: they are returned for the caller to copy object by object.
enum PackCopy {
    struct Outcome {
        var packsLinked = 0
        var objectsLinked = 0
        var objectsCopied = 0
        /// Objects this could not copy: in no pack, or stored as deltas.
        var left: [GitOID] = []
    }

    static func copy(_ ids: [GitOID], from sourceObjects: String, to targetObjects: String) throws -> Outcome {
        var outcome = Outcome()
        let packs = PackIndex.all(in: sourceObjects)
        var wanted = [[Int]](repeating: [], count: packs.count)
        for id in ids {
            guard let (pack, position) = packs.enumerated().lazy
                .compactMap({ pack in pack.element.position(of: id).map { (pack.offset, $0) } }).first else {
                outcome.left.append(id)
                continue
            }
            wanted[pack].append(position)
        }
        for (pack, positions) in zip(packs, wanted) where !positions.isEmpty {
            if positions.count == pack.count, try link(pack, into: targetObjects + "/pack") {
                outcome.packsLinked += 1
                outcome.objectsLinked += positions.count
                continue
            }
            let (copied, deltas) = try copyEntries(positions, of: pack, into: targetObjects)
            outcome.objectsCopied += copied
            outcome.left += deltas.map { GitOID(rawBytes: pack.id(at: $0)) }
        }
        return outcome
    }

    /// Hard-links the pack and its index; false when the file systems differ (then copy entries).
    private static func link(_ pack: PackIndex, into folder: String) throws -> Bool {
        if mkdir(folder, 0o777) != 0 && errno != EEXIST { throw StorageError.fromErrno(errno, path: folder) }
        let indexPath = String(pack.packPath.dropLast(5)) + ".idx"
        for source in [pack.packPath, indexPath] {
            let target = folder + "/" + source.lastPathComponent
            if Glibc.link(source, target) == 0 || errno == EEXIST { continue }
            if errno == EXDEV || errno == EPERM || errno == EMLINK { return false }
            throw StorageError.fromErrno(errno, path: target)
        }
        return true
    }

    /// Copies the entries at `positions` into a new pack; returns how many, and the positions
    /// that hold deltas (which need their base and cannot be copied alone).
    private static func copyEntries(_ positions: [Int], of pack: PackIndex,
                                    into targetObjects: String) throws -> (Int, [Int]) {
        let descriptor = open(pack.packPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: pack.packPath) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw StorageError.fromErrno(errno, path: pack.packPath) }
        // An entry ends where the next one (by offset) starts, or at the trailing checksum.
        let starts = (0..<pack.count).map { pack.offset(at: $0) }.sorted()
        let packEnd = Int(info.st_size) - 20
        func end(of start: Int) -> Int {
            var low = 0
            var high = starts.count
            while low < high {
                let middle = (low + high) / 2
                if starts[middle] <= start { low = middle + 1 } else { high = middle }
            }
            return low < starts.count ? starts[low] : packEnd
        }
        let writer = try PackWriter(objectsDirectory: targetObjects)
        var deltas: [Int] = []
        var copied = 0
        var buffer: [UInt8] = []
        do {
            for position in positions {
                let start = pack.offset(at: position)
                let length = end(of: start) - start
                guard length > 0 else { throw StorageError.corrupt(detail: "an entry of '\(pack.packPath)' is empty") }
                buffer = [UInt8](repeating: 0, count: length)
                let filled = try buffer.withUnsafeMutableBytes {
                    try FileRead.fill(descriptor, $0, at: start, path: pack.packPath)
                }
                guard filled == length else { throw StorageError.fromErrno(EIO, path: pack.packPath) }
                // Types 1-4 are whole objects; 6 and 7 are deltas against another object.
                let type = (buffer[0] >> 4) & 0x07
                guard (1...4).contains(type) else {
                    deltas.append(position)
                    continue
                }
                try buffer.withUnsafeBytes {
                    try writer.appendRawEntry(id: GitOID(rawBytes: pack.id(at: position)), bytes: $0, crc: pack.crc(at: position))
                }
                copied += 1
            }
            try writer.finish()
        } catch {
            writer.discard()
            throw error
        }
        return (copied, deltas)
    }
}

import Glibc

/// The dataset's packs as a push sends from them: an object stored whole in one is copied as it
/// is stored, and weighed by its entry's length without being read.
final class PackedEntries {
    private let packs: [PackIndex]
    private var descriptors: [Int: Int32] = [:]
    /// Each pack's entry offsets in pack order, to find where an entry ends.
    private var starts: [Int: [Int]] = [:]
    private var sizes: [Int: Int] = [:]

    init(objectsDirectory: String) {
        packs = PackIndex.all(in: objectsDirectory)
    }

    func close() {
        for descriptor in descriptors.values { Glibc.close(descriptor) }
        descriptors = [:]
    }

    /// How many bytes `id` takes in a push's pack, without reading it: a packed entry's length
    /// (copied as it is), else a loose object's size (sent as stored blocks); 0 when it is in
    /// neither. For sizing a push's batches: an estimate that reads nothing of a packed object.
    func sentSize(of id: GitOID, objectsDirectory: String) throws -> Int64 {
        for (number, pack) in packs.enumerated() {
            guard let position = pack.position(of: id) else { continue }
            _ = try open(number)
            let start = pack.offset(at: position)
            return Int64(try end(of: start, in: number) - start)
        }
        let path = id.looseObjectPath(in: objectsDirectory).file
        return Int64(try LooseObjectInflater.header(path: path, id: id)?.size ?? 0)
    }

    /// Copies `id`'s entry when a pack holds it whole; false otherwise (not packed, or a delta).
    func copyWhole(_ id: GitOID, to output: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        for (number, pack) in packs.enumerated() {
            guard let position = pack.position(of: id) else { continue }
            let descriptor = try open(number)
            let start = pack.offset(at: position)
            let end = try self.end(of: start, in: number)
            guard end > start else { throw StorageError.corrupt(detail: "an entry of '\(pack.packPath)' is empty") }
            // Read in pieces: a video fetched from a server sits whole in a pack.
            var piece = [UInt8](repeating: 0, count: min(end - start, 1 << 20))
            var offset = start
            while offset < end {
                let count = min(piece.count, end - offset)
                let filled = try piece.withUnsafeMutableBytes {
                    try FileRead.fill(descriptor, UnsafeMutableRawBufferPointer(rebasing: $0[..<count]), at: offset, path: pack.packPath)
                }
                guard filled == count else { throw StorageError.fromErrno(EIO, path: pack.packPath) }
                // Types 1-4 are whole objects; 6 and 7 are deltas against another object.
                if offset == start, !(1...4).contains((piece[0] >> 4) & 0x07) { return false }
                try piece.withUnsafeBytes { try output(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                offset += count
            }
            return true
        }
        return false
    }

    private func open(_ number: Int) throws -> Int32 {
        if let descriptor = descriptors[number] { return descriptor }
        let path = packs[number].packPath
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: path) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            Glibc.close(descriptor)
            throw StorageError.fromErrno(errno, path: path)
        }
        descriptors[number] = descriptor
        sizes[number] = Int(info.st_size)
        return descriptor
    }

    /// Where the entry starting at `start` ends: at the next entry, or at the trailing checksum.
    private func end(of start: Int, in number: Int) throws -> Int {
        if starts[number] == nil {
            let pack = packs[number]
            starts[number] = (0..<pack.count).map { pack.offset(at: $0) }.sorted()
        }
        let offsets = starts[number]!
        var low = 0
        var high = offsets.count
        while low < high {
            let middle = (low + high) / 2
            if offsets[middle] <= start { low = middle + 1 } else { high = middle }
        }
        return low < offsets.count ? offsets[low] : (sizes[number] ?? 0) - 20
    }
}

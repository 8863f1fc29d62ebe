import CObjectCodec
import Glibc

/// The end of a received pack: its deltas resolved, a thin pack completed, its index written, and
/// both files renamed into place (git and libgit2 see a pack only once its index is there).
extension ReceivedPack {
    /// A whole object from the local store, by id: the base of a thin pack's delta (a server
    /// sends deltas against objects the fetcher has, and leaves those out). Its type is 1-4.
    typealias LocalObject = (GitOID) throws -> (type: UInt8, content: [UInt8])?

    /// The most bytes one chain of deltas may hold in memory while it is resolved.
    static let chainBudget = 2 << 30

    /// Resolves, completes, indexes and renames the pack. Returns its path, or nil when it held
    /// no object (nothing is left behind).
    @discardableResult
    func finish(localObject: LocalObject) throws -> String? {
        guard isComplete else {
            throw Failure(reason: "its pack ends after \(receivedCount) of the \(declaredCount) objects it declares")
        }
        guard !entries.isEmpty else {
            discard()
            return nil
        }
        var end = entriesEnd
        try resolveDeltas(localObject: localObject, end: &end)
        var packChecksum = checksum
        if end != entriesEnd {
            // Bases were appended: a pack on disk must hold every base of its deltas.
            guard let total = UInt32(exactly: entries.count) else {
                throw Failure(reason: "its pack and the bases it lacks make \(entries.count) objects, more than a pack holds")
            }
            let count = total.bigEndian
            try withUnsafeBytes(of: count) { try FileWrite.all(descriptor, $0, at: 8, path: temporaryPath) }
            packChecksum = try PackIndexWriter.checksum(of: descriptor, size: end, path: temporaryPath)
            try FileWrite.all(descriptor, packChecksum, at: end, path: temporaryPath)
            guard ftruncate(descriptor, off_t(end + 20)) == 0 else { throw StorageError.fromErrno(errno, path: temporaryPath) }
        }
        var indexed = entries.indices.map { PackWriter.Entry(id: ids[$0], offset: entries[$0].offset, crc: entries[$0].crc) }
        indexed.sort { $0.id < $1.id }
        for position in indexed.indices.dropFirst() where indexed[position].id == indexed[position - 1].id {
            throw Failure(reason: "its pack holds object \(indexed[position].id.hex) twice")
        }
        let name = packDirectory + "/pack-" + GitOID(rawBytes: packChecksum).hex
        let temporaryIndex = temporaryPath + ".idx"
        do {
            try PackIndexWriter.write(indexed, packChecksum: packChecksum, to: temporaryIndex)
            guard rename(temporaryPath, name + ".pack") == 0 else { throw StorageError.fromErrno(errno, path: name + ".pack") }
            guard rename(temporaryIndex, name + ".idx") == 0 else { throw StorageError.fromErrno(errno, path: name + ".idx") }
        } catch {
            unlink(temporaryIndex)
            throw error
        }
        return name + ".pack"
    }

    /// Gives every delta its id and type. Whole objects with deltas against them are read back
    /// once each; each chain of deltas is walked depth first, holding only the objects on the
    /// way down.
    private func resolveDeltas(localObject: LocalObject, end: inout Int) throws {
        let deltaCount = entries.count - indexedCount
        guard deltaCount > 0 else { return }
        var children = DeltaChildren()
        for position in entries.indices {
            let entry = entries[position]
            if entry.packType == 6 {
                guard let base = self.position(ofEntryAt: entry.base) else {
                    throw Failure(reason: "a delta of its pack names a base where no entry starts")
                }
                children.byPosition[base, default: []].append(position)
            } else if entry.packType == 7 {
                children.byID[referencedBases[entry.base], default: []].append(position)
            }
        }
        var resolved = 0
        for position in entries.indices where entries[position].packType <= 4 && children.has(position, ids[position]) {
            resolved += try resolveChain(from: position, content: try readBack(position, end: end), children: &children)
        }
        // What is left hangs off objects the pack lacks: a thin pack, completed from the local store.
        while let baseID = children.byID.keys.first {
            guard let local = try localObject(baseID), (1...4).contains(local.type) else {
                throw Failure(reason: "a delta of its pack names a base, \(baseID.hex), that neither it nor this dataset holds")
            }
            // As for a base in the pack (`readBack`): the delta could not rebuild from a larger one.
            guard local.content.count <= limits.maxDeltaResult else {
                throw Self.baseOverCap(baseID, size: local.content.count, cap: limits.maxDeltaResult)
            }
            let position = try appendWhole(id: baseID, type: local.type, content: local.content, end: &end)
            resolved += try resolveChain(from: position, content: local.content, children: &children)
        }
        guard resolved == deltaCount else {
            throw Failure(reason: "\(deltaCount - resolved) deltas of its pack cannot be resolved (their bases form a cycle)")
        }
    }

    /// The refusal of a thin pack's base that this dataset holds but that exceeds the cap on what a
    /// delta may rebuild (`Limits.maxDeltaResult`): no delta git sends rests on one.
    static func baseOverCap(_ id: GitOID, size: Int, cap: Int) -> Failure {
        Failure(reason: "a delta of its pack names as its base \(id.hex), \(size) bytes here, over the cap of \(cap)")
    }

    /// The deltas waiting for each base, taken away as they are resolved.
    private struct DeltaChildren {
        var byPosition: [Int: [Int]] = [:]
        var byID: [GitOID: [Int]] = [:]

        func has(_ position: Int, _ id: GitOID) -> Bool { byPosition[position] != nil || byID[id] != nil }

        mutating func take(_ position: Int, _ id: GitOID) -> [Int] {
            (byPosition.removeValue(forKey: position) ?? []) + (byID.removeValue(forKey: id) ?? [])
        }
    }

    /// Resolves every delta that rests, directly or through others, on the entry at `root`
    /// (whose content is `content`); returns how many.
    private func resolveChain(from root: Int, content: [UInt8], children: inout DeltaChildren) throws -> Int {
        struct Frame {
            let position: Int
            let content: [UInt8]
            var waiting: [Int]
        }
        var stack = [Frame(position: root, content: content, waiting: children.take(root, ids[root]))]
        var held = content.count
        var resolved = 0
        while var top = stack.popLast() {
            guard let child = top.waiting.popLast() else {
                held -= top.content.count
                continue
            }
            stack.append(top)
            let delta = try readBack(child, end: nil)
            let result: [UInt8]
            do {
                result = try delta.withUnsafeBytes { delta in
                    try top.content.withUnsafeBytes { base in try DeltaPatch.apply(delta, to: base, maxResult: limits.maxDeltaResult) }
                }
            } catch let failure as DeltaPatch.Failure {
                throw Failure(reason: failure.reason)
            }
            let type = entries[top.position].objectType
            ids[child] = result.withUnsafeBytes { Self.objectID(type: type, content: $0) }
            entries[child].objectType = type
            resolved += 1
            indexedCount += 1
            let waiting = children.take(child, ids[child])
            guard !waiting.isEmpty else { continue }
            held += result.count
            guard held <= Self.chainBudget else {
                throw Failure(reason: "a chain of deltas in its pack would hold more than \(Self.chainBudget >> 30) GiB in memory")
            }
            stack.append(Frame(position: child, content: result, waiting: waiting))
        }
        return resolved
    }

    /// The entry starting at pack offset `offset`, by binary search (entries are in pack order).
    private func position(ofEntryAt offset: Int) -> Int? {
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].offset == offset { return middle }
            if entries[middle].offset < offset { low = middle + 1 } else { high = middle }
        }
        return nil
    }

    /// The inflated data of entry `position` (a whole object's content, or a delta), read back
    /// from the file. `end`: where the entries end when the entry may be the last.
    private func readBack(_ position: Int, end: Int?) throws -> [UInt8] {
        let entry = entries[position]
        guard entry.size <= limits.maxDeltaResult else {
            throw Failure(reason: "a delta of its pack, or its base, is \(entry.size) bytes, over the cap of \(limits.maxDeltaResult)")
        }
        let stop = position + 1 < entries.count ? entries[position + 1].offset : (end ?? entriesEnd)
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard dsnap_inflate_init(stream) == Z_OK else { throw Failure(reason: "zlib cannot start (out of memory)") }
        defer { inflateEnd(stream) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: min(1 << 20, max(1, stop - entry.dataOffset)), alignment: 16)
        defer { chunk.deallocate() }
        var offset = entry.dataOffset
        var ended = false
        let content = try [UInt8](unsafeUninitializedCapacity: entry.size) { buffer, written in
            stream.pointee.next_out = buffer.baseAddress
            stream.pointee.avail_out = uInt(entry.size)
            while !ended && offset < stop {
                let count = try FileRead.fill(descriptor, UnsafeMutableRawBufferPointer(rebasing: chunk[..<min(chunk.count, stop - offset)]),
                                              at: offset, path: temporaryPath)
                guard count > 0 else { break }
                offset += count
                stream.pointee.next_in = chunk.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(count)
                let status = inflate(stream, Z_NO_FLUSH)
                if status == Z_STREAM_END { ended = true } else if status != Z_OK && status != Z_BUF_ERROR { break }
            }
            written = entry.size - Int(stream.pointee.avail_out)
        }
        guard ended, content.count == entry.size else {
            throw Failure(reason: "an entry of its pack reads back damaged")
        }
        return content
    }

    /// Appends a whole object at `end` (over the old checksum) and returns its entry's position.
    private func appendWhole(id: GitOID, type: UInt8, content: [UInt8], end: inout Int) throws -> Int {
        let header = PackEntryHeader.encode(type: type, size: content.count)
        let compressed = try Self.compress(content)
        let bytes = header + compressed
        try FileWrite.all(descriptor, bytes, at: end, path: temporaryPath)
        let crc = bytes.withUnsafeBytes { UInt32(crc32(0, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt($0.count))) }
        var entry = Entry(offset: end, dataOffset: end + header.count, size: content.count, packType: type, base: 0)
        entry.crc = crc
        entry.objectType = type
        entries.append(entry)
        ids.append(id)
        end += bytes.count
        return entries.count - 1
    }

    /// `content` as one zlib stream (level 1: thin bases are small, and speed matters more).
    private static func compress(_ content: [UInt8]) throws -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard dsnap_deflate_init(stream, 1) == Z_OK else { throw Failure(reason: "zlib cannot start (out of memory)") }
        defer { deflateEnd(stream) }
        let bound = Int(deflateBound(stream, uLong(content.count)))
        var source = content
        return try [UInt8](unsafeUninitializedCapacity: bound) { buffer, written in
            try source.withUnsafeMutableBytes { input in
                stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(input.count)
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(bound)
                guard deflate(stream, Z_FINISH) == Z_STREAM_END else { throw Failure(reason: "zlib cannot compress a base") }
            }
            written = bound - Int(stream.pointee.avail_out)
        }
    }

    /// The git id of an object: SHA-1 of `TYPE SIZE\0` and the content.
    static func objectID(type: UInt8, content: UnsafeRawBufferPointer) -> GitOID {
        var context = dsnap_sha1_context()
        dsnap_sha1_init(&context)
        let prefix = Array("\(typeNames[Int(type)]) \(content.count)\0".utf8)
        dsnap_sha1_update(&context, prefix, prefix.count)
        if let base = content.baseAddress { dsnap_sha1_update(&context, base, content.count) }
        var digest = [UInt8](repeating: 0, count: 20)
        dsnap_sha1_finish(&context, &digest)
        return GitOID(rawBytes: digest)
    }
}

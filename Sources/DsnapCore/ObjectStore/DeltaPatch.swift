/// Git's delta format (gitformat-pack(5), "Deltified representation"): how a pack entry of type
/// OFS_DELTA or REF_DELTA rebuilds an object from its base. A delta is the base's size and the
/// result's size (7 bits a byte, low bits first), then instructions: a byte with its high bit set
/// copies a run of the base (bits 0-3 say which offset bytes follow, bits 4-6 which size bytes;
/// a size of 0 means 0x10000), a byte 1-127 inserts that many literal bytes after it, a byte 0
/// is reserved. Every instruction is checked against both sizes: a hostile delta fails with a
/// reason, never reads past its base or writes past its result.
enum DeltaPatch {
    struct Failure: Error {
        let reason: String
    }

    /// The base's and the result's sizes the delta declares, and where its instructions start.
    static func sizes(of delta: UnsafeRawBufferPointer) throws -> (base: Int, result: Int, instructions: Int) {
        var position = 0
        let base = try varint(delta, &position)
        let result = try varint(delta, &position)
        return (base, result, position)
    }

    /// The object `delta` rebuilds from `base`; `maxResult` bounds the size it may declare.
    static func apply(_ delta: UnsafeRawBufferPointer, to base: UnsafeRawBufferPointer, maxResult: Int) throws -> [UInt8] {
        let (baseSize, resultSize, start) = try sizes(of: delta)
        guard baseSize == base.count else {
            throw Failure(reason: "a delta expects a base of \(baseSize) bytes, its base has \(base.count)")
        }
        guard resultSize <= maxResult else {
            throw Failure(reason: "a delta would rebuild an object of \(resultSize) bytes, over the cap of \(maxResult)")
        }
        // Nor more than its instructions can make: at most 16 MiB per 4-byte copy, under 4 MiB a
        // byte; a few hostile bytes then cannot have the result's memory reserved.
        guard resultSize <= (delta.count - start) << 22 else {
            throw Failure(reason: "a delta declares \(resultSize) bytes, more than its \(delta.count - start) bytes of instructions make")
        }
        return try [UInt8](unsafeUninitializedCapacity: resultSize) { output, written in
            var position = start
            while position < delta.count {
                let instruction = delta[position]
                position += 1
                if instruction & 0x80 != 0 {
                    var offset = 0
                    var size = 0
                    for bit in 0..<4 where instruction & (1 << bit) != 0 {
                        guard position < delta.count else { throw Failure(reason: "a delta's copy instruction is cut short") }
                        offset |= Int(delta[position]) << (8 * bit)
                        position += 1
                    }
                    for bit in 0..<3 where instruction & (0x10 << bit) != 0 {
                        guard position < delta.count else { throw Failure(reason: "a delta's copy instruction is cut short") }
                        size |= Int(delta[position]) << (8 * bit)
                        position += 1
                    }
                    if size == 0 { size = 0x10000 }
                    guard offset + size <= base.count, written + size <= resultSize else {
                        throw Failure(reason: "a delta copies past the end of its base or its result")
                    }
                    (output.baseAddress! + written).update(from: base.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset,
                                                           count: size)
                    written += size
                } else if instruction != 0 {
                    let size = Int(instruction)
                    guard position + size <= delta.count, written + size <= resultSize else {
                        throw Failure(reason: "a delta inserts past the end of its data or its result")
                    }
                    (output.baseAddress! + written).update(from: delta.baseAddress!.assumingMemoryBound(to: UInt8.self) + position,
                                                           count: size)
                    position += size
                    written += size
                } else {
                    throw Failure(reason: "a delta holds the reserved instruction 0")
                }
            }
            guard written == resultSize else {
                throw Failure(reason: "a delta rebuilds \(written) bytes where it declares \(resultSize)")
            }
        }
    }

    /// A size: 7 bits a byte, low bits first, high bit set on every byte but the last.
    private static func varint(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) throws -> Int {
        var value = 0
        var shift = 0
        while true {
            guard position < bytes.count else { throw Failure(reason: "a delta's header is cut short") }
            let byte = bytes[position]
            position += 1
            guard shift <= 56 else { throw Failure(reason: "a delta declares a size past 64 bits") }
            value |= Int(byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0 { return value }
        }
    }
}

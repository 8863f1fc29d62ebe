import Clibgit2
import Glibc

/// Streams a loose object (`objects/xx/yyyy…`, zlib of `TYPE SIZE\0CONTENT`) in bounded memory.
///
/// libgit2 1.5's own read stream maps the whole object file into memory, so reading a 2 GiB video
/// through it grows the process to 2 GiB; this reads the file and inflates it 1 MiB at a time.
struct LooseObjectReader {
    static let chunkSize = 1 << 20

    /// Calls `consume` with the content of the loose object at `path`, in order; returns its size,
    /// or nil when there is no such file (the object may be packed).
    static func read(path: String, id: GitOID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("cannot open loose object \(id.hex): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }

        // At a fixed heap address: zlib keeps a pointer back to its stream and refuses one that moved.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard dsnap_inflate_init(stream) == Z_OK else { throw failure("cannot start zlib for object \(id.hex)") }
        defer { inflateEnd(stream) }
        // Buffers sized to the object: most sidecars are a few hundred bytes, and two 1 MiB
        // buffers per object cost more (allocation, page faults) than inflating it.
        var info = stat()
        let fileSize = fstat(descriptor, &info) == 0 ? Int(info.st_size) : chunkSize
        let inputSize = max(1, min(chunkSize, fileSize))
        let outputSize = min(chunkSize, max(64 * 1024, fileSize * 4))
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: inputSize)
        defer { input.deallocate() }
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: outputSize)
        defer { output.deallocate() }

        var header: [UInt8] = []
        var declaredSize: Int64?
        var total: Int64 = 0
        var finished = false
        while !finished {
            if stream.pointee.avail_in == 0 {
                let count = Glibc.read(descriptor, input, inputSize)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw failure("cannot read loose object \(id.hex): \(String(cString: strerror(errno)))")
                }
                if count == 0 { throw failure("object \(id.hex) is truncated") }
                stream.pointee.next_in = input
                stream.pointee.avail_in = UInt32(count)
            }
            stream.pointee.next_out = output
            stream.pointee.avail_out = UInt32(outputSize)
            let status = inflate(stream, Z_NO_FLUSH)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw failure("object \(id.hex) is corrupt (zlib status \(status))")
            }
            finished = status == Z_STREAM_END
            var produced = UnsafeRawBufferPointer(start: output, count: outputSize - Int(stream.pointee.avail_out))
            if declaredSize == nil {
                // The header `blob 12345\0` comes first; it may span chunks in theory.
                guard let end = produced.firstIndex(of: 0) else {
                    header += produced
                    guard header.count < 64 else { throw failure("object \(id.hex) has no valid header") }
                    continue
                }
                header += produced[..<end]
                let text = String(decoding: header, as: UTF8.self)
                guard text.hasPrefix("blob "), let size = Int64(text.dropFirst(5)) else {
                    throw failure("object \(id.hex) is not a blob")
                }
                declaredSize = size
                produced = UnsafeRawBufferPointer(rebasing: produced[(end + 1)...])
            }
            if !produced.isEmpty {
                try consume(produced)
                total += Int64(produced.count)
            }
        }
        guard let declaredSize, declaredSize == total else {
            throw failure("object \(id.hex) is truncated: \(total) bytes of \(declaredSize ?? -1)")
        }
        return total
    }

    private static func failure(_ message: String) -> GitFailure {
        GitFailure(function: "LooseObjectReader.read", code: -1, errorClass: Int32(GIT_ERROR_ODB.rawValue),
                   message: message)
    }
}

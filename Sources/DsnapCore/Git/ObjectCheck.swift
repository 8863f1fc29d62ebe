import Clibgit2
import CObjectCodec
import Glibc

/// What is wrong with one object, as `dsnap verify` finds it.
public enum ObjectFault: Sendable, Equatable {
    case missing
    /// It is there but does not inflate, is cut short, or does not hash to its id.
    case corrupt(String)
}

/// Reads objects whole and checks them the way `git fsck --full` does: each inflates, its header
/// matches its content, and its SHA-1 is its id. Loose objects are read here in 1 MiB steps
/// (media included, so memory stays flat); packed ones through libgit2, which resolves deltas.
extension GitRepository {
    /// Buffers one checking thread reuses from object to object.
    final class ObjectCheckBuffers: @unchecked Sendable {
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: LooseObjectReader.chunkSize, alignment: 16)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: LooseObjectReader.chunkSize, alignment: 16)
        deinit {
            input.deallocate()
            output.deallocate()
        }
    }

    /// Checks object `id`; returns what is wrong (nil: sound) and the bytes read.
    func checkObject(_ id: GitOID, buffers: ObjectCheckBuffers) -> (fault: ObjectFault?, bytes: Int64) {
        do {
            if let bytes = try checkLooseObject(id, buffers: buffers) { return (nil, bytes) }
            return try checkStoredInPack(id)
        } catch let failure as GitFailure {
            return (.corrupt(failure.message), 0)
        } catch let error as DsnapError {
            return (.corrupt(error.message), 0)
        } catch {
            return (.corrupt("\(error)"), 0)
        }
    }

    /// Inflates and hashes the loose object; nil when there is no such file.
    private func checkLooseObject(_ id: GitOID, buffers: ObjectCheckBuffers) throws -> Int64? {
        let path = id.looseObjectPath(in: objectsPath).file
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw StorageError.fromErrno(errno, path: path)
        }
        defer { close(descriptor) }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        guard dsnap_inflate_init(stream) == Z_OK else { throw LooseObjectReader.failure("cannot start zlib") }
        defer { inflateEnd(stream) }
        var steps = ObjectInflation(stream: stream, id: id) { buffer, count in FileRead.some(descriptor, into: buffer, count: count) }
        steps.input = buffers.input

        var context = dsnap_sha1_context()
        dsnap_sha1_init(&context)
        var header: [UInt8] = []
        var declared: Int64?
        var content: Int64 = 0
        var ended = false
        while !ended {
            let produced = try steps.step(into: buffers.output, ended: &ended)
            guard produced > 0 else { continue }
            dsnap_sha1_update(&context, buffers.output.baseAddress!, produced)
            var piece = UnsafeRawBufferPointer(start: buffers.output.baseAddress!, count: produced)
            if declared == nil {
                // `TYPE SIZE\0` comes first: at most 32 bytes, possibly across steps.
                let nul = piece.firstIndex(of: 0)
                header += piece[..<(nul ?? piece.endIndex)]
                guard header.count <= 32 else {
                    throw LooseObjectReader.failure("object \(id.hex) is corrupt: it has no valid header")
                }
                guard let nul else { continue }
                declared = Int64(try LooseObjectInflater.parse(header[...], id: id).size)
                piece = UnsafeRawBufferPointer(rebasing: piece[(nul + 1)...])
            }
            content += Int64(piece.count)
        }
        guard let declared else { throw LooseObjectReader.failure("object \(id.hex) is corrupt: it has no valid header") }
        guard content == declared else {
            throw LooseObjectReader.failure("object \(id.hex) is corrupt: \(content) bytes where its header says \(declared)")
        }
        try Self.requireDigest(&context, equals: id)
        return content
    }

    /// Reads a packed object through libgit2 and hashes it.
    private func checkStoredInPack(_ id: GitOID) throws -> (fault: ObjectFault?, bytes: Int64) {
        try withObjectDatabase { odb in
            var oid = id.raw
            var object: OpaquePointer?
            let result = git_odb_read(&object, odb, &oid)
            if result == GIT_ENOTFOUND.rawValue { return (.missing, 0) }
            try check(result, "git_odb_read")
            defer { git_odb_object_free(object) }
            let size = git_odb_object_size(object)
            let type = String(cString: git_object_type2string(git_odb_object_type(object)))
            var context = dsnap_sha1_context()
            dsnap_sha1_init(&context)
            let header = Array("\(type) \(size)".utf8) + [0]
            dsnap_sha1_update(&context, header, header.count)
            if size > 0 { dsnap_sha1_update(&context, git_odb_object_data(object), size) }
            try Self.requireDigest(&context, equals: id)
            return (nil, Int64(size))
        }
    }

    private static func requireDigest(_ context: inout dsnap_sha1_context, equals id: GitOID) throws {
        var digest = [UInt8](repeating: 0, count: 20)
        dsnap_sha1_finish(&context, &digest)
        let actual = GitOID(rawBytes: digest)
        guard actual == id else {
            throw LooseObjectReader.failure("object \(id.hex) is corrupt: its content hashes to \(actual.hex)")
        }
    }

    /// One level of a tree: each entry's name (bytes as stored), mode and id.
    struct TreeLevelEntry {
        let name: String
        let mode: UInt32
        let id: GitOID

        var isTree: Bool { mode == GIT_FILEMODE_TREE.rawValue }
        var isFile: Bool { mode == GIT_FILEMODE_BLOB.rawValue || mode == GIT_FILEMODE_BLOB_EXECUTABLE.rawValue }
        var isLink: Bool { mode == GIT_FILEMODE_LINK.rawValue }
    }

    /// The entries of tree `id` (not of its subtrees).
    func treeLevel(_ id: GitOID) throws -> [TreeLevelEntry] {
        var oid = id.raw
        var handle: OpaquePointer?
        try check(git_tree_lookup(&handle, pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(handle) }
        return (0..<git_tree_entrycount(handle)).compactMap { index in
            guard let entry = git_tree_entry_byindex(handle, index) else { return nil }
            return TreeLevelEntry(name: PathBytes.string(cString: git_tree_entry_name(entry)),
                                  mode: git_tree_entry_filemode(entry).rawValue, id: GitOID(git_tree_entry_id(entry)))
        }
    }
}

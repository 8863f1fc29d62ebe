import Clibgit2
import CObjectCodec
import Glibc

/// dsnap's reader of loose objects for libgit2, in front of libgit2's own: a damaged object is
/// an error naming it, never a hang.
///
/// libgit2 1.5.1's loose backend spins at 100% CPU for ever on an object file cut short (its
/// inflate loop waits for input that never comes): one truncated commit hung every command. This
/// backend is asked first (a higher priority) for every read of a loose object and inflates in
/// bounded steps, so an object that ends early, runs past its declared size or has a bad header
/// fails at once. libgit2's backend stays behind it for writes and listings, and packs are
/// still read by libgit2's pack backend. Its cost over libgit2's own reader is about a
/// microsecond an object, measured on a push (bench/RESULTS.md): the same opens and the same
/// inflation, in bounded steps.
enum CheckedLooseBackend {
    /// Above libgit2's packed (2) and loose (1) backends: asked first.
    static let priority: Int32 = 100

    /// Puts the backend in front of `odb`'s, for the objects in `objectsPath`.
    static func install(on odb: OpaquePointer, objectsPath: String, asAlternate: Bool = false) throws {
        let backend = UnsafeMutablePointer<dsnap_loose_backend>.allocate(capacity: 1)
        backend.initialize(to: dsnap_loose_backend())
        try check(git_odb_init_backend(&backend.pointee.parent, UInt32(GIT_ODB_BACKEND_VERSION)),
                  "git_odb_init_backend")
        backend.pointee.objects_path = strdup(objectsPath)
        backend.pointee.parent.read = { data, length, type, backend, oid in
            CheckedLooseBackend.answer(backend, oid) { path, id in
                try LooseObjectInflater.inflate(path: path, id: id, into: { size in
                    git_odb_backend_data_alloc(backend, size + 1)
                }).map { object in
                    data!.pointee = object.data
                    length!.pointee = object.size
                    type!.pointee = object.type.libgit2
                }
            }
        }
        backend.pointee.parent.read_header = { length, type, backend, oid in
            CheckedLooseBackend.answer(backend, oid) { path, id in
                try LooseObjectInflater.header(path: path, id: id).map { header in
                    length!.pointee = header.size
                    type!.pointee = header.type.libgit2
                }
            }
        }
        backend.pointee.parent.read_prefix = { fullOID, data, length, type, backend, shortOID, hexLength in
            guard let fullOID, let backend, let shortOID else { return GIT_ERROR.rawValue }
            let found: GitOID
            switch CheckedLooseBackend.unique(prefix: GitOID(shortOID), hexLength: hexLength, in: backend) {
            case let .found(id): found = id
            case let .failed(code): return code
            }
            fullOID.pointee = found.raw
            var raw = found.raw
            return backend.pointee.read!(data, length, type, backend, &raw)
        }
        backend.pointee.parent.exists = { backend, oid in
            guard let backend, let oid else { return 0 }
            return access(CheckedLooseBackend.path(of: GitOID(oid), in: backend), F_OK) == 0 ? 1 : 0
        }
        backend.pointee.parent.exists_prefix = { fullOID, backend, shortOID, hexLength in
            guard let fullOID, let backend, let shortOID else { return GIT_ERROR.rawValue }
            switch CheckedLooseBackend.unique(prefix: GitOID(shortOID), hexLength: hexLength, in: backend) {
            case let .found(id):
                fullOID.pointee = id.raw
                return 0
            case let .failed(code): return code
            }
        }
        backend.pointee.parent.free = { backend in
            guard let backend else { return }
            let owned = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: dsnap_loose_backend.self)
            free(owned.pointee.objects_path)
            owned.deinitialize(count: 1)
            owned.deallocate()
        }
        let base = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: git_odb_backend.self)
        let result = asAlternate
            ? git_odb_add_alternate(odb, base, priority) : git_odb_add_backend(odb, base, priority)
        if result < 0 { base.pointee.free(base) }
        try check(result, asAlternate ? "git_odb_add_alternate" : "git_odb_add_backend")
    }

    /// Runs `read` on the object's file; libgit2's return code: 0, GIT_ENOTFOUND when there is no
    /// such file (the object may be packed), or an error whose message names the object.
    private static func answer(_ backend: UnsafeMutablePointer<git_odb_backend>?, _ oid: UnsafePointer<git_oid>?,
                               _ read: (String, GitOID) throws -> Void?) -> Int32 {
        guard let backend, let oid else { return GIT_ERROR.rawValue }
        let id = GitOID(oid)
        do {
            return try read(path(of: id, in: backend), id) == nil ? GIT_ENOTFOUND.rawValue : 0
        } catch let failure as GitFailure {
            git_error_set_str(Int32(GIT_ERROR_ODB.rawValue), failure.message)
        } catch let error as DsnapError {
            // An OS error (a full disk, say): libgit2's OS class, so it maps back to one.
            git_error_set_str(Int32(GIT_ERROR_OS.rawValue), error.message)
        } catch {
            git_error_set_str(Int32(GIT_ERROR_ODB.rawValue), "cannot read object \(id.hex): \(error)")
        }
        return GIT_ERROR.rawValue
    }

    private static func objectsPath(of backend: UnsafeMutablePointer<git_odb_backend>) -> String {
        let owned = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: dsnap_loose_backend.self)
        return String(cString: owned.pointee.objects_path)
    }

    private static func path(of id: GitOID, in backend: UnsafeMutablePointer<git_odb_backend>) -> String {
        id.looseObjectPath(in: objectsPath(of: backend)).file
    }

    private enum PrefixMatch {
        case found(GitOID)
        /// libgit2's code: GIT_ENOTFOUND or GIT_EAMBIGUOUS.
        case failed(Int32)
    }

    /// The one loose object whose id starts with the first `hexLength` digits of `prefix`.
    private static func unique(prefix: GitOID, hexLength: Int,
                               in backend: UnsafeMutablePointer<git_odb_backend>) -> PrefixMatch {
        let hex = prefix.hex.prefix(max(0, min(40, hexLength)))
        guard hex.count >= 2 else { return .failed(GIT_EAMBIGUOUS.rawValue) }
        let folder = objectsPath(of: backend) + "/" + hex.prefix(2)
        let rest = hex.dropFirst(2)
        var found: GitOID?
        for name in DirectoryNames.list(folder) where name.count == 38 && name.hasPrefix(rest) {
            guard let id = GitOID(hex: hex.prefix(2) + name) else { continue }
            if found != nil { return .failed(GIT_EAMBIGUOUS.rawValue) }
            found = id
        }
        return found.map { .found($0) } ?? .failed(GIT_ENOTFOUND.rawValue)
    }
}

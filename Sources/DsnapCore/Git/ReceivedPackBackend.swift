import Clibgit2
import Glibc

/// Receives the packs a network fetch brings (git://, ssh://, https://) with dsnap's own
/// `ReceivedPack`, in place of libgit2's indexer.
///
/// libgit2's transports hand a fetched pack to the object database's first backend that can
/// write packs (`git_odb_write_pack`). This backend, put in front of libgit2's own, takes it:
/// the pack is indexed as it streams in, with reads and writes instead of libgit2's memory
/// mapping of the whole file (a 1 GB fetch peaked at 152-201 MB resident with libgit2's indexer,
/// all of it that mapping). It holds no objects itself: the finished pack and its index sit in
/// `objects/pack`, where libgit2's pack backend reads them.
final class ReceivedPackBackend {
    /// Above libgit2's packed (2) and loose (1) backends: asked first for a pack writer.
    static let priority: Int32 = 100

    let objectsPath: String
    /// The caps of the fetch under way, if any.
    var limits: FetchLimits?
    /// Why the last pack was refused, as dsnap's own error (libgit2 carries only its message).
    private(set) var failure: Error?

    private init(objectsPath: String) {
        self.objectsPath = objectsPath
    }

    /// Starts a fetch: its caps, and no failure yet.
    func begin(limits: FetchLimits?) {
        self.limits = limits
        failure = nil
    }

    /// Records why a pack was refused and hands libgit2 an error with the same message.
    fileprivate func fail(_ error: Error) -> Int32 {
        failure = error
        let message: String
        switch error {
        case let refused as ReceivedPack.Failure: message = refused.reason
        case let error as DsnapError: message = error.message
        default: message = "\(error)"
        }
        git_error_set_str(Int32(GIT_ERROR_INDEXER.rawValue), message)
        return GIT_ERROR.rawValue
    }

    fileprivate func packLimits() -> ReceivedPack.Limits {
        var packLimits = ReceivedPack.Limits()
        let limits = self.limits
        packLimits.checkCount = { count in try limits?.check(objects: count) }
        return packLimits
    }

    /// Puts a receiver in front of `odb`'s backends; the object database owns it from then on.
    static func install(on odb: OpaquePointer, objectsPath: String) throws -> ReceivedPackBackend {
        let owner = ReceivedPackBackend(objectsPath: objectsPath)
        let backend = UnsafeMutablePointer<dsnap_pack_receiver_backend>.allocate(capacity: 1)
        backend.initialize(to: dsnap_pack_receiver_backend())
        try check(git_odb_init_backend(&backend.pointee.parent, UInt32(GIT_ODB_BACKEND_VERSION)), "git_odb_init_backend")
        backend.pointee.owner = Unmanaged.passRetained(owner).toOpaque()
        backend.pointee.parent.writepack = { out, backend, odb, progress, payload in
            guard let out, let backend else { return GIT_ERROR.rawValue }
            let owner = ReceivedPackBackend.owner(of: backend)
            do {
                let pack = try ReceivedPack(objectsDirectory: owner.objectsPath, limits: owner.packLimits())
                let receiver = UnsafeMutablePointer<dsnap_pack_receiver>.allocate(capacity: 1)
                receiver.initialize(to: dsnap_pack_receiver())
                receiver.pointee.parent.backend = backend
                receiver.pointee.parent.append = { writepack, data, size, stats in
                    ReceivedPackBackend.append(writepack, data, size, stats)
                }
                receiver.pointee.parent.commit = { writepack, stats in ReceivedPackBackend.commit(writepack, stats) }
                receiver.pointee.parent.free = { writepack in ReceivedPackBackend.free(writepack) }
                receiver.pointee.pack = Unmanaged.passRetained(pack).toOpaque()
                receiver.pointee.odb = odb
                receiver.pointee.progress = progress
                receiver.pointee.progress_payload = payload
                out.pointee = UnsafeMutableRawPointer(receiver).assumingMemoryBound(to: git_odb_writepack.self)
                return 0
            } catch {
                return owner.fail(error)
            }
        }
        // libgit2 lists objects through every backend without checking for this one: none here.
        backend.pointee.parent.foreach = { _, _, _ in 0 }
        backend.pointee.parent.free = { backend in
            guard let backend else { return }
            let owned = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: dsnap_pack_receiver_backend.self)
            Unmanaged<ReceivedPackBackend>.fromOpaque(owned.pointee.owner).release()
            owned.deinitialize(count: 1)
            owned.deallocate()
        }
        let base = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: git_odb_backend.self)
        let result = git_odb_add_backend(odb, base, priority)
        if result < 0 { base.pointee.free(base) }
        try check(result, "git_odb_add_backend")
        return owner
    }

    private static func owner(of backend: UnsafeMutablePointer<git_odb_backend>) -> ReceivedPackBackend {
        let owned = UnsafeMutableRawPointer(backend).assumingMemoryBound(to: dsnap_pack_receiver_backend.self)
        return Unmanaged<ReceivedPackBackend>.fromOpaque(owned.pointee.owner).takeUnretainedValue()
    }

    private static func receiver(_ writepack: UnsafeMutablePointer<git_odb_writepack>)
        -> (UnsafeMutablePointer<dsnap_pack_receiver>, ReceivedPack, ReceivedPackBackend) {
        let receiver = UnsafeMutableRawPointer(writepack).assumingMemoryBound(to: dsnap_pack_receiver.self)
        let pack = Unmanaged<ReceivedPack>.fromOpaque(receiver.pointee.pack).takeUnretainedValue()
        return (receiver, pack, owner(of: writepack.pointee.backend))
    }

    private static func append(_ writepack: UnsafeMutablePointer<git_odb_writepack>?, _ data: UnsafeRawPointer?, _ size: Int,
                               _ stats: UnsafeMutablePointer<git_indexer_progress>?) -> Int32 {
        guard let writepack else { return GIT_ERROR.rawValue }
        let (receiver, pack, owner) = receiver(writepack)
        do {
            try pack.append(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
        } catch {
            return owner.fail(error)
        }
        guard let stats else { return 0 }
        report(pack, into: stats)
        // The transport reports bytes as they arrive; objects are reported here as they complete.
        guard stats.pointee.received_objects != receiver.pointee.reported, let progress = receiver.pointee.progress else { return 0 }
        receiver.pointee.reported = stats.pointee.received_objects
        let stop = progress(stats, receiver.pointee.progress_payload)
        if stop != 0 { git_error_set_str(Int32(GIT_ERROR_CALLBACK.rawValue), "the fetch was stopped") }
        return stop
    }

    private static func commit(_ writepack: UnsafeMutablePointer<git_odb_writepack>?,
                               _ stats: UnsafeMutablePointer<git_indexer_progress>?) -> Int32 {
        guard let writepack else { return GIT_ERROR.rawValue }
        let (receiver, pack, owner) = receiver(writepack)
        let odb = receiver.pointee.odb
        do {
            let maxSize = pack.limits.maxDeltaResult
            try pack.finish { id in try localObject(id, in: odb, maxSize: maxSize) }
        } catch {
            return owner.fail(error)
        }
        // libgit2's pack backend looks for new packs when an object is missing; told at once,
        // it does not have to miss one first.
        if let odb { git_odb_refresh(odb) }
        if let stats {
            report(pack, into: stats)
            if let progress = receiver.pointee.progress { _ = progress(stats, receiver.pointee.progress_payload) }
        }
        return 0
    }

    private static func free(_ writepack: UnsafeMutablePointer<git_odb_writepack>?) {
        guard let writepack else { return }
        let receiver = UnsafeMutableRawPointer(writepack).assumingMemoryBound(to: dsnap_pack_receiver.self)
        let pack = Unmanaged<ReceivedPack>.fromOpaque(receiver.pointee.pack)
        // A finished pack was renamed away: this removes only an unfinished one.
        pack.takeUnretainedValue().discard()
        pack.release()
        receiver.deinitialize(count: 1)
        receiver.deallocate()
    }

    private static func report(_ pack: ReceivedPack, into stats: UnsafeMutablePointer<git_indexer_progress>) {
        stats.pointee.total_objects = UInt32(clamping: pack.declaredCount)
        stats.pointee.received_objects = UInt32(clamping: pack.receivedCount)
        stats.pointee.indexed_objects = UInt32(clamping: pack.indexedCount)
    }

    /// A thin pack's base from the local store (nil: not here).
    ///
    /// A delta may name any object the dataset holds, a 5 GiB video as well: the header is read
    /// first, and only an object within `maxSize` (the cap on what a delta rebuilds) is read whole.
    /// Its content is hashed against its id, as git's index-pack checks a thin pack's local bases
    /// ("local object ... is corrupt"): libgit2's reads do not (strict hash verification is off,
    /// LibGit2.swift), and a damaged base would give the deltas on it ids their content lacks.
    static func localObject(_ id: GitOID, in odb: OpaquePointer?, maxSize: Int) throws -> (type: UInt8, content: [UInt8])? {
        guard let odb else { return nil }
        var oid = id.raw
        var size = 0
        var headerType = GIT_OBJECT_INVALID
        let found = git_odb_read_header(&size, &headerType, odb, &oid)
        if found == GIT_ENOTFOUND.rawValue { return nil }
        try check(found, "git_odb_read_header")
        guard size <= maxSize else { throw ReceivedPack.baseOverCap(id, size: size, cap: maxSize) }
        var object: OpaquePointer?
        let code = git_odb_read(&object, odb, &oid)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try check(code, "git_odb_read")
        defer { git_odb_object_free(object) }
        let length = git_odb_object_size(object)
        guard length <= maxSize else { throw ReceivedPack.baseOverCap(id, size: length, cap: maxSize) }
        let data = git_odb_object_data(object)
        let content = data.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: length)) } ?? []
        let type = UInt8(truncatingIfNeeded: git_odb_object_type(object).rawValue)
        // Any other type is refused by the receiver as a missing base.
        if (1...4).contains(type), content.withUnsafeBytes({ ReceivedPack.objectID(type: type, content: $0) }) != id {
            throw StorageError.corrupt(detail: "object \(id.hex), the base of a delta the remote sent, does not hash to its id")
        }
        return (type, content)
    }
}

extension GitRepository {
    /// The repository's pack receiver, put in front of its object database on first use.
    func packReceiver() throws -> ReceivedPackBackend {
        if let installed = installedPackReceiver { return installed }
        let receiver = try withObjectDatabase { odb in try ReceivedPackBackend.install(on: odb, objectsPath: objectsPath) }
        installedPackReceiver = receiver
        return receiver
    }
}

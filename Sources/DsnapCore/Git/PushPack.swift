import Clibgit2
import CPushInterposition

/// The pack one push sends, chosen and written by dsnap while libgit2 does the rest of the push
/// (see push_pack.h for how the two meet).
///
/// libgit2's pack builder marks every tree of every commit the server has before choosing what
/// to send (394 object reads for a 1% change of D1), reads each object whole into memory (a
/// 1 GiB video held 1 GiB resident through the push, which took 80 s) and deflates it at zlib's
/// default level. dsnap chooses with the walk its path transport uses (`objectsMissing`: the
/// previous snapshot's unchanged folders are skipped without a look inside) and streams each
/// object from the store in 1 MiB pieces (`PackStreamWriter`).
final class PushPack {
    let ids: [GitOID]
    private let writer: PackStreamWriter
    private let session: GitRemote.Session
    /// Why writing the pack failed, as dsnap's own error (libgit2 carries only its message).
    private(set) var failure: Error?

    /// The objects the sources of `refspecs` reach that the server lacks, judged by what it
    /// advertised (`advertised`: whatever of it this repository has is complete there).
    init(refspecs: [String], advertised: [GitOID], shallow: Set<GitOID>, repository: GitRepository,
         session: GitRemote.Session) throws {
        var roots: [GitOID] = []
        for refspec in refspecs {
            let source = refspec.drop(while: { $0 == "+" }).prefix(while: { $0 != ":" })
            if !source.isEmpty, let id = try repository.resolve(reference: String(source)) { roots.append(id) }
        }
        let complete = try advertised.filter { try repository.objectKind($0) == .commit }
        ids = try repository.objectsMissing(from: roots, complete: complete, shallow: shallow, targetHas: { _ in false })
        writer = PackStreamWriter(objectsDirectory: repository.objectsPath) { id in
            try repository.withObjectDatabase { odb in
                var oid = id.raw
                var object: OpaquePointer?
                try check(git_odb_read(&object, odb, &oid), "git_odb_read")
                defer { git_odb_object_free(object) }
                let size = git_odb_object_size(object)
                let content = git_odb_object_data(object).map { [UInt8](UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                return (UInt8(truncatingIfNeeded: git_odb_object_type(object).rawValue), content)
            }
        }
        self.session = session
    }

    /// Runs `push` (a libgit2 push on this thread) with this pack armed in place of libgit2's.
    func armed<T>(_ push: () throws -> T) throws -> T {
        dsnap_arm_push_pack({ context, send, payload in
            guard let context, let send else { return -1 }
            return Unmanaged<PushPack>.fromOpaque(context).takeUnretainedValue().write(send, payload)
        }, Unmanaged.passUnretained(self).toOpaque())
        defer { dsnap_arm_push_pack(nil, nil) }
        return try withExtendedLifetime(self) { try push() }
    }

    /// The transport stopped taking bytes (the server went away): libgit2 has its error.
    private struct SendFailed: Error {
        let code: Int32
    }

    /// Writes the pack through libgit2's `send`; libgit2's return code.
    private func write(_ send: dsnap_pack_send_cb, _ payload: UnsafeMutableRawPointer?) -> Int32 {
        let total = ids.count
        let session = self.session
        do {
            try writer.write(ids, send: { bytes in
                let code = send(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count, payload)
                if code < 0 { throw SendFailed(code: code) }
            }, progress: { objects, bytes in
                session.onProgress(GitRemote.TransferProgress(objectsDone: objects, objectsTotal: total, bytes: Int(bytes)))
            })
            return 0
        } catch let stopped as SendFailed {
            return stopped.code
        } catch {
            // A damaged object here is this dataset's store failing, not the remote.
            failure = (error as? GitFailure).map { StorageError.corrupt(detail: $0.message) } ?? error
            let message = (error as? DsnapError)?.message ?? (error as? GitFailure)?.message ?? "\(error)"
            git_error_set_str(Int32(GIT_ERROR_ODB.rawValue), message)
            return GIT_ERROR.rawValue
        }
    }
}

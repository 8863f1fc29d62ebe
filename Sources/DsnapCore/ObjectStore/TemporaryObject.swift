import CSystem
import Glibc

/// An object file being written, linked into `objects/xx/` under its id only when complete, so a
/// reader never sees part of an object.
///
/// The file is unnamed (O_TMPFILE) where the file system allows it, made in the object's own
/// folder when the id is already known: linking it in then touches one folder. The fallback, a
/// named `tmp_dsnap_*` file in `objects/` renamed into place, makes concurrent writers wait on
/// both folders' locks and the file system's rename mutex (a rename across folders takes them
/// all: `lock_two_directories`). An unnamed file also vanishes by itself if dsnap is killed.
final class TemporaryObject {
    /// Named object files in `objects/` (where no unnamed file can be made) start with this.
    static let prefix = "tmp_dsnap_"
    /// The file's name, for errors; an unnamed file has none, so it is the folder's.
    let path: String
    private let descriptor: Int32
    private let named: Bool
    /// Linking an unnamed file goes through /proc/self/fd (linkat with AT_EMPTY_PATH needs a
    /// capability): without /proc, files are named.
    private static let canLinkUnnamed = access("/proc/self/fd", X_OK) == 0

    /// An unnamed file in `folder` (the object's `objects/xx`, or `objects` when the id is not
    /// known yet), or a named one in `objectsDirectory`, where leftovers are looked for.
    /// `allowUnnamed: false` makes a named file (tests of the fallback).
    init(objectsDirectory: String, folder: String, allowUnnamed: Bool = true) throws {
        if allowUnnamed && Self.canLinkUnnamed {
            let unnamed = dsnap_open_unnamed(folder, 0o444)
            if unnamed >= 0 {
                descriptor = unnamed
                named = false
                path = folder
                return
            }
            // Other errors (no space, no permission) are the named file's too: it reports them.
            guard [EOPNOTSUPP, EISDIR, EINVAL].contains(errno) else {
                throw StorageError.fromErrno(errno, path: folder)
            }
        }
        path = TemporaryName.make(in: objectsDirectory, prefix: Self.prefix)
        named = true
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: path) }
    }

    deinit {
        close(descriptor)
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var vectors = [iovec(iov_base: UnsafeMutableRawPointer(mutating: base), iov_len: bytes.count)]
        try append(&vectors)
    }

    /// Writes all of `vectors` (writev, resumed after a short write). The vectors are consumed.
    func append(_ vectors: inout [iovec]) throws {
        var first = 0
        while first < vectors.count {
            let count = Int32(min(vectors.count - first, 1024))  // IOV_MAX on Linux
            let written = vectors.withUnsafeBufferPointer { writev(descriptor, $0.baseAddress! + first, count) }
            if written < 0 {
                if errno == EINTR { continue }
                let failure = errno
                discard()
                throw StorageError.fromErrno(failure, path: path)
            }
            var left = written
            while first < vectors.count && left >= vectors[first].iov_len {
                left -= vectors[first].iov_len
                first += 1
            }
            if left > 0 {
                vectors[first].iov_base += left
                vectors[first].iov_len -= left
            }
        }
    }

    /// Gives the finished object its name in `objects/xx/` (made if missing). An object is
    /// immutable, so one that appeared meanwhile (same id, same bytes) is kept as it is.
    func install(at target: (folder: String, file: String), workspace: Workspace) throws {
        try workspace.makeFolder(target.folder, cleanUp: discard)
        if named {
            guard rename(path, target.file) == 0 else {
                let failure = errno
                discard()
                throw StorageError.fromErrno(failure, path: target.file)
            }
        } else {
            guard linkat(AT_FDCWD, "/proc/self/fd/\(descriptor)", AT_FDCWD, target.file, AT_SYMLINK_FOLLOW) == 0
                    || errno == EEXIST else {
                throw StorageError.fromErrno(errno, path: target.file)
            }
        }
    }

    /// Drops the object: a named file is removed, an unnamed one goes when it is closed.
    func discard() {
        if named { unlink(path) }
    }

    /// Removes the temporary objects and packs of a dsnap that was killed while writing (libgit2's
    /// too: it writes records through `objects/tmp_object_git2_*`). Only a caller holding the
    /// dataset's exclusive lock, or the metadata lock (whose holders run beside no snapshot),
    /// may call it: no other writer of objects is running.
    static func removeLeftovers(in objectsDirectory: String) {
        for (folder, prefix) in [(objectsDirectory, Self.prefix), (objectsDirectory, "tmp_object_git2_"),
                                 (objectsDirectory + "/pack", PackWriter.temporaryPrefix)] {
            for name in DirectoryNames.list(folder) where name.hasPrefix(prefix) { unlink(folder + "/" + name) }
        }
    }
}

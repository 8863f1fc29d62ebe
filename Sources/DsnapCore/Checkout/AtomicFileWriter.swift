import CSystem
import FoundationEssentials
import Glibc

/// Writes one work tree file from a blob: parents made (never through a symlink), content streamed
/// from the loose object. No path ever shows a partly written file, whatever instant the process
/// is killed at: a new file is written with no name (O_TMPFILE) and linked into place complete; a
/// file that exists is replaced atomically (the new one, given a temporary name beside it, is
/// swapped in). One per worker thread; it touches no libgit2 state.
final class AtomicFileWriter {
    let root: String
    let objectsDirectory: String
    /// The repository's packs, read once per checkout: blobs stored whole in them are streamed here.
    let packs: [PackIndex]

    /// Where replaced files go (`ReplacedFiles`), to be deleted after the restore returns.
    let replacedFolder: String
    private var madeReplacedFolder = false
    /// Folders (relative paths, as UTF-8: String == would take `é` and `e` + U+0301, two
    /// folders, for one) this writer found or made, see `makeParents`.
    private var checkedFolders = Set<[UInt8]>()
    /// This worker's open pack files.
    private let openPacks = OpenPacks()
    /// Whether the object of the last file written was cold (not in the page cache) when opened.
    private(set) var lastObjectWasCold = false
    private let rootBytes: Int
    /// The folder of the last file written past PATH_MAX, kept open for the next one there.
    private var deepFolder: (path: [UInt8], descriptor: Int32)?

    init(root: String, gitDir: String, packs: [PackIndex] = []) {
        self.root = root
        self.objectsDirectory = gitDir + "/objects"
        self.packs = packs
        self.replacedFolder = ReplacedFiles.folder(gitDir: gitDir)
        self.rootBytes = PathBytes.byteCount(root)
    }

    deinit {
        if let deepFolder { close(deepFolder.descriptor) }
    }

    /// Where a file is written: a whole path, or, past PATH_MAX (`PathLimit`), a name in its
    /// folder, which is open. The same calls serve both: `*at` calls given AT_FDCWD and a whole
    /// path are the plain calls.
    private struct Spot {
        /// AT_FDCWD, or the open folder (the writer's `deepFolder`).
        let folder: Int32
        /// The whole path, or the name in `folder`.
        let name: String
        /// The folder to make an unnamed file in, relative to `folder`.
        let directory: String
        /// The whole path, for errors.
        let shown: String

        /// A temporary name beside the file, as `name` is given (a whole path, or a name).
        func temporaryName() -> String {
            folder == AT_FDCWD ? TemporaryName.make(in: directory, prefix: Dataset.temporaryFilePrefix)
                : TemporaryName.name(prefix: Dataset.temporaryFilePrefix)
        }
    }

    /// Bytes a temporary name may add to a file's path (`TemporaryName`: prefix, pid, counter).
    static let temporaryNameRoom = 64

    /// The spot for work tree file `path`, its folders made (never through a link).
    private func spot(for path: String) throws -> Spot {
        let full = root + "/" + path
        // Room for a temporary name beside it, which may be longer than the file's own.
        guard PathLimit.isDeep(path, rootBytes: rootBytes + Self.temporaryNameRoom) else {
            try makeParents(of: path)
            return Spot(folder: AT_FDCWD, name: full, directory: full.parentPath, shown: full)
        }
        let parent = PathBytes.bytes(path.parentPath)
        if deepFolder?.path != parent {
            if let deepFolder { close(deepFolder.descriptor) }
            deepFolder = nil
            deepFolder = (parent, try PathLimit.makeFolder(path.parentPath, under: root))
        }
        return Spot(folder: deepFolder!.descriptor, name: path.lastPathComponent, directory: ".", shown: full)
    }

    /// Starts reading `blob`'s object, if loose, ahead of its `write` (see `LooseObjectReader.prefetch`).
    func prefetch(_ blob: GitOID) {
        LooseObjectReader.prefetch(path: blob.looseObjectPath(in: objectsDirectory).file)
    }

    /// Writes `path` and returns its stat (for the index), or nil when the blob is neither loose
    /// nor packed whole (a delta, after a `git gc`): the caller writes those through libgit2 with
    /// `write(path:bytes:)`.
    func write(path: String, blob: GitOID, mode: UInt32, onBytes: (Int) -> Void) throws -> stat? {
        lastObjectWasCold = false
        // Packed whole (dsnap's own packs): streamed from the pack. Asked first: the pack indexes
        // are in memory, where looking for a loose file costs a path walk that fails.
        if let entry = LooseObjectReader.packedEntry(blob, packs: packs, files: openPacks) {
            return try write(path: path, mode: mode) { sink, _ in
                _ = try LooseObjectReader.read(entry, id: blob) { chunk in
                    try sink(chunk)
                    onBytes(chunk.count)
                }
            }
        }
        let objectPath = blob.looseObjectPath(in: objectsDirectory).file
        guard access(objectPath, F_OK) == 0 else { return nil }
        return try write(path: path, mode: mode) { sink, descriptor in
            // Media: copied by the kernel, as `cp` does. Anything else: inflated here.
            if let descriptor, try LooseObjectReader.copyStored(path: objectPath, id: blob, to: descriptor,
                                                                destinationPath: root + "/" + path,
                                                                wasCold: &lastObjectWasCold, onBytes: onBytes) != nil {
                return
            }
            _ = try LooseObjectReader.read(path: objectPath, id: blob) { chunk in
                try sink(chunk)
                onBytes(chunk.count)
            }
        }
    }

    /// Writes `path` from bytes in memory (packed objects, read by the caller).
    func write(path: String, bytes: [UInt8], mode: UInt32) throws -> stat {
        try write(path: path, mode: mode) { sink, _ in try bytes.withUnsafeBytes { try sink($0) } }
    }

    /// Writes `path` with the content `produce` feeds to its sink, or writes itself to the open
    /// file it is given (nil for a symlink).
    ///
    /// The complete file is linked in place exclusively: that fails (EEXIST) when anything stands
    /// there, a file, a link (never followed) or a folder, and only then is that looked at and the
    /// new file, given a temporary name beside it instead, swapped in. Where nothing stands (a
    /// clone, a file the snapshot adds), this saves a path lookup, and the index's stat data
    /// comes from the open file instead of a second one.
    private func write(path: String, mode: UInt32,
                       _ produce: ((UnsafeRawBufferPointer) throws -> Void, Int32?) throws -> Void) throws -> stat {
        let spot = try spot(for: path)
        let full = spot.shown
        // A link's target is read once, whether it is made in place or beside an existing file.
        var linkTarget: String?
        if mode == GitFileMode.symlink {
            var target = [UInt8]()
            try produce({ target.append(contentsOf: $0) }, nil)
            linkTarget = PathBytes.string(target)
        }
        // As git does: 0666 or 0777, less the umask.
        let permissions: mode_t = mode == GitFileMode.executable ? 0o777 : 0o666
        let temporary: String
        switch try create(spot, linkTarget: linkTarget, permissions: permissions, produce) {
        case let .placed(info): return info
        case let .occupied(named): temporary = named
        }
        let name = PathBytes.cString(spot.name)
        var existing = stat()
        guard fstatat(spot.folder, name, &existing, AT_SYMLINK_NOFOLLOW) == 0 else {
            let failure = errno
            unlinkat(spot.folder, PathBytes.cString(temporary), 0)
            throw StorageError.fromErrno(failure, path: full)
        }
        do {
            try replace(spot, with: temporary, existing: existing, path: path)
        } catch {
            unlinkat(spot.folder, PathBytes.cString(temporary), 0)
            throw error
        }
        // Taken after the rename, which changes the file's ctime, as a later status will see it.
        var info = stat()
        guard fstatat(spot.folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw StorageError.fromErrno(errno, path: full) }
        return info
    }

    /// What `create` did: the new file is at its path, or something stood there and the new
    /// file, complete, has a temporary name beside it.
    private enum Creation {
        case placed(stat)
        case occupied(temporary: String)
    }

    /// Creates `full`, a symlink to `linkTarget` or a file with what `produce` gives, exclusively.
    /// A symlink is made whole by one call. A file is written with no name (O_TMPFILE) and
    /// linked to its path once complete, or, where the file system has no unnamed files, written
    /// under a temporary name and renamed without replacing: a kill leaves nothing half-written
    /// under a name anyone reads.
    private func create(_ spot: Spot, linkTarget: String?, permissions: mode_t,
                        _ produce: ((UnsafeRawBufferPointer) throws -> Void, Int32?) throws -> Void) throws -> Creation {
        var info = stat()
        let full = spot.shown
        let folder = spot.folder
        let name = PathBytes.cString(spot.name)
        if let linkTarget {
            let target = PathBytes.cString(linkTarget)
            if symlinkat(target, folder, name) == 0 {
                guard fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw StorageError.fromErrno(errno, path: full) }
                return .placed(info)
            }
            guard errno == EEXIST else { throw StorageError.fromErrno(errno, path: full) }
            let temporary = spot.temporaryName()
            guard symlinkat(target, folder, PathBytes.cString(temporary)) == 0 else { throw StorageError.fromErrno(errno, path: full) }
            return .occupied(temporary: temporary)
        }
        let unnamed = dsnap_open_unnamed_at(folder, PathBytes.cString(spot.directory), UInt32(permissions))
        let named = unnamed < 0 ? spot.temporaryName() : nil
        let descriptor = named.map { openat(folder, PathBytes.cString($0), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions) } ?? unnamed
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: full) }
        defer { close(descriptor) }
        do {
            try fill(descriptor, reportedAs: full, produce)
            // The name comes last, and only where nothing stands.
            let placed = named.map { dsnap_rename_noreplace_at(folder, PathBytes.cString($0), name) }
                ?? dsnap_link_unnamed_at(descriptor, folder, name)
            if placed != 0 {
                guard errno == EEXIST else { throw StorageError.fromErrno(errno, path: full) }
                if let named { return .occupied(temporary: named) }
                let temporary = spot.temporaryName()
                guard dsnap_link_unnamed_at(descriptor, folder, PathBytes.cString(temporary)) == 0 else {
                    throw StorageError.fromErrno(errno, path: full)
                }
                return .occupied(temporary: temporary)
            }
            // After the link, which changes the file's ctime, as a later status will see it.
            guard fstat(descriptor, &info) == 0 else { throw StorageError.fromErrno(errno, path: full) }
            return .placed(info)
        } catch {
            if let named { unlinkat(folder, PathBytes.cString(named), 0) }
            throw error
        }
    }

    /// Writes what `produce` gives to the open file (or lets it write there itself).
    private func fill(_ descriptor: Int32, reportedAs full: String,
                      _ produce: ((UnsafeRawBufferPointer) throws -> Void, Int32?) throws -> Void) throws {
        try produce({ chunk in try FileWrite.all(descriptor, chunk, path: full) }, descriptor)
    }

    /// Puts the new file in place atomically; a directory in the way is removed only when empty.
    /// A file or link is swapped with the new one (renameat2 RENAME_EXCHANGE): ext4 makes a plain
    /// rename over an existing file wait until the new file's data is on disk (0.2-0.3 s for a
    /// 256 MiB video), a swap does not. The old file, now under the temporary name, is moved to
    /// `.dsnap/replaced/` and deleted after the restore returns: unlinking a 256 MiB file took
    /// 0.2 s. A process killed between the steps leaves the old file under a temporary name,
    /// which the next restore removes like any leftover. Where swapping is unsupported, rename(2).
    private func replace(_ spot: Spot, with temporary: String, existing: stat, path: String) throws {
        let full = spot.shown
        let folder = spot.folder
        let name = PathBytes.cString(spot.name)
        let temporaryBytes = PathBytes.cString(temporary)
        if (existing.st_mode & S_IFMT) == S_IFDIR {
            guard unlinkat(folder, name, AT_REMOVEDIR) == 0 else { throw CheckoutError.directoryInTheWay(path) }
        } else if dsnap_rename_exchange_at(folder, temporaryBytes, name) == 0 {
            if !madeReplacedFolder {
                mkdir(replacedFolder, 0o777)
                madeReplacedFolder = true
            }
            // Another file system (a .dsnap that is a link elsewhere): deleted now.
            if renameat(folder, temporaryBytes, AT_FDCWD, PathBytes.cString(replacedFolder + "/" + temporary.lastPathComponent)) != 0 {
                unlinkat(folder, temporaryBytes, 0)
            }
            return
        } else if errno != EINVAL && errno != ENOSYS && errno != ENOTSUP {
            throw StorageError.fromErrno(errno, path: full)
        }
        guard renameat(folder, temporaryBytes, folder, name) == 0 else { throw StorageError.fromErrno(errno, path: full) }
    }

    /// Creates the parent directories of `path`. A file or symlink standing where the tree has a
    /// directory is removed first, so nothing is ever written through a link out of the work tree.
    /// Safe when several workers make the same folders at once. A folder this worker checked or
    /// made is not looked at again: nothing in one checkout turns it back into a file (a tree
    /// cannot hold a file and a folder at one path), and a clone of 200,000 files in 1,000 folders
    /// saved one path lookup per file per level.
    private func makeParents(of path: String) throws {
        let parent = path.parentPath
        guard !parent.isEmpty, !checkedFolders.contains(Array(parent.utf8)) else { return }
        var current = root
        var relative = ""
        for component in parent.pathComponents(omittingEmpty: true) {
            current += "/" + component
            relative += relative.isEmpty ? component : "/" + component
            let key = Array(relative.utf8)
            guard !checkedFolders.contains(key) else { continue }
            var info = stat()
            let currentBytes = PathBytes.cString(current)
            if lstat(currentBytes, &info) == 0 {
                if (info.st_mode & S_IFMT) == S_IFDIR {
                    checkedFolders.insert(key)
                    continue
                }
                guard unlink(currentBytes) == 0 || errno == ENOENT else { throw StorageError.fromErrno(errno, path: current) }
            }
            guard mkdir(currentBytes, 0o777) == 0 || errno == EEXIST else {
                throw StorageError.fromErrno(errno, path: current)
            }
            checkedFolders.insert(key)
        }
    }
}

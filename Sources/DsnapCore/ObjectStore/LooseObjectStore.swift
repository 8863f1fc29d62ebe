import CObjectCodec
import Glibc

/// The files of a repository's `objects` folder as `dsnap gc` sees them: loose objects, and
/// the temporary files writers leave when they are killed.
struct LooseObjectStore {
    let objectsPath: String

    struct File {
        let path: String
        let bytes: Int64
    }

    /// Every loose object file, by id.
    func objects() -> [(id: GitOID, file: File)] {
        var found: [(GitOID, File)] = []
        for folder in DirectoryNames.list(objectsPath) where Self.isFanoutFolder(folder) {
            for name in DirectoryNames.list(objectsPath + "/" + folder) {
                guard name.utf8.count == 38, let id = GitOID(hex: folder + name) else { continue }
                let path = objectsPath + "/" + folder + "/" + name
                found.append((id, File(path: path, bytes: Self.size(path))))
            }
        }
        return found
    }

    /// Files no finished write left: libgit2's `tmp_object_git2_*` beside loose objects, dsnap's
    /// `tmp_dsnap_*` and unfinished packs (`tmp_pack_*`, `tmp_idx_*`). Only a caller holding the
    /// exclusive lock may remove them: then no writer is running.
    func temporaries() -> [File] {
        var found: [File] = []
        func add(_ path: String) { found.append(File(path: path, bytes: Self.size(path))) }
        for name in DirectoryNames.list(objectsPath) {
            if Self.isFanoutFolder(name) {
                for inner in DirectoryNames.list(objectsPath + "/" + name) where inner.utf8.count != 38 {
                    add(objectsPath + "/" + name + "/" + inner)
                }
            } else if name.hasPrefix("tmp_") {
                add(objectsPath + "/" + name)
            }
        }
        for name in DirectoryNames.list(objectsPath + "/pack") where name.hasPrefix("tmp_") {
            add(objectsPath + "/pack/" + name)
        }
        return found
    }

    /// Removes a file; a fan-out folder left empty goes too (as `git prune` does).
    func remove(_ file: File) throws {
        guard unlink(file.path) == 0 || errno == ENOENT else { throw StorageError.fromErrno(errno, path: file.path) }
        let folder = String(file.path[..<(file.path.lastIndex(of: "/") ?? file.path.endIndex)])
        if Self.isFanoutFolder(String(folder.suffix(2))) && folder.hasPrefix(objectsPath + "/") { rmdir(folder) }
    }

    /// True for an object written the way media are (zlib stored blocks): never packed by gc.
    func isStoredBlocks(_ file: File) -> Bool {
        let descriptor = open(file.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return StoredObjectReader.segments(descriptor, fileSize: Int(file.bytes)) != nil
    }

    private static func isFanoutFolder(_ name: String) -> Bool {
        name.utf8.count == 2 && name.utf8.allSatisfy(\.isHexDigit)
    }

    private static func size(_ path: String) -> Int64 {
        var info = stat()
        return lstat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}

extension LooseObjectStore {
    /// Writes the loose objects `small` into one new pack (each inflated, then deflated again as
    /// a pack entry), makes it durable, and only then removes the loose copies: a kill at any
    /// point leaves every object readable, at worst twice. Returns the pack's size.
    func pack(_ small: [(id: GitOID, file: File)]) throws -> Int64 {
        let writer = try PackWriter(objectsDirectory: objectsPath)
        do {
            for (id, file) in small {
                guard let object = try LooseObjectInflater.inflate(path: file.path, id: id, into: { malloc($0 + 1) }) else {
                    continue
                }
                defer { free(object.data) }
                var compressedSize = compressBound(uLong(object.size))
                var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
                let status = compress2(&compressed, &compressedSize,
                                       object.data.assumingMemoryBound(to: UInt8.self), uLong(object.size), 6)
                guard status == Z_OK else {
                    throw StorageError.io(path: file.path, reason: "compression failed (zlib status \(status))")
                }
                try writer.beginEntry(id: id, type: object.type.packNumber, objectSize: object.size)
                try writer.appendEntryBytes(Array(compressed.prefix(Int(compressedSize))))
                writer.endEntry()
            }
            guard let packPath = try writer.finish() else { return 0 }
            try FileSystemSync.sync(containing: objectsPath)
            for (_, file) in small { try remove(file) }
            var info = stat()
            let indexPath = String(packPath.dropLast(5)) + ".idx"
            let indexBytes = lstat(indexPath, &info) == 0 ? Int64(info.st_size) : 0
            return (lstat(packPath, &info) == 0 ? Int64(info.st_size) : 0) + indexBytes
        } catch {
            writer.discard()
            throw error
        }
    }
}

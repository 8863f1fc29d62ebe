import Clibgit2
import Glibc

/// Owns a repository's `git_index`; holds the repository so the index never outlives it.
final class GitIndex {
    let pointer: OpaquePointer
    private let repository: GitRepository

    init(pointer: OpaquePointer, repository: GitRepository) {
        self.pointer = pointer
        self.repository = repository
    }

    deinit {
        git_index_free(pointer)
    }

    /// Decides per path whether it goes into the index; `false` skips it.
    typealias PathFilter = (String) -> Bool

    private final class FilterBox {
        let filter: PathFilter
        var visited = 0
        let onVisit: (Int) -> Void
        init(filter: @escaping PathFilter, onVisit: @escaping (Int) -> Void) {
            self.filter = filter
            self.onVisit = onVisit
        }
    }

    /// Makes the index match the work tree: new and modified files added (hashing only files whose
    /// stat changed), deleted files removed. Ignored files are left out, as are paths `filter` rejects.
    func addAll(filter: @escaping PathFilter, onVisit: @escaping (Int) -> Void) throws {
        let box = FilterBox(filter: filter, onVisit: onVisit)
        let payload = Unmanaged.passUnretained(box).toOpaque()
        let callback: git_index_matched_path_cb = { path, _, payload in
            let box = Unmanaged<FilterBox>.fromOpaque(payload!).takeUnretainedValue()
            box.visited += 1
            if box.visited % 256 == 0 { box.onVisit(box.visited) }
            return box.filter(PathBytes.string(cString: path!)) ? 0 : 1
        }
        var pathspec = git_strarray(strings: nil, count: 0)
        try check(git_index_add_all(pointer, &pathspec, GIT_INDEX_ADD_DEFAULT.rawValue, callback, payload),
                  "git_index_add_all")
        try check(git_index_update_all(pointer, &pathspec, callback, payload), "git_index_update_all")
        onVisit(box.visited)
    }

    var entryCount: Int { git_index_entrycount(pointer) }

    /// In one pass over the entries, read in place: the images and videos among the regular
    /// files, and the paths of the entries `isExcluded` picks (given a path's bytes), which are
    /// not counted. A String per path made this 0.3 s of a 200,000-file snapshot.
    func summary(excluding isExcluded: (UnsafeBufferPointer<UInt8>) -> Bool) -> (counts: MediaCounts, excluded: [String]) {
        var counts = MediaCounts()
        var excluded: [String] = []
        for position in 0..<git_index_entrycount(pointer) {
            guard let entry = git_index_get_byindex(pointer, position), let path = entry.pointee.path else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(path).assumingMemoryBound(to: UInt8.self),
                                            count: strlen(path))
            if isExcluded(bytes) {
                excluded.append(PathBytes.string(cString: path))
                continue
            }
            let mode = entry.pointee.mode
            if mode == GIT_FILEMODE_BLOB.rawValue || mode == GIT_FILEMODE_BLOB_EXECUTABLE.rawValue {
                counts.add(FileClass(utf8: bytes))
            }
        }
        return (counts, excluded)
    }

    /// Adds (or replaces) an entry for a file dsnap just wrote, with the id it already knows and the
    /// file's stat, so the next status sees the file as unchanged without hashing it again.
    func add(path: String, id: GitOID, mode: UInt32, stat info: stat) throws {
        var entry = git_index_entry()
        entry.ctime.seconds = Int32(truncatingIfNeeded: info.st_ctim.tv_sec)
        entry.ctime.nanoseconds = UInt32(truncatingIfNeeded: info.st_ctim.tv_nsec)
        entry.mtime.seconds = Int32(truncatingIfNeeded: info.st_mtim.tv_sec)
        entry.mtime.nanoseconds = UInt32(truncatingIfNeeded: info.st_mtim.tv_nsec)
        entry.dev = UInt32(truncatingIfNeeded: info.st_dev)
        entry.ino = UInt32(truncatingIfNeeded: info.st_ino)
        entry.mode = mode
        entry.uid = info.st_uid
        entry.gid = info.st_gid
        entry.file_size = UInt32(truncatingIfNeeded: info.st_size)
        entry.id = id.raw
        try PathBytes.withCString(path) { cPath in
            entry.path = cPath
            try check(git_index_add(pointer, &entry), "git_index_add")
        }
    }

    /// The entries at `path` or below it (a file, or a folder's files), in index order.
    func entries(under path: String) -> [GitIndexEntry] {
        var found: [GitIndexEntry] = []
        let prefix = PathBytes.bytes(path)
        var position = 0
        let located = PathBytes.withCString(path) { git_index_find_prefix(&position, pointer, $0) }
        guard located == 0 else { return [] }
        while let entry = git_index_get_byindex(pointer, position), let cPath = entry.pointee.path {
            let length = strlen(cPath)
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(cPath).assumingMemoryBound(to: UInt8.self),
                                            count: length)
            guard bytes.starts(with: prefix) else { break }
            position += 1
            // "a/b" covers "a/b" and "a/b/c", not "a/bc".
            guard length == prefix.count || bytes[prefix.count] == UInt8(ascii: "/") else { continue }
            let value = entry.pointee
            found.append(GitIndexEntry(
                path: PathBytes.string(bytes), id: GitOID(value.id), mode: value.mode,
                size: value.file_size, mtime: (value.mtime.seconds, value.mtime.nanoseconds),
                ctime: (value.ctime.seconds, value.ctime.nanoseconds), inode: value.ino, uid: value.uid,
                gid: value.gid, stage: Int((value.flags >> 12) & 0x3)))
        }
        return found
    }

    func remove(path: String) throws {
        _ = try PathBytes.withCString(path) { try check(git_index_remove_bypath(pointer, $0), "git_index_remove_bypath") }
    }

    /// Forgets the changes made in memory: the index is read again from its file.
    func discardChanges() throws {
        try check(git_index_read(pointer, 1), "git_index_read")
    }

    /// Writes the index file atomically (through `index.lock`); with `toleratingLock`, another
    /// writer holding that lock is no failure (the index in memory stays what it is).
    func write(toleratingLock: Bool = false) throws {
        let status = git_index_write(pointer)
        if status == 0 || (toleratingLock && status == GIT_ELOCKED.rawValue) { return }
        // libgit2 fails with no message on an entry too long for its write buffer: the index is
        // written without those, and they are added to the file after it.
        var long: [(entry: git_index_entry, path: [CChar])] = []
        for position in 0..<git_index_entrycount(pointer) {
            guard let entry = git_index_get_byindex(pointer, position), let path = entry.pointee.path,
                  strlen(path) > Self.longestWrittenPath else { continue }
            long.append((entry.pointee, Array(UnsafeBufferPointer(start: path, count: strlen(path) + 1))))
        }
        guard !long.isEmpty else {
            try check(status, "git_index_write")
            return
        }
        for item in long { git_index_remove(pointer, item.path, Int32(item.entry.flags >> 12 & 0x3)) }
        // Back in memory whatever happens: the index in memory is what callers go on using.
        defer {
            for var item in long {
                item.path.withUnsafeBufferPointer { path in
                    item.entry.path = path.baseAddress
                    _ = git_index_add(pointer, &item.entry)
                }
            }
        }
        let written = git_index_write(pointer)
        if toleratingLock && written == GIT_ELOCKED.rawValue { return }
        try check(written, "git_index_write")
        try IndexFileLongEntries.add(long.map { item in
            let entry = item.entry
            return IndexFileLongEntries.Entry(
                words: [UInt32(bitPattern: entry.ctime.seconds), entry.ctime.nanoseconds,
                        UInt32(bitPattern: entry.mtime.seconds), entry.mtime.nanoseconds,
                        entry.dev, entry.ino, entry.mode, entry.uid, entry.gid, entry.file_size],
                id: withUnsafeBytes(of: entry.id.id) { Array($0) }, stage: entry.flags >> 12 & 0x3,
                path: item.path.dropLast().map { UInt8(bitPattern: $0) })
        }, toIndexAt: String(cString: git_index_path(pointer)))
    }

    /// The longest path libgit2 writes into an index file: each entry goes through its 8 KiB
    /// write buffer, with 62 bytes of fields and up to 8 of padding (`IndexFileLongEntries`).
    static let longestWrittenPath = 8_000

    /// Makes the index hold `tree` (nil: nothing) with no stat data, so the next comparison with
    /// the work tree reads every file. (`git_index_read_tree` alone would keep the stat data of
    /// entries whose blob did not change: the index is emptied first.)
    func reset(to tree: GitOID?) throws {
        try check(git_index_clear(pointer), "git_index_clear")
        guard let tree else { return }
        let object = try repository.lookupTree(tree)
        defer { git_tree_free(object) }
        try check(git_index_read_tree(pointer, object), "git_index_read_tree")
    }

    /// Writes the tree objects for the index's content and returns the root tree.
    func writeTree() throws -> GitOID {
        var oid = git_oid()
        try check(git_index_write_tree(&oid, pointer), "git_index_write_tree")
        return GitOID(oid)
    }
}

/// An index entry as dsnap reads it: what it names and the stat data it cached.
struct GitIndexEntry: Sendable {
    let path: String
    let id: GitOID
    let mode: UInt32
    /// The low 32 bits of the size, as the index keeps it.
    let size: UInt32
    let mtime: (seconds: Int32, nanoseconds: UInt32)
    let ctime: (seconds: Int32, nanoseconds: UInt32)
    let inode: UInt32
    let uid: UInt32
    let gid: UInt32
    /// Non-zero for a conflict's sides.
    let stage: Int

    /// True when `info` shows the file as this entry recorded it (the fields libgit2 compares),
    /// and it was modified before `indexWritten` (else an edit in the same clock tick would not
    /// show in its stat: "racy git").
    func matches(_ info: stat, indexWritten: timespec) -> Bool {
        let kind: UInt32
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = info.st_mode & 0o100 != 0 ? GitFileMode.executable : GitFileMode.regular
        case S_IFLNK: kind = GitFileMode.symlink
        default: return false
        }
        return kind == mode && size == UInt32(truncatingIfNeeded: info.st_size)
            && mtime.seconds == Int32(truncatingIfNeeded: info.st_mtim.tv_sec)
            && mtime.nanoseconds == UInt32(truncatingIfNeeded: info.st_mtim.tv_nsec)
            && ctime.seconds == Int32(truncatingIfNeeded: info.st_ctim.tv_sec)
            && ctime.nanoseconds == UInt32(truncatingIfNeeded: info.st_ctim.tv_nsec)
            && inode == UInt32(truncatingIfNeeded: info.st_ino) && uid == info.st_uid && gid == info.st_gid
            && (info.st_mtim.tv_sec, info.st_mtim.tv_nsec) < (indexWritten.tv_sec, indexWritten.tv_nsec)
    }
}

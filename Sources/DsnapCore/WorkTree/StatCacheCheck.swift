import FoundationEssentials
import Glibc

/// The fast answer to "has anything in the work tree changed since the index was written?",
/// the question behind a no-op `status`, a no-op `commit` and a restore's plan.
///
/// libgit2 answers it through its diff machinery on one thread, about twice as slowly as git
/// (which stats on several threads). This reads the index itself (`IndexFile`), takes every
/// folder the index implies on every core, and in each compares every file's `lstat` with its
/// entry (mode, size, mtime, ctime, inode, uid, gid: the fields libgit2 compares) and counts the
/// folder's names to learn whether anything the index lacks is there. Its answer is one-sided:
/// a result means "certainly unchanged"; nil means "maybe changed", and the caller asks libgit2,
/// which decides exactly. So what this check does not understand (a new folder, a racy
/// timestamp, an unusual index) costs time, never correctness.
enum StatCacheCheck {
    /// The index, when the work tree matches it exactly (ignored files aside); nil when anything
    /// might differ.
    static func clean(_ dataset: Dataset) -> IndexFile? {
        guard let index = IndexFile.read(path: dataset.gitDir + "/index"), index.count > 0 else { return nil }
        let plan = FolderPlan(index)
        let root = dataset.root
        let rootDescriptor = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootDescriptor >= 0 else { return nil }
        defer { close(rootDescriptor) }
        // Per folder: nil when something differs, else the names in it the index does not know.
        let outcomes: [[String]?]
        do {
            outcomes = try ParallelWork.run(plan.folders.count, phase: "checking", progress: nil,
                                            makeState: { () }) { position, _ in
                scan(plan.folders[position], rootDescriptor: rootDescriptor, root: root, index: index)
            }
        } catch {
            return nil
        }
        var unknown: [String] = []
        for outcome in outcomes {
            guard let outcome else { return nil }
            unknown += outcome
            // Many unknown names: libgit2's own pass is as quick as asking about each.
            if unknown.count > 64 { return nil }
        }
        for path in unknown {
            guard (try? dataset.repository.isIgnored(path)) == true else { return nil }
        }
        return index
    }

    /// One folder the index implies: its path relative to the work tree ("" is the root), the
    /// entries directly in it, and the names of its subfolders.
    struct Folder: Sendable {
        let path: String
        var files: [Int] = []
        var subfolders: [String] = []
    }

    /// Every folder the index implies. Entries are sorted by path, so files of one folder mostly
    /// come in runs: the folder is looked up only when the run changes.
    struct FolderPlan: Sendable {
        private(set) var folders: [Folder] = [Folder(path: "")]
        private var positions: [String: Int] = ["": 0]

        init(_ index: IndexFile) {
            var current = 0
            var currentStart = -1
            var currentLength = 0
            index.bytes.withUnsafeBufferPointer { bytes in
                for entry in 0..<index.count {
                    let start = index.entryOffsets[entry] + IndexFile.pathOffset
                    var slash = start + index.pathLengths[entry] - 1
                    while slash >= start && bytes[slash] != UInt8(ascii: "/") { slash -= 1 }
                    let length = max(0, slash - start)
                    let sameFolder = currentStart >= 0 && length == currentLength
                        && memcmp(bytes.baseAddress! + start, bytes.baseAddress! + currentStart, length) == 0
                    if !sameFolder {
                        current = folder(PathBytes.string(bytes[start..<start + length]))
                        currentStart = start
                        currentLength = length
                    }
                    folders[current].files.append(entry)
                }
            }
        }

        /// The position of the folder at `path`, created (and named in its parent) on first use.
        private mutating func folder(_ path: String) -> Int {
            if let known = positions[path] { return known }
            let position = folders.count
            folders.append(Folder(path: path))
            positions[path] = position
            let slash = path.utf8.lastIndex(of: UInt8(ascii: "/"))
            let parent = folder(slash.map { String(path[..<$0]) } ?? "")
            folders[parent].subfolders.append(slash.map { String(path[path.index(after: $0)...]) } ?? path)
            return position
        }
    }

    /// Stats every file of one folder and counts the folder's names. Nil when a file differs from
    /// its entry or is missing, or the folder is not a folder; else the names the index lacks.
    private static func scan(_ folder: Folder, rootDescriptor: Int32, root: String, index: IndexFile) -> [String]? {
        // O_NOFOLLOW: a folder replaced by a link to a folder is a change. (A link higher up
        // is caught when that folder is scanned.) A relative path too long for one call is
        // walked a folder at a time (`PathLimit`).
        let descriptor = folder.path.isEmpty ? dup(rootDescriptor)
            : PathBytes.byteCount(folder.path) > PathLimit.pathBytes ? PathLimit.openFolder(folder.path, under: root)
            : PathBytes.withCString(folder.path) { openat(rootDescriptor, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard descriptor >= 0 else { return nil }
        guard let stream = fdopendir(descriptor) else {
            close(descriptor)
            return nil
        }
        defer { closedir(stream) }

        let prefix = folder.path.isEmpty ? 0 : PathBytes.bytes(folder.path).count + 1
        let allMatch = index.bytes.withUnsafeBufferPointer { bytes -> Bool in
            var info = stat()
            for entry in folder.files {
                // The entry's last path component, NUL-terminated in the index itself.
                let name = UnsafeRawPointer(bytes.baseAddress! + index.entryOffsets[entry] + IndexFile.pathOffset + prefix)
                guard fstatat(descriptor, name.assumingMemoryBound(to: CChar.self), &info, AT_SYMLINK_NOFOLLOW) == 0,
                      matches(index, entry, info) else { return false }
            }
            return true
        }
        guard allMatch else { return nil }

        // Every expected name exists (files were just stat'ed; subfolders are opened by their own
        // scan), so as many names as expected means nothing else is there.
        var names = 0
        var hasOwnGitDir = false
        while let item = readdir(stream) {
            let isDotOrDataset = withUnsafeBytes(of: item.pointee.d_name) { raw -> Bool in
                let name = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
                if strcmp(name, ".") == 0 || strcmp(name, "..") == 0 { return true }
                if strcmp(name, Dataset.gitDirName) == 0 {
                    // The root's is this dataset's own; one deeper down is checked by name below.
                    if !folder.path.isEmpty { hasOwnGitDir = true }
                    return true
                }
                return false
            }
            if !isDotOrDataset { names += 1 }
        }
        let expected = folder.files.count + folder.subfolders.count
        if names == expected && !hasOwnGitDir { return [] }
        return unknownNames(in: stream, folder: folder, index: index, expected: expected)
    }

    /// The names of a folder the index does not know (a second listing, made only for a folder
    /// that holds more than the index lists, e.g. ignored files). A `.dsnap` folder is never
    /// reported: the built-in ignore rule leaves any dataset's own repository out.
    private static func unknownNames(in stream: OpaquePointer, folder: Folder, index: IndexFile,
                                     expected: Int) -> [String]? {
        let prefix = folder.path.isEmpty ? 0 : PathBytes.bytes(folder.path).count + 1
        // Names compared as bytes: Swift's String == takes canonically equivalent names (`é` and
        // `e` + U+0301, two files to Linux) for one.
        var known = Set(folder.subfolders.map(PathBytes.bytes))
        for entry in folder.files {
            let start = index.entryOffsets[entry] + IndexFile.pathOffset
            known.insert(Array(index.bytes[start + prefix..<start + index.pathLengths[entry]]))
        }
        var unknown: [String] = []
        rewinddir(stream)
        while let item = readdir(stream) {
            let bytes = withUnsafeBytes(of: item.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            if known.contains(bytes) { continue }
            let name = PathBytes.string(bytes)
            if name == "." || name == ".." { continue }
            if name == Dataset.gitDirName {
                var info = stat()
                if fstatat(dirfd(stream), name, &info, AT_SYMLINK_NOFOLLOW) == 0 && info.st_mode & S_IFMT == S_IFDIR {
                    continue
                }
            }
            unknown.append(folder.path.isEmpty ? name : folder.path + "/" + name)
        }
        return unknown
    }

    /// Waits (a few milliseconds at most) until the file system's clock has passed `newest`, the
    /// latest modification time of the files about to be recorded in the index, so the index
    /// written next is strictly newer than all of them. Files modified in the same clock tick as
    /// the index is written are "racy", and every later status would leave them to libgit2.
    static func waitForClock(toPass newest: timespec) {
        for _ in 0..<100 {
            var now = timespec()
            // File timestamps come from the kernel's coarse clock.
            clock_gettime(CLOCK_REALTIME_COARSE, &now)
            if (newest.tv_sec, newest.tv_nsec) < (now.tv_sec, now.tv_nsec) { return }
            usleep(1_000)
        }
    }

    /// True when `info` shows the file as entry `entry` recorded it, and the entry is not racy
    /// (the file was modified before the index was written, so an edit would show in the stat).
    static func matches(_ index: IndexFile, _ entry: Int, _ info: stat) -> Bool {
        let mode: UInt32
        switch info.st_mode & S_IFMT {
        case S_IFREG: mode = info.st_mode & 0o100 != 0 ? 0o100755 : 0o100644
        case S_IFLNK: mode = 0o120000
        default: return false
        }
        func low(_ value: Int) -> UInt32 { UInt32(truncatingIfNeeded: value) }
        guard index.field(.mode, of: entry) == mode,
              index.field(.size, of: entry) == low(Int(info.st_size)),
              index.field(.mtimeSeconds, of: entry) == low(info.st_mtim.tv_sec),
              index.field(.mtimeNanoseconds, of: entry) == low(info.st_mtim.tv_nsec),
              index.field(.ctimeSeconds, of: entry) == low(info.st_ctim.tv_sec),
              index.field(.ctimeNanoseconds, of: entry) == low(info.st_ctim.tv_nsec),
              index.field(.inode, of: entry) == low(Int(info.st_ino)),
              index.field(.uid, of: entry) == info.st_uid, index.field(.gid, of: entry) == info.st_gid
        else { return false }
        let written = index.modified
        return (info.st_mtim.tv_sec, info.st_mtim.tv_nsec) < (written.tv_sec, written.tv_nsec)
    }
}

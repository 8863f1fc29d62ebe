import FoundationEssentials
import Glibc

/// dsnap's own checkout. Unlike libgit2's, it
/// - replaces each file atomically: written beside it under a temporary name, then renamed over it,
///   so a crash never leaves a torn file and a hard link to the old file (from outside the dataset)
///   keeps the old bytes;
/// - streams each blob in 1 MiB chunks, so memory stays flat whatever the file size;
/// - touches only files that differ: unchanged files keep their inode and mtime;
/// - never follows a symlink in the work tree and never writes outside it or into `.dsnap`.
public struct AtomicCheckout: WorkTreeCheckout {
    public init() {}

    public func plan(_ tree: GitOID, in dataset: Dataset, workTreeMatchesIndex: Bool,
                     paths: [String]) throws -> CheckoutPlan {
        let repository = dataset.repository
        // Every entry of the tree is judged before anything is compared or touched, even for a
        // partial restore: a hostile or malformed tree is refused whole, and libgit2's diff
        // (which walks more of the tree than the paths asked for) never sees one.
        try SnapshotTreeCheck.check(tree, in: dataset, requireBlobs: false)
        // The index-only comparison has no path limit; a partial restore's paths bound the
        // work tree walk instead.
        let deltas = workTreeMatchesIndex && paths.isEmpty
            ? try dataset.wrapGit { try repository.diffTreeToIndex(tree, try repository.index()) }
            : try WorkTreeDiff.fromTree(tree, in: dataset, paths: paths)
        let writes = deltas.filter { $0.status != .added }.map { (path: $0.oldPath, id: $0.oldID, mode: $0.oldMode) }
        // Every path the tree names is checked before anything is touched: a hostile tree (`..`,
        // `.dsnap`, `.git`) is refused whole and writes nothing at all.
        // The header read for that gives each file's size too: the progress line's total, free.
        var bytesTotal: Int64 = 0
        for write in writes {
            try Self.checkSafe(write.path)
            // A path of any length is written (`PathLimit`), but no file system takes a longer name.
            let names = PathBytes.bytes(write.path).split(separator: UInt8(ascii: "/"))
            if names.contains(where: { $0.count > PathLimit.nameBytes }) {
                throw CheckoutError.nameTooLong(path: write.path, limit: PathLimit.nameBytes)
            }
            if names.count - 1 > PathLimit.nestedFolders {
                throw CheckoutError.nestedTooDeep(path: write.path, limit: PathLimit.nestedFolders)
            }
            // A file's object must be there, and be a blob, before the first write: found
            // missing half-way, the restore would stop with the work tree half changed.
            let header = try dataset.wrapGit { try repository.objectHeader(write.id) }
            guard let header, header.kind == .blob else {
                throw StorageError.corrupt(detail: header == nil
                    ? "object \(write.id.short) of '\(write.path)' is missing"
                    : "'\(write.path)' names object \(write.id.short), which is not a blob")
            }
            bytesTotal += Int64(header.size)
        }
        // Work tree files to remove: never dsnap's own, except temporary files an interrupted
        // checkout left behind.
        let removals = deltas.filter { $0.status == .added || $0.status == .typeChanged }.map(\.newPath).filter { path in
            path.lastPathComponent.hasPrefix(Dataset.temporaryFilePrefix) || !Dataset.isInternalPath(path)
        }
        return CheckoutPlan(tree: tree, removals: removals, writes: writes, bytesTotal: bytesTotal)
    }

    public func apply(_ plan: CheckoutPlan, in dataset: Dataset, progress: ProgressSink?) throws -> CheckoutStats {
        var stats = CheckoutStats()
        let total = plan.fileCount
        let index = try dataset.wrapGit { try dataset.repository.index() }
        for path in plan.removals {
            try removeFile(path, root: dataset.root)
            try dataset.wrapGit { try index.remove(path: path) }
            stats.filesRemoved += 1
            progress?.report(OperationProgress(phase: "restoring", filesDone: stats.filesRemoved, filesTotal: total,
                                               bytesTotal: plan.bytesTotal))
        }
        try pruneEmptyDirectories(after: plan.removals, root: dataset.root)

        // Files are written on every core; what libgit2 must read (packed objects) and the index
        // updates stay on this thread.
        let writes = plan.writes
        let root = dataset.root
        let gitDir = dataset.gitDir
        let packs = PackIndex.all(in: gitDir + "/objects")
        let prefetch = ObjectPrefetch(count: writes.count)
        let counter = ByteCounter()
        // Reported as the whole checkout: the removals first, then the files written.
        let step = progress.map {
            ProgressStep($0, filesBefore: plan.removals.count, filesTotal: total, bytesTotal: plan.bytesTotal)
        }
        // Object readers fail with libgit2-style failures: a damaged object is a storage error.
        let written: [(info: stat?, bytes: Int64)] = try dataset.wrapGit { try ParallelWork.run(
            writes.count, phase: "restoring", progress: step, bytes: counter,
            makeState: { AtomicFileWriter(root: root, gitDir: gitDir, packs: packs) }
        ) { position, writer in
            let write = writes[position]
            var bytes: Int64 = 0
            let info = try writer.write(path: write.path, blob: write.id, mode: write.mode) { count in
                bytes += Int64(count)
                counter.add(count)
            }
            for ahead in prefetch.positionsToAsk(after: position, wasCold: writer.lastObjectWasCold) {
                writer.prefetch(writes[ahead].id)
            }
            return (info, bytes)
        } }
        let serialWriter = AtomicFileWriter(root: root, gitDir: gitDir)
        var newest = timespec(tv_sec: 0, tv_nsec: 0)
        for (write, result) in zip(writes, written) {
            var info = result.info
            stats.bytesWritten += result.bytes
            if info == nil {
                let bytes = try dataset.blobBytes(write.id)
                info = try serialWriter.write(path: write.path, bytes: bytes, mode: write.mode)
                stats.bytesWritten += Int64(bytes.count)
            }
            if (info!.st_mtim.tv_sec, info!.st_mtim.tv_nsec) > (newest.tv_sec, newest.tv_nsec) { newest = info!.st_mtim }
            try dataset.wrapGit { try index.add(path: write.path, id: write.id, mode: write.mode, stat: info!) }
            stats.filesWritten += 1
        }
        // No flush here: the caller left an `UnsyncedWorkTree` marker and flushes after (or has
        // the flush done in the background); every byte written is a copy of a durable object.
        // Writing the tree (its objects exist already) refreshes the index's tree cache, so the
        // next status or commit can tell from the index alone that it holds this snapshot.
        _ = try dataset.wrapGit { try index.writeTree() }
        StatCacheCheck.waitForClock(toPass: newest)
        try dataset.wrapGit { try index.write() }
        return stats
    }

    /// Refuses absolute paths, `.` and `..` components, and anything inside `.dsnap` or `.git`.
    static func checkSafe(_ path: String) throws {
        if path.hasPrefix("/") || path.isEmpty { throw CheckoutError.unsafePath(path) }
        for component in path.pathComponents() {
            let lowered = component.lowercased()
            if component.isEmpty || component == "." || component == ".." || lowered == Dataset.gitDirName
                || lowered == ".git" {
                throw CheckoutError.unsafePath(path)
            }
        }
    }

    /// True when every folder on the way to `path` inside the work tree is a real folder, not a
    /// link (or a file, or nothing).
    static func parentsAreFolders(of path: String, root: String) -> Bool {
        if PathLimit.isDeep(path, rootBytes: PathBytes.byteCount(root)) {
            let folder = PathLimit.openFolder(path.parentPath, under: root)
            guard folder >= 0 else { return false }
            close(folder)
            return true
        }
        var current = root
        for component in path.pathComponents(omittingEmpty: true).dropLast() {
            current += "/" + component
            var info = stat()
            guard lstat(PathBytes.cString(current), &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return false }
        }
        return true
    }

    private func removeFile(_ path: String, root: String) throws {
        let full = root + "/" + path
        // Past PATH_MAX: from its folder, reached one name at a time, never through a link.
        if PathLimit.isDeep(path, rootBytes: PathBytes.byteCount(root)) {
            let folder = PathLimit.openFolder(path.parentPath, under: root)
            guard folder >= 0 else { return }
            defer { close(folder) }
            if unlinkat(folder, PathBytes.cString(path.lastPathComponent), 0) != 0 && errno != ENOENT {
                throw StorageError.fromErrno(errno, path: full)
            }
            return
        }
        // A file under a link is not in the work tree: the link itself is what the plan removes
        // or replaces, and nothing is ever removed through it.
        guard Self.parentsAreFolders(of: path, root: root) else { return }
        if unlink(PathBytes.cString(full)) != 0 && errno != ENOENT {
            throw StorageError.fromErrno(errno, path: full)
        }
    }

    /// Removes directories left empty by removals, innermost first, up to (not including) the root.
    private func pruneEmptyDirectories(after removals: [String], root: String) throws {
        // Keyed by UTF-8: String == would take `é` and `e` + U+0301, two folders, for one.
        var directories: [[UInt8]: String] = [:]
        for path in removals {
            var parent = path.parentPath
            while !parent.isEmpty {
                directories[Array(parent.utf8)] = parent
                parent = parent.parentPath
            }
        }
        let rootBytes = PathBytes.byteCount(root)
        for directory in directories.values.sorted(by: { $0.utf8.count > $1.utf8.count }) {
            // rmdir fails on a non-empty directory (one holding ignored or kept files): that is the point.
            if PathLimit.isDeep(directory, rootBytes: rootBytes) {
                let folder = PathLimit.openFolder(directory.parentPath, under: root)
                guard folder >= 0 else { continue }
                _ = unlinkat(folder, PathBytes.cString(directory.lastPathComponent), AT_REMOVEDIR)
                close(folder)
            } else if Self.parentsAreFolders(of: directory, root: root) {
                _ = rmdir(PathBytes.cString(root + "/" + directory))
            }
        }
    }

}

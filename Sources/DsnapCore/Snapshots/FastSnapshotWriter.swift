import Foundation

/// dsnap's own snapshot writer. libgit2's index diff finds what changed (the index is a stat
/// cache, so unchanged files are not read, and ignore rules apply); the changed files are then
/// hashed and written as loose objects on every core at once, media stored uncompressed in zlib
/// "stored" blocks. The index is updated with the stat of each file as it was read.
public struct FastSnapshotWriter: SnapshotWriter {
    public init() {}

    public func writeTree(of dataset: Dataset, progress: ProgressSink?) throws -> WrittenTree {
        MetadataLock.removeStaleLockFile(dataset.gitDir + "/index.lock")
        let repository = dataset.repository
        let index = try dataset.wrapGit { try repository.index() }
        let deltas = try dataset.wrapGit { try repository.diffIndexToWorkTree(index) }

        var skipped: [String] = []
        var toWrite: [String] = []
        for delta in deltas {
            let path = delta.status == .deleted ? delta.oldPath : delta.newPath
            // libgit2 names a folder that is a git repository of its own with a trailing slash.
            if path.hasSuffix("/") {
                skipped.append(String(path.dropLast()))
                continue
            }
            if Dataset.isInternalPath(path) { continue }
            if delta.status == .deleted {
                try dataset.wrapGit { try index.remove(path: path) }
            } else {
                toWrite.append(path)
            }
        }

        let written = try ParallelObjectWriter(gitDir: dataset.gitDir, root: dataset.root)
            .write(toWrite, progress: progress)
        for (path, result) in zip(toWrite, written) {
            guard let result else {
                // Not a regular file or a link any more (it vanished, or is a fifo): not content.
                try dataset.wrapGit { try index.remove(path: path) }
                continue
            }
            try dataset.wrapGit { try index.add(path: path, id: result.id, mode: result.mode, stat: result.info) }
        }
        // A `.gitignore` in the dataset could re-include `.dsnap`: it is never snapshotted.
        for path in index.regularFilePaths where Dataset.isInternalPath(path) {
            try dataset.wrapGit { try index.remove(path: path) }
        }
        let tree = try dataset.wrapGit { try index.writeTree() }
        try dataset.wrapGit { try index.write() }
        return WrittenTree(tree: tree, counts: MediaCounts(paths: index.regularFilePaths),
                           fileCount: index.entryCount, skippedRepositories: skipped)
    }
}

/// Writes many files as objects on all cores; results come back in the order of the paths.
struct ParallelObjectWriter {
    let writer: LooseObjectWriter
    let root: String

    init(gitDir: String, root: String) {
        writer = LooseObjectWriter(gitDir: gitDir)
        self.root = root
    }

    /// Shared between the workers: the next path to take, the results, the first error.
    private final class Work: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var results: [LooseObjectWriter.Written?]
        var error: Error?
        var done = 0
        var bytes: Int64 = 0
        init(count: Int) { results = Array(repeating: nil, count: count) }
    }

    func write(_ paths: [String], progress: ProgressSink?) throws -> [LooseObjectWriter.Written?] {
        let work = Work(count: paths.count)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, paths.count))
        let writer = self.writer
        let root = self.root
        // Workers only count; this thread reports progress (sinks are not thread-safe) while it waits.
        let group = DispatchGroup()
        for _ in 0..<workers {
            DispatchQueue.global(qos: .userInitiated).async(group: group) {
                Self.drain(paths, work: work, writer: writer, root: root)
            }
        }
        while group.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            work.lock.lock()
            let (done, bytes) = (work.done, work.bytes)
            work.lock.unlock()
            progress?.report(OperationProgress(phase: "writing objects", filesDone: done, filesTotal: paths.count,
                                               bytesDone: bytes))
        }
        if let error = work.error { throw error }
        progress?.report(OperationProgress(phase: "writing objects", filesDone: paths.count, filesTotal: paths.count,
                                           bytesDone: work.bytes))
        return work.results
    }

    /// One worker: takes paths until none is left or one failed.
    private static func drain(_ paths: [String], work: Work, writer: LooseObjectWriter, root: String) {
        let workspace = Workspace()
        while true {
            work.lock.lock()
            if work.error != nil || work.next >= paths.count {
                work.lock.unlock()
                return
            }
            let position = work.next
            work.next += 1
            work.lock.unlock()
            do {
                let result = try writer.write(fileAt: root + "/" + paths[position], relativePath: paths[position],
                                              workspace: workspace)
                work.lock.lock()
                work.results[position] = result
                work.done += 1
                work.bytes += result?.bytes ?? 0
                work.lock.unlock()
            } catch {
                work.lock.lock()
                if work.error == nil { work.error = error }
                work.lock.unlock()
            }
        }
    }
}

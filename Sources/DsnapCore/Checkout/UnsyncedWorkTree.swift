import FoundationEssentials
import Glibc

/// Work tree files that a restore or a clone wrote and that may not be on disk yet.
///
/// Restore and clone return once their files are written to the operating system, as
/// `git checkout` and `cp` do, instead of waiting for the disk (a flush cost 1.4x the whole copy
/// of a video). Nothing can be lost by this: every byte they write is a copy of an object
/// that is already durable, and whatever they replaced was either in a snapshot or autosaved
/// first. What a power cut could do is leave some of those files empty or old while the index
/// says they are current. So, before writing, the operation leaves a marker,
/// `.dsnap/unsynced/<token>`, flushed to disk, that names this boot of the machine
/// (`/proc/sys/kernel/random/boot_id`); the marker goes once the files are flushed (by a
/// background `dsnap`, or at once with `--sync`). A marker from an earlier boot means the
/// machine stopped before the files were safe: `status` says Error, `commit` is refused, and
/// `restore current` checks every file's content (not its stat data) and rewrites what differs.
public enum UnsyncedWorkTree {
    /// One marker: the boot it was written in and what wrote it ("restore <id>", "clone <id>").
    public struct Marker: Sendable, Equatable {
        public let token: String
        public let bootID: String
        public let operation: String
        /// When the marker was written (its mtime), in seconds since the epoch.
        let written: Int
    }

    static func folder(gitDir: String) -> String { gitDir + "/unsynced" }

    /// This boot of the machine; every boot has a new random one. Empty where unknown, and then
    /// every marker counts as this boot's (no false alarms, no detection).
    static let currentBootID: String = {
        let descriptor = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "" }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
        guard count > 0 else { return "" }
        return String(decoding: buffer[0..<count], as: UTF8.self).trimmed(newlines: true)
    }()

    /// Writes and flushes a marker before `operation` writes work tree files; returns its token.
    static func begin(gitDir: String, operation: String) throws -> String {
        let folder = folder(gitDir: gitDir)
        guard mkdir(folder, 0o777) == 0 || errno == EEXIST else { throw StorageError.fromErrno(errno, path: folder) }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let token = "\(getpid())-\(now.tv_sec)\(Int(now.tv_nsec).zeroPadded(9))"
        let path = folder + "/" + token
        try FileWrite.durably(Array("boot \(currentBootID)\n\(operation)\n".utf8), to: path)
        do {
            try FileSystemSync.sync(paths: [folder, gitDir])
        } catch {
            unlink(path)
            throw error
        }
        return token
    }

    /// After the operation: flushes the work tree now, or hands that to a background process.
    /// A flush that fails keeps the marker (the next operation under the lock tries again) and
    /// throws: the files may not be on disk.
    static func finish(token: String, root: String, gitDir: String, flush: WorkTreeFlush) throws {
        switch flush {
        case .wait:
            try flushAndClear(token: token, root: root, gitDir: gitDir)
        case let .background(executable, arguments):
            // If the process cannot start, the flush happens now: slower, never unsafe.
            if !BackgroundProcess.start(executable, arguments: arguments + [root, token]) {
                try flushAndClear(token: token, root: root, gitDir: gitDir)
            }
        }
    }

    /// Deletes the files the restore replaced, flushes the file system holding the work tree,
    /// then removes the marker: what the background process does.
    public static func flushAndClear(token: String, root: String, gitDir: String) throws {
        guard !token.contains("/"), !token.hasPrefix(".") else { return }
        ReplacedFiles.delete(gitDir: gitDir)
        try FileSystemSync.sync(containing: root)
        unlink(folder(gitDir: gitDir) + "/" + token)
    }

    /// Every marker there is.
    public static func markers(gitDir: String) -> [Marker] {
        let folder = folder(gitDir: gitDir)
        return DirectoryNames.list(folder).sorted().compactMap { token in
            guard let (bytes, info) = WholeFile.read(folder + "/" + token) else { return nil }
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            guard lines.count >= 2, lines[0].hasPrefix("boot ") else { return nil }
            return Marker(token: token, bootID: String(lines[0].dropFirst(5)), operation: lines[1],
                          written: info.st_mtim.tv_sec)
        }
    }

    /// Markers written before the machine last started: their files may never have reached the disk.
    public static func fromEarlierBoot(gitDir: String) -> [Marker] {
        let boot = currentBootID
        guard !boot.isEmpty else { return [] }
        return markers(gitDir: gitDir).filter { $0.bootID != boot }
    }

    /// Called by operations that hold the dataset's lock: a marker of this boot older than a
    /// minute outlived its background flush (the process was killed): the kernel has written
    /// those files by now, so one flush, which finds little to do, settles them.
    static func settle(root: String, gitDir: String) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let stale = markers(gitDir: gitDir).filter { $0.bootID == currentBootID && now.tv_sec - $0.written > 60 }
        guard !stale.isEmpty else { return }
        ReplacedFiles.delete(gitDir: gitDir)
        // A flush that fails leaves the markers for the next try; the caller's own work goes on.
        guard (try? FileSystemSync.sync(containing: root)) != nil else { return }
        for marker in stale { unlink(folder(gitDir: gitDir) + "/" + marker.token) }
    }

    /// Removes markers of an earlier boot once a restore has checked and rewritten the work tree.
    static func clear(_ markers: [Marker], gitDir: String) {
        for marker in markers { unlink(folder(gitDir: gitDir) + "/" + marker.token) }
    }
}

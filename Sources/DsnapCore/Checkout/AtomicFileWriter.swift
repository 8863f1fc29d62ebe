import Foundation

/// Writes one work tree file from a blob: parents made (never through a symlink), content streamed
/// into a temporary file beside the target, then renamed over it.
struct AtomicFileWriter {
    let root: String
    private var counter = 0

    init(root: String) {
        self.root = root
    }

    /// Writes `path` and returns its stat after the rename (for the index).
    mutating func write(path: String, blob: GitOID, mode: UInt32, from dataset: Dataset,
                        onBytes: (Int) -> Void) throws -> stat {
        try makeParents(of: path)
        let full = root + "/" + path
        let directory = (full as NSString).deletingLastPathComponent
        counter += 1
        let temporary = directory + "/" + Dataset.temporaryFilePrefix + "\(getpid())-\(counter)"
        do {
            if mode == GitFileMode.symlink {
                var target = [UInt8]()
                _ = try dataset.wrapGit { try dataset.repository.readBlob(blob) { target.append(contentsOf: $0) } }
                let text = String(decoding: target, as: UTF8.self)
                guard symlink(text, temporary) == 0 else { throw StorageError.fromErrno(errno, path: full) }
            } else {
                // As git does: 0666 or 0777, less the umask.
                let permissions: mode_t = mode == GitFileMode.executable ? 0o777 : 0o666
                let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
                guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: full) }
                defer { close(descriptor) }
                _ = try dataset.wrapGit {
                    try dataset.repository.readBlob(blob) { chunk in
                        var offset = 0
                        while offset < chunk.count {
                            let count = Glibc.write(descriptor, chunk.baseAddress! + offset, chunk.count - offset)
                            if count < 0 {
                                if errno == EINTR { continue }
                                throw StorageError.fromErrno(errno, path: full)
                            }
                            offset += count
                        }
                        onBytes(chunk.count)
                    }
                }
            }
            try replace(full, with: temporary, path: path)
        } catch {
            unlink(temporary)
            throw error
        }
        var info = stat()
        guard lstat(full, &info) == 0 else { throw StorageError.fromErrno(errno, path: full) }
        return info
    }

    /// rename(2) replaces a file or a link atomically; a directory in the way is removed only when empty.
    private func replace(_ full: String, with temporary: String, path: String) throws {
        var info = stat()
        if lstat(full, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            guard rmdir(full) == 0 else { throw CheckoutError.directoryInTheWay(path) }
        }
        guard rename(temporary, full) == 0 else { throw StorageError.fromErrno(errno, path: full) }
    }

    /// Creates the parent directories of `path`. A file or symlink standing where the tree has a
    /// directory is removed first, so nothing is ever written through a link out of the work tree.
    private func makeParents(of path: String) throws {
        let components = path.split(separator: "/").dropLast()
        var current = root
        for component in components {
            current += "/" + component
            var info = stat()
            if lstat(current, &info) == 0 {
                if (info.st_mode & S_IFMT) == S_IFDIR { continue }
                guard unlink(current) == 0 else { throw StorageError.fromErrno(errno, path: current) }
            }
            guard mkdir(current, 0o777) == 0 || errno == EEXIST else {
                throw StorageError.fromErrno(errno, path: current)
            }
        }
    }
}

import FoundationEssentials
import Glibc

/// Serializes writes to the notes ref (`refs/notes/dsnap`): each note write reads the ref's tip and
/// moves it, so two concurrent writers would lose one update. Holders wait for each other; each
/// holds it for milliseconds. Like `DatasetLock`, it dies with its process.
enum MetadataLock {
    static func withLock<T>(on dataset: Dataset, _ body: () throws -> T) throws -> T {
        let path = dataset.gitDir + "/notes.lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StorageError.fromErrno(errno, path: path) }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StorageError.fromErrno(errno, path: path) }
        }
        // Holding the lock, any libgit2 lock file on the notes ref is a leftover of a killed writer,
        // and so is a temporary object libgit2 was writing a record through: record writers hold
        // this lock, and the only other writer of objects (a snapshot) holds the dataset's lock
        // exclusively, which no holder of this one can be running beside.
        StaleGitLock.remove(dataset.gitDir + "/" + SnapshotCatalog.notesRef + ".lock")
        TemporaryObject.removeLeftovers(in: dataset.gitDir + "/objects")
        return try body()
    }
}

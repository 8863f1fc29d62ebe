import Glibc

/// git's own `.lock` files (`index.lock`, `HEAD.lock`, `refs/...lock`) left by a dsnap killed while
/// libgit2 held them. They would block every later write with GIT_ELOCKED.
enum StaleGitLock {
    /// Removes one. Only call while holding the dsnap lock (`DatasetLock` or `MetadataLock`) that
    /// guards the file's ref or index, so no live dsnap writer can own it.
    static func remove(_ path: String) {
        unlink(path)
    }
}

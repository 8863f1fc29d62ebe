import Clibgit2

/// Process-wide libgit2 set-up, done once before the first repository is opened.
enum LibGit2 {
    /// `git_libgit2_init` reference-counts, so calling it once for the whole process is enough;
    /// a `static let` runs its initializer exactly once, even across threads.
    private static let initialized: Bool = {
        git_libgit2_init()
        // No fsync per object: one fsync per file costs more than writing the data (3,000 small
        // files: 14 s with it, under 1 s without). Operations call `FileSystemSync` once, after
        // their objects are written and before a ref moves, so a power loss never leaves a
        // snapshot ref pointing at objects that are not on disk.
        dsnap_set_fsync_gitdir(0)
        // libgit2 re-opens every object a new tree names to check it exists: dsnap wrote those
        // objects itself a moment before (2 extra opens per file, the largest syscall cost of a
        // first snapshot), so the check is off.
        dsnap_set_strict_object_creation(0)
        // Nor is every object read re-hashed: git itself checks hashes in fsck, not on each read
        // (`git --git-dir=DATASET/.dsnap fsck --full` verifies them all).
        dsnap_set_strict_hash_verification(0)
        return true
    }()

    static func ensureInitialized() {
        _ = initialized
    }
}

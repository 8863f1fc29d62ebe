import Glibc

/// Files a restore replaced, waiting in `.dsnap/replaced/` to be deleted. Their content is in a
/// snapshot (or the autosave the restore took), so nothing needs them; deleting a large file
/// takes the kernel a while (0.2 s for 256 MiB), which the restore need not wait for: the
/// background flush (`UnsyncedWorkTree`) deletes them, or `--sync` before returning.
enum ReplacedFiles {
    static func folder(gitDir: String) -> String { gitDir + "/replaced" }

    /// Deletes every file waiting there.
    static func delete(gitDir: String) {
        let folder = folder(gitDir: gitDir)
        for name in DirectoryNames.list(folder) { unlink(folder + "/" + name) }
    }
}

import Clibgit2
import Glibc

/// Flushes a whole file system to disk with one `syncfs(2)`. It lives in Git/ only because the
/// libgit2 shim header is dsnap's one C header, where the GNU-only call is declared.
enum FileSystemSync {
    static func sync(containing path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = dsnap_syncfs(descriptor)
        close(descriptor)
    }
}

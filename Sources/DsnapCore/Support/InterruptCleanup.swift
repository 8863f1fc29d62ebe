import FoundationEssentials
import Glibc

/// Work that must be undone when the process is interrupted (Ctrl-C, SIGTERM, SIGHUP) rather than
/// killed: a clone's hidden folder is removed at once instead of waiting for a later command.
/// Everything else dsnap writes is already safe to stop at any instant.
public enum InterruptCleanup {
    private static let lock = Lock()
    private nonisolated(unsafe) static var folders: [String: String] = [:]

    /// Removes `folder` (and everything in it) if the process is interrupted before `forget`.
    static func remember(_ folder: String) {
        lock.lock()
        folders[folder] = folder
        lock.unlock()
    }

    static func forget(_ folder: String) {
        lock.lock()
        folders[folder] = nil
        lock.unlock()
    }

    private nonisolated(unsafe) static var interrupted = false

    /// True once the process was interrupted: the main thread must then leave the exit to the
    /// signal handler (an error the clean-up caused must not be reported instead).
    public static var isInterrupted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return interrupted
    }

    /// Called once, by the signal handler, just before the process exits.
    public static func runAll() {
        lock.lock()
        interrupted = true
        let pending = Array(folders.values)
        folders.removeAll()
        lock.unlock()
        for folder in pending {
            // Moved aside first: the workers, still running, name files by their full path and
            // can no longer add any to it; then removed, again if a file slipped in meanwhile.
            // The operation, still running too, may make the folder again in the instant after
            // (creating a dataset's repository makes its folder): looked at again a few times,
            // a millisecond apart, before the process exits.
            for _ in 0..<5 {
                guard access(folder, F_OK) == 0 else {
                    usleep(1000)
                    continue
                }
                let aside = folder + ".interrupted"
                let target = rename(folder, aside) == 0 ? aside : folder
                for _ in 0..<5 where access(target, F_OK) == 0 {
                    try? FileManager.default.removeItem(atPath: target)
                }
            }
        }
    }
}

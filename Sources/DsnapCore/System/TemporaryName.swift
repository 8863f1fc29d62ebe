import Glibc
import Synchronization

/// The name a file is written under before it gets its own: the prefix (which says whose it is,
/// so a later sweep can find it), this process's id and a number no other file of this process
/// uses. `O_EXCL` still guards the open: another process may have had this pid before.
enum TemporaryName {
    private static let pid = getpid()
    private static let counter = Atomic<Int>(0)

    static func make(in folder: String, prefix: String) -> String {
        folder + "/" + name(prefix: prefix)
    }

    /// The name alone, for a file made relative to its folder's descriptor.
    static func name(prefix: String) -> String {
        let number = counter.add(1, ordering: .relaxed).newValue
        return prefix + "\(pid)_\(number)"
    }
}

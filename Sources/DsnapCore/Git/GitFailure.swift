import Clibgit2
import Glibc

/// A libgit2 call that failed, captured at once: `git_error_last()` is per-thread and the next
/// call overwrites it, so every wrapper converts through `check(_:_:)` right after the call.
public struct GitFailure: Error, Sendable, Equatable {
    /// The libgit2 function that failed, for bug reports.
    public let function: String
    /// libgit2's return code (`git_error_code`), e.g. -3 for GIT_ENOTFOUND.
    public let code: Int32
    /// libgit2's error class (`git_error_t`): OS, zlib, ODB, ...
    public let errorClass: Int32
    public let message: String
    /// `errno` right after the call, when it names a storage failure (EIO, ENOSPC, ...): some
    /// libgit2 paths (unlinking a ref's lock file, say) fail with no message at all.
    public var osError: Int32 = 0

    public init(function: String, code: Int32, errorClass: Int32, message: String, osError: Int32 = 0) {
        self.function = function
        self.code = code
        self.errorClass = errorClass
        self.message = message
        self.osError = osError
    }

    /// A damaged object found by dsnap's own readers (ObjectStore/), classed as libgit2 classes
    /// its own object database errors, so both read paths report damage the same way.
    static func damagedObject(function: String, message: String) -> GitFailure {
        GitFailure(function: function, code: -1, errorClass: Int32(GIT_ERROR_ODB.rawValue), message: message)
    }

    /// The errnos that mean the disk or file system failed us, whatever libgit2 said.
    static let storageErrnos: Set<Int32> = [EIO, ENOSPC, EDQUOT, EROFS]

    /// What kind of failure this is, so callers can map it to a user-facing error.
    public var kind: Kind {
        // libgit2 1.5 reports an untrusted owner as GIT_EOWNER, or (when no safe.directory is
        // configured at all) as the failed look-up of that setting.
        if code == GIT_EOWNER.rawValue || message.contains("safe.directory") { return .notOwned }
        let objectClasses = [GIT_ERROR_ODB.rawValue, GIT_ERROR_OBJECT.rawValue, GIT_ERROR_ZLIB.rawValue]
            .map { Int32($0) }
        // An object a ref, tree or commit names is not in the store: the store is damaged.
        if code == GIT_ENOTFOUND.rawValue && objectClasses.contains(errorClass) { return .damaged }
        if code == GIT_ENOTFOUND.rawValue { return .notFound }
        if code == GIT_ELOCKED.rawValue { return .locked }
        if code == GIT_EEXISTS.rawValue { return .exists }
        let lower = message.lowercased()
        if lower.contains("no space left") { return .diskFull }
        if lower.contains("permission denied") { return .permissionDenied }
        if objectClasses.contains(errorClass) || lower.contains("corrupt") || lower.contains("truncated") {
            return .damaged
        }
        if errorClass == GIT_ERROR_OS.rawValue || lower.contains("failed to read") {
            return .storage
        }
        return .other
    }

    /// The first path quoted in libgit2's message (`failed to open '/data/x.jpg': ...`), which
    /// names the file that failed better than the repository does.
    public var quotedPath: String? {
        guard let open = message.firstIndex(of: "'") else { return nil }
        let rest = message[message.index(after: open)...]
        guard let close = rest.firstIndex(of: "'") else { return nil }
        let path = String(rest[..<close])
        return path.isEmpty ? nil : path
    }

    /// The object libgit2 did not find, when that is what failed.
    var missingObjectID: GitOID? {
        code == GIT_ENOTFOUND.rawValue ? firstObjectID : nil
    }

    /// The first 40-digit hex id in libgit2's message, if any.
    private var firstObjectID: GitOID? {
        let bytes = Array(message.utf8)
        var run = 0
        for (index, byte) in bytes.enumerated() {
            let isHex = (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 102)
            run = isHex ? run + 1 : 0
            if run == 40 { return GitOID(hex: String(decoding: bytes[(index - 39)...index], as: UTF8.self)) }
        }
        return nil
    }

    public enum Kind: Sendable {
        case notFound, locked, exists, notOwned, diskFull, permissionDenied, storage, other
        /// An object is missing, cut short, or does not parse.
        case damaged
    }
}

/// Throws a `GitFailure` naming `function` when a libgit2 call returned a negative code.
@discardableResult
func check(_ result: Int32, _ function: String) throws -> Int32 {
    guard result < 0 else { return result }
    let osError = errno
    var errorClass: Int32 = 0
    var message = "unknown error"
    if let last = git_error_last() {
        errorClass = last.pointee.klass
        if let text = last.pointee.message { message = String(cString: text) }
    }
    throw GitFailure(function: function, code: result, errorClass: errorClass, message: message,
                     osError: GitFailure.storageErrnos.contains(osError) ? osError : 0)
}

import DsnapCore

/// dsnap's exit statuses, mirroring the API's response codes (DESIGN.md, dsnap(1) EXIT STATUS).
enum ExitCode: Int32 {
    case success = 0
    /// A bug or an unexpected library failure (API 500).
    case internalError = 1
    /// Unknown command or option, missing or extra operand, bad value (400).
    case usage = 2
    /// No dataset here, no such (or a deleted) snapshot (404).
    case notFound = 3
    /// Another operation runs, changes block the request, the current snapshot, an existing dataset (409).
    case conflict = 4
    /// Permission denied, unsupported format, unsafe path (403).
    case forbidden = 5
    /// Disk full, I/O error, corrupt repository.
    case storage = 6

    /// The one place an error becomes an exit status. Every error the library means a user to
    /// see is a `DsnapError` and names its kind; anything else that escapes is a bug.
    static func forError(_ error: Error) -> ExitCode {
        if error is UsageError { return .usage }
        guard let error = error as? DsnapError else { return .internalError }
        switch error.kind {
        case .invalidRequest: return .usage
        case .notFound: return .notFound
        case .conflict: return .conflict
        case .forbidden: return .forbidden
        case .storage: return .storage
        case .bug: return .internalError
        }
    }
}

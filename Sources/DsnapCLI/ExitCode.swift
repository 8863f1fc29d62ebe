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
    /// `dsnap run`: COMMAND exists but cannot be executed (a shell's 126).
    case cannotExecute = 126
    /// `dsnap run`: COMMAND was not found (a shell's 127).
    case commandNotFound = 127

    /// The one place an error becomes an exit status. Every error the library means a user to
    /// see is a `DsnapError` and names its kind; anything else that escapes is a bug.
    static func forError(_ error: Error) -> ExitCode {
        if error is UsageError { return .usage }
        guard let error = error as? DsnapError else { return .internalError }
        // `dsnap run` stands in for the shell that would run COMMAND: a COMMAND it cannot start
        // exits as a shell's would, so scripts test for 126 and 127 as they do after `sh -c`.
        if let status = (error as? RunError)?.shellStatus { return status == 127 ? .commandNotFound : .cannotExecute }
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

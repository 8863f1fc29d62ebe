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

    /// The one place an error becomes an exit status.
    static func forError(_ error: Error) -> ExitCode {
        switch error {
        case is UsageError:
            return .usage
        case let error as DatasetError:
            switch error {
            case .notADataset: return .notFound
            case .alreadyADataset: return .conflict
            case .unsupportedFormat, .ownedByAnotherUser: return .forbidden
            case .notADirectory, .invalidName: return .usage
            }
        case let error as SnapshotError:
            switch error {
            case .notFound, .noSuchDeleted, .deleted, .noCurrentSnapshot: return .notFound
            case .ambiguous, .invalidName: return .usage
            case .cannotDeleteCurrent, .notDeleted: return .conflict
            }
        case is LockError:
            return .conflict
        case let error as RestoreError:
            switch error {
            case .uncommittedChanges, .interrupted, .unsyncedBeforeRestart: return .conflict
            case .nothingToContinue: return .notFound
            }
        case let error as CheckoutError:
            switch error {
            case .unsafePath, .malformedEntry: return .forbidden
            case .directoryInTheWay: return .conflict
            }
        case is CloneError:
            return .conflict
        case is WorkTreeError:
            return .forbidden
        case let error as StorageError:
            switch error {
            case .permissionDenied: return .forbidden
            case .diskFull, .io, .corrupt, .unsound: return .storage
            }
        default:
            return .internalError
        }
    }
}

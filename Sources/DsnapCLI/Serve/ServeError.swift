import DsnapCore
import DsnapHTTP

/// Why `dsnap serve` could not start: nothing to serve (404, exit 3), or it could not listen:
/// the address is taken (409, exit 4), not ours to bind (403, exit 5), not an address (exit 2).
enum ServeError: DsnapError {
    case noDatasets(root: String)
    case listen(HTTPServerError)

    /// A server error as a `ServeError`; anything else as it was.
    static func from(_ error: Error) -> Error {
        guard let failure = error as? HTTPServerError else { return error }
        return ServeError.listen(failure)
    }

    var kind: ErrorKind {
        switch self {
        case .noDatasets: .notFound
        case .listen(.addressInUse): .conflict
        case .listen(.permissionDenied): .forbidden
        case .listen(.badAddress): .invalidRequest
        case .listen: .storage
        }
    }

    var message: String {
        switch self {
        case let .noDatasets(root): "not a dataset, nor a folder holding one: '\(root)'"
        case let .listen(failure): failure.message
        }
    }

    var hint: String? {
        switch self {
        case .noDatasets: "give --root a dataset, or a folder whose sub-folders are datasets ('dsnap init' makes one)"
        case let .listen(failure): failure.hint
        }
    }
}

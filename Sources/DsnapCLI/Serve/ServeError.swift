import DsnapCore
import DsnapHTTP

/// The server could not start listening: the address is taken (409, exit 4), not ours to bind
/// (403, exit 5), or not an address (exit 2).
struct ServeError: DsnapError {
    let failure: HTTPServerError

    init(_ failure: HTTPServerError) {
        self.failure = failure
    }

    /// A server error as a `ServeError`; anything else as it was.
    static func from(_ error: Error) -> Error {
        guard let failure = error as? HTTPServerError else { return error }
        return ServeError(failure)
    }

    var kind: ErrorKind {
        switch failure {
        case .addressInUse: .conflict
        case .permissionDenied: .forbidden
        case .badAddress: .invalidRequest
        default: .storage
        }
    }

    var message: String { failure.message }
    var hint: String? { failure.hint }
}

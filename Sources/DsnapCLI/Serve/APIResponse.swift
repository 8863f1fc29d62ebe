import DsnapCore
import DsnapHTTP

/// The responses the API gives: JSON bodies, and errors as `{"detail": ...}` (the hosted API's
/// error shape) with dsnap's hint beside it.
enum APIResponse {
    static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [(name: "Content-Type", value: "application/json")],
                     body: Array((JSONWriter.render(value) + "\n").utf8))
    }

    /// 200 or 202 with an empty body, as the API answers delete, restore and clone; `headers` say
    /// more for clients that look (the task of an asynchronous operation).
    static func empty(status: Int, headers: [(name: String, value: String)] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: [])
    }

    static func error(_ status: Int, _ detail: String, hint: String? = nil) -> HTTPResponse {
        var members: [(key: String, value: JSONValue)] = [("detail", .string(detail))]
        if let hint { members.append(("hint", .string(hint))) }
        return json(.object(members), status: status)
    }

    /// The one place an error becomes an HTTP status, as `ExitCode.forError` makes it an exit status:
    /// both follow the error's kind. Storage failures are 507: the request was fine, the disk was not.
    static func error(_ error: Error) -> HTTPResponse {
        if let usage = error as? UsageError { return self.error(400, usage.message) }
        guard let error = error as? DsnapError else { return self.error(500, "internal error: \(error)") }
        let status = switch error.kind {
        case .invalidRequest: 400
        case .notFound: 404
        case .conflict: 409
        case .forbidden: 403
        case .storage: 507
        case .bug: 500
        }
        return self.error(status, error.message, hint: error.hint)
    }
}

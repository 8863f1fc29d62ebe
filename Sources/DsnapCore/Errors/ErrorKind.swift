/// What kind of refusal or failure an error is, the API's response codes in words: the CLI's
/// exit statuses and a server's HTTP statuses both follow it. Every `DsnapError` names its kind
/// case by case, so a new case cannot reach users without one.
public enum ErrorKind: Sendable, Equatable {
    /// The request itself is wrong: a bad name, a value out of range (API 400).
    case invalidRequest
    /// No dataset here, no such snapshot (API 404).
    case notFound
    /// Another operation runs, changes block the request, something already exists (API 409).
    case conflict
    /// Permission denied, an unsupported format, an unsafe path (API 403).
    case forbidden
    /// Disk full, an I/O error, a damaged store: the request was fine, the storage was not.
    case storage
    /// A bug in dsnap or libgit2 (API 500).
    case bug
}

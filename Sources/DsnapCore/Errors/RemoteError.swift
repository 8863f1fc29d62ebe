/// A remote that cannot be used: unknown, badly named, unreachable, refusing us.
public enum RemoteError: DsnapError, Equatable {
    case unknown(name: String, known: [String])
    case alreadyExists(name: String, url: String)
    case invalidName(String)
    /// The server could not be reached or the transfer broke off (`cause` in libgit2's words).
    case unreachable(name: String, url: String, cause: String)
    /// The server refused our credentials, or we refused its host key.
    case authenticationRefused(name: String, url: String, cause: String)
    /// The server refused a ref update after dsnap retried (a hook, a protected ref, a full disk).
    case rejected(name: String, reference: String, reason: String)
    /// The remote has no dataset catalog to clone or pull.
    case empty(name: String, url: String)
    /// `remote add --create` at a URL dsnap cannot make a repository at (a server's).
    case cannotCreate(url: String)
    /// `remote add --create` where something already stands.
    case createTargetExists(path: String)

    public var kind: ErrorKind {
        switch self {
        case .unknown, .empty: .notFound
        case .alreadyExists, .rejected, .createTargetExists: .conflict
        case .invalidName, .cannotCreate: .invalidRequest
        case .authenticationRefused: .forbidden
        case .unreachable: .storage
        }
    }

    public var message: String {
        switch self {
        case let .unknown(name, _): "no remote named '\(TerminalText.escape(name))'"
        case let .alreadyExists(name, url): "remote '\(TerminalText.escape(name))' already exists (\(TerminalText.escape(url)))"
        case let .invalidName(reason): "invalid remote name: \(reason)"
        case let .unreachable(name, url, cause):
            "cannot reach remote '\(TerminalText.escape(name))' at \(TerminalText.escape(url)): \(TerminalText.escape(cause))"
        case let .authenticationRefused(name, url, cause):
            "remote '\(TerminalText.escape(name))' at \(TerminalText.escape(url)) refused to authenticate: \(TerminalText.escape(cause))"
        case let .rejected(name, reference, reason):
            "remote '\(TerminalText.escape(name))' rejected \(reference): \(TerminalText.escape(reason))"
        case let .empty(name, url): "remote '\(TerminalText.escape(name))' at \(TerminalText.escape(url)) holds no dataset"
        case let .cannotCreate(url): "cannot create a repository at '\(TerminalText.escape(url))': --create makes one at a path"
        case let .createTargetExists(path): "cannot create a repository at '\(TerminalText.escape(path))': it is not an empty folder"
        }
    }

    public var hint: String? {
        switch self {
        case let .unknown(_, known):
            known.isEmpty ? "add one with 'dsnap remote add NAME URL'"
                : "known remotes: \(known.map { TerminalText.escape($0) }.joined(separator: ", "))"
        case let .alreadyExists(name, _): "'dsnap remote remove \(TerminalText.escape(name))' first, or pick another name"
        case .invalidName: "use letters, digits, '-', '_' and '.', not starting with '-' or '.'"
        case .unreachable: "check the URL with 'dsnap remote -v' and that the server runs; a retry sends only what is missing"
        case let .authenticationRefused(_, _, cause) where cause.contains("hostkey"):
            "if that key is the server's, add it: ssh-keyscan [-p PORT] HOST >> ~/.ssh/known_hosts"
        case .authenticationRefused:
            "for ssh, an ed25519 or ecdsa key in ssh-agent or ~/.ssh (RSA keys are refused); for https, set DSNAP_TOKEN"
        case .rejected: "run the command again: dsnap fetches, merges and retries; if it persists, check the server's hooks and disk"
        case .empty: "push a dataset to it first with 'dsnap push'"
        case .cannotCreate: "on a server, run 'git init --bare --shared=group PATH' there, then 'dsnap remote add NAME URL'"
        case .createTargetExists: "name a new folder, or leave out --create to use the repository already there"
        }
    }
}

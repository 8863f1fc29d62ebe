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
    /// A fetch would bring in more than the dataset's cap (`FetchLimits`): `amount` as counted
    /// when it stopped, `key` the config key that sets the cap.
    case overLimit(name: String, url: String, amount: String, key: String, limit: String)
    /// The remote sent a pack dsnap refuses: it breaks the pack format, its checksum or a
    /// delta does not match, or a delta would rebuild an object too large to hold.
    case refusedPack(name: String, url: String, reason: String)
    /// A fetch cap set to something that is not a size or a count.
    case invalidLimit(key: String, value: String)
    /// The remote holds another dataset: none of its snapshots is one of this dataset's.
    case unrelated(name: String, url: String, dataset: String?, snapshots: Int)

    public var kind: ErrorKind {
        switch self {
        case .unknown, .empty: .notFound
        case .alreadyExists, .rejected, .createTargetExists, .unrelated: .conflict
        case .invalidName, .cannotCreate, .invalidLimit: .invalidRequest
        case .authenticationRefused, .overLimit: .forbidden
        case .unreachable, .refusedPack: .storage
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
        case let .overLimit(name, url, amount, key, limit):
            "remote '\(TerminalText.escape(name))' at \(TerminalText.escape(url)) sends \(amount), over \(key) (\(limit)); nothing was applied"
        case let .refusedPack(name, url, reason):
            "remote '\(TerminalText.escape(name))' at \(TerminalText.escape(url)) sent a pack dsnap refuses: \(TerminalText.escape(reason)); nothing was applied"
        case let .invalidLimit(key, value): "invalid \(key) '\(TerminalText.escape(value))'"
        case let .unrelated(name, url, dataset, snapshots):
            "remote '\(TerminalText.escape(name))' at \(TerminalText.escape(url)) holds another dataset"
                + (dataset.map { " ('\(TerminalText.escape($0))')" } ?? "")
                + ": none of its \(snapshots) snapshot\(snapshots == 1 ? "" : "s") is one of this dataset's"
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
        case let .authenticationRefused(_, _, cause) where cause.contains("SSL") || cause.contains("certificate"):
            "if the server's certificate comes from your lab's own authority, trust it: "
                + "git --git-dir=.dsnap config http.sslCAInfo /path/to/ca.pem (or set GIT_SSL_CAINFO)"
        case let .authenticationRefused(_, _, cause) where cause.contains("hostkey"):
            "if that key is the server's, add it: ssh-keyscan [-p PORT] HOST >> ~/.ssh/known_hosts"
        case .authenticationRefused:
            "for ssh, an ed25519 or ecdsa key in ssh-agent or ~/.ssh (RSA keys are refused); "
                + "for https, set DSNAP_TOKEN or a git credential helper (credential.helper)"
        case .refusedPack: "the remote's repository may be damaged: run 'git fsck --full' there; a retry fetches the pack again"
        case .rejected: "run the command again: dsnap fetches, merges and retries; if it persists, check the server's hooks and disk"
        case .empty: "push a dataset to it first with 'dsnap push'"
        case .cannotCreate: "on a server, run 'git init --bare --shared=group PATH' there, then 'dsnap remote add NAME URL'"
        case .createTargetExists: "name a new folder, or leave out --create to use the repository already there"
        case let .overLimit(_, _, _, key, _):
            "if the remote is trusted, raise the cap: git --git-dir=.dsnap config \(key) VALUE, or for a clone "
                + "git config --global \(key) VALUE (0 lifts it)"
        case let .invalidLimit(key, _):
            key == FetchLimits.bytesKey ? "a number of bytes, with k, m or g (e.g. 500g), or 0 for no cap"
                : "a whole number of objects, or 0 for no cap"
        case .unrelated:
            "to copy that dataset, run 'dsnap clone URL'; to merge the two catalogs anyway, add --allow-unrelated"
        }
    }
}

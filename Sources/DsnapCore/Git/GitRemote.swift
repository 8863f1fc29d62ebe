import Clibgit2
import CPushDeflate
import FoundationEssentials
import Glibc

/// One conversation with a git server (a path, `file://`, `git://`, `ssh://`, scp-style
/// `host:path`, `https://`) through libgit2's transports: list its refs, fetch, push. The remote
/// is anonymous (built from the URL): dsnap keeps its remotes' names in `.dsnap/config` itself.
final class GitRemote {
    private let remote: OpaquePointer
    private let repository: GitRepository
    let url: String

    init(url: String, in repository: GitRepository) throws {
        // A server that goes away mid-transfer must fail libgit2's next write with EPIPE (an
        // error naming the remote), not kill dsnap: libgit2 writes to its sockets without
        // MSG_NOSIGNAL.
        signal(SIGPIPE, SIG_IGN)
        var handle: OpaquePointer?
        try check(git_remote_create_anonymous(&handle, repository.pointer, url), "git_remote_create_anonymous")
        remote = handle!
        self.repository = repository
        self.url = url
    }

    deinit {
        git_remote_free(remote)
    }

    /// What the transfer callbacks share with this process: progress and the server's verdict
    /// on each ref a push asked for.
    final class Session {
        var rejected: [String: String] = [:]
        var credentialAttempts = 0
        /// The SSH server's host key as `ssh-keygen -l` shows it (`SHA256:...`), for the error
        /// that refuses an unknown host.
        var hostKeyFingerprint: String?
        /// Caps on what a fetch may bring in, checked as the pack arrives.
        var limits: FetchLimits?
        /// Why the transfer was stopped from this side (a cap was reached), if it was.
        var stopped: Error?
        /// The user's git credential helpers, asked for HTTPS when `DSNAP_TOKEN` is not set.
        var credentialHelper: GitCredentialHelper?
        /// What a helper gave, told back to the helpers once the server accepted or refused it.
        var helperCredential: GitCredentialHelper.Credential?
        /// During a push: the remote, and the advertised commits its pack builder is to treat as
        /// had (see `push`); the others' advertised ids are zeroed once their old values are
        /// taken for the ref updates.
        var pushing: (remote: OpaquePointer, hidden: Set<GitOID>)?
        let onProgress: (TransferProgress) -> Void

        init(onProgress: @escaping (TransferProgress) -> Void) {
            self.onProgress = onProgress
        }
    }

    /// Objects and bytes moved so far, as libgit2 counts them.
    struct TransferProgress {
        var objectsDone: Int
        var objectsTotal: Int
        var bytes: Int
    }

    /// Which of the server's services a connection talks to: upload-pack (fetch) or receive-pack
    /// (push). Each advertises the server's refs; a fetch or push on the open connection then
    /// negotiates against exactly what was advertised, with no second round trip.
    enum Direction {
        case fetch, push
    }

    /// Connects and reads the server's advertisement; `fetch` or `push` (whichever matches the
    /// direction) then goes on over this connection, and the connection ends with it or with
    /// this remote.
    func connect(_ direction: Direction, session: Session) throws {
        if url.lowercased().hasPrefix("https://") { try trustConfiguredAuthorities() }
        var callbacks = try Self.callbacks(session)
        _ = try naming(session) {
            try check(git_remote_connect(remote, direction == .fetch ? GIT_DIRECTION_FETCH : GIT_DIRECTION_PUSH,
                                         &callbacks, nil, nil), "git_remote_connect")
        }
    }

    /// A lab's own certificate authority, as git is told of it: `GIT_SSL_CAINFO`, else
    /// `http.sslCAInfo` (the dataset's config, then the user's), a PEM file trusted instead of
    /// the system's bundle. Without either, the bundle libgit2 was built with is used.
    private func trustConfiguredAuthorities() throws {
        let environment = ProcessInfo.processInfo.environment
        let configured = try repository.configString("http.sslCAInfo")
        guard var file = environment["GIT_SSL_CAINFO"] ?? configured, !file.isEmpty else { return }
        if file.hasPrefix("~/"), let home = environment["HOME"] { file = home + file.dropFirst(1) }
        try check(dsnap_set_ssl_cert_file(file), "git_libgit2_opts")
    }

    /// The refs the connected server advertised, as name -> target (symbolic refs such as HEAD
    /// resolved by the server).
    func advertisedReferences() throws -> [String: GitOID] {
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        try check(git_remote_ls(&heads, &count, remote), "git_remote_ls")
        var references: [String: GitOID] = [:]
        for position in 0..<count {
            guard let head = heads?[position]?.pointee else { continue }
            references[String(cString: head.name)] = GitOID(head.oid)
        }
        return references
    }

    func disconnect() {
        git_remote_disconnect(remote)
    }

    /// Fetches with explicit refspecs, pruning local refs under their destinations that the
    /// server no longer has.
    func fetch(_ refspecs: [String], session: Session) throws {
        var options = git_fetch_options()
        try check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "git_fetch_options_init")
        options.callbacks = try Self.callbacks(session)
        options.prune = GIT_FETCH_PRUNE
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        // The indexer refuses a pack declaring more objects than the cap at its header, before
        // it reserves room for each of them.
        if let maxObjects = session.limits?.maxObjects { dsnap_set_pack_max_objects(maxObjects) }
        defer { dsnap_set_pack_max_objects(Int(UInt32.max)) }
        do {
            _ = try naming(session) {
                try Self.withStrings(refspecs) { array in
                    try check(git_remote_fetch(remote, &array, &options, "dsnap: fetch"), "git_remote_fetch")
                }
            }
        } catch let failure as GitFailure {
            if let stopped = session.stopped { throw stopped }
            if let limits = session.limits, let maxObjects = limits.maxObjects,
               failure.errorClass == Int32(GIT_ERROR_INDEXER.rawValue), failure.message.contains("too many objects") {
                throw RemoteError.overLimit(name: limits.remote, url: limits.url, amount: "a pack of more than \(maxObjects) objects",
                                            key: FetchLimits.objectsKey, limit: "\(maxObjects)")
            }
            throw failure
        }
        approveHelperCredential(session)
    }

    /// A credential from a helper that the server took is told back to the helpers, as git
    /// does, so that a storing helper keeps it.
    private func approveHelperCredential(_ session: Session) {
        if let credential = session.helperCredential { session.credentialHelper?.approve(credential) }
        session.helperCredential = nil
    }

    /// pack.deltaCacheSize as dsnap sets it: libgit2 searches deltas for no object larger.
    static let noDeltaThreshold = "1"
    /// What dsnap set before (deltas searched among objects under 50 KB): replaced when found.
    static let mediaOnlyDeltaThreshold = "51200"

    /// Pushes explicit refspecs (libgit2 refuses wildcards in a push). Returns each ref the
    /// server refused, with its reason (a non-fast-forward, say); the others landed.
    ///
    /// What libgit2 sends is decided in its `queue_objects` (push.c): it hides every commit the
    /// server advertises and reads each one's trees (all those not met before) to mark them as
    /// had, before it walks what is new. A dataset's server advertises one ref per snapshot, so
    /// that work grew with the snapshots there, not with the change (a branch of plain git
    /// advertises one commit). So only the commits that border what is pushed stay hidden (see
    /// `commitsToHide`): the others' ids are zeroed in libgit2's list of advertised refs, which
    /// `queue_objects` skips, after libgit2 has taken the old value of each ref it updates
    /// (the compare-and-swap is unchanged). Hiding fewer commits can only add objects to the
    /// pack, never leave out one the server lacks.
    func push(_ refspecs: [String], session: Session) throws -> [String: String] {
        guard !refspecs.isEmpty else { return [:] }
        var options = git_push_options()
        try check(git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION)), "git_push_options_init")
        options.callbacks = try Self.callbacks(session)
        session.pushing = (remote, try commitsToHide(for: refspecs))
        defer { session.pushing = nil }
        // Called after libgit2 has read each updated ref's old value from the advertised list,
        // before it hides that list's commits.
        options.callbacks.push_negotiation = { _, _, payload in
            let session = Unmanaged<Session>.fromOpaque(payload!).takeUnretainedValue()
            guard let (remote, hidden) = session.pushing else { return 0 }
            var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
            var count = 0
            guard git_remote_ls(&heads, &count, remote) == 0 else { return 0 }
            for position in 0..<count {
                guard let head = heads?[position], !hidden.contains(GitOID(head.pointee.oid)) else { continue }
                UnsafeMutablePointer(mutating: head).pointee.oid = git_oid()
            }
            return 0
        }
        options.pb_parallelism = 0
        // libgit2 1.5's pack builder reads its big-file threshold, the size above which it
        // searches no deltas, from pack.deltaCacheSize (a copy of the wrong key, in
        // pack-objects.c). At 1 byte it searches none at all, as the git CLI does with
        // pack.window=0: media have no deltas, and the search among a push's sidecars and trees
        // was most of the difference between an incremental push and git's (two threads
        // comparing every small object with ten others, to save a few KB on a pack of MBs).
        // Plain git reads the key as the size of its delta cache, which only its own repacks
        // use, and which the value 51200 written before (a threshold for media only) had made
        // as good as none already.
        if try [nil, Self.mediaOnlyDeltaThreshold].contains(repository.configString("pack.deltaCacheSize")) {
            try repository.setConfig("pack.deltaCacheSize", Self.noDeltaThreshold)
        }
        // Media are compressed already: the pack carries them as zlib stored blocks, as the git
        // CLI does with pack.compression=0, instead of deflating each again (see push_deflate.h).
        dsnap_set_push_deflate_level(0)
        defer { dsnap_set_push_deflate_level(-1) }
        _ = try naming(session) {
            try Self.withStrings(refspecs) { array in
                try check(git_remote_push(remote, &array, &options), "git_remote_push")
            }
        }
        approveHelperCredential(session)
        return session.rejected
    }

    /// The advertised commits a push's pack builder should treat as had: the old value of each
    /// ref it updates, and the nearest advertised ancestors of each commit it pushes, found by
    /// walking parents from the pushed commit until an advertised one (the commits walked are
    /// the ones the pack carries). Everything the server has that the new commits share with
    /// it is reachable from those. A commit missing here only stops the walk early (libgit2
    /// then reports it).
    private func commitsToHide(for refspecs: [String]) throws -> Set<GitOID> {
        let advertised = try advertisedReferences()
        let advertisedIDs = Set(advertised.values)
        var hidden: Set<GitOID> = []
        var pending: [GitOID] = []
        for refspec in refspecs {
            let spec = refspec.hasPrefix("+") ? refspec.dropFirst() : Substring(refspec)
            guard let colon = spec.firstIndex(of: ":") else { continue }
            if let old = advertised[String(spec[spec.index(after: colon)...])] { hidden.insert(old) }
            let source = String(spec[..<colon])
            if !source.isEmpty, let new = try repository.resolve(reference: source) { pending.append(new) }
        }
        var walked: Set<GitOID> = []
        while let id = pending.popLast() {
            guard walked.insert(id).inserted else { continue }
            if advertisedIDs.contains(id) {
                hidden.insert(id)
            } else if let commit = try? repository.commit(id) {
                pending.append(contentsOf: commit.parents)
            }
        }
        return hidden
    }

    /// An unknown SSH host's refusal names the key it offered, so the user can check it.
    private func naming<T>(_ session: Session, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as GitFailure where failure.code == GIT_ECERTIFICATE.rawValue {
            guard let fingerprint = session.hostKeyFingerprint else { throw failure }
            throw GitFailure(function: failure.function, code: failure.code, errorClass: failure.errorClass,
                             message: failure.message + " (its key is \(fingerprint))")
        }
    }

    private static func withStrings<T>(_ strings: [String], _ body: (inout git_strarray) throws -> T) throws -> T {
        let pointers = strings.map { strdup($0) }
        defer { pointers.forEach { free($0) } }
        var array = pointers
        return try array.withUnsafeMutableBufferPointer { buffer in
            var strarray = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            return try body(&strarray)
        }
    }

    private static func callbacks(_ session: Session) throws -> git_remote_callbacks {
        var callbacks = git_remote_callbacks()
        try check(git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION)), "git_remote_init_callbacks")
        // The session outlives every call that uses these callbacks (the caller holds it).
        callbacks.payload = Unmanaged.passUnretained(session).toOpaque()
        callbacks.credentials = { out, url, usernameFromURL, allowed, payload in
            let session = Unmanaged<Session>.fromOpaque(payload!).takeUnretainedValue()
            return RemoteCredentials.acquire(out, url: url.map { String(cString: $0) },
                                             username: usernameFromURL.map { String(cString: $0) },
                                             allowed: allowed, session: session)
        }
        callbacks.certificate_check = { certificate, _, _, payload in
            let session = Unmanaged<Session>.fromOpaque(payload!).takeUnretainedValue()
            if let certificate, certificate.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 {
                let hostKey = UnsafeRawPointer(certificate).assumingMemoryBound(to: git_cert_hostkey.self).pointee
                if hostKey.type.rawValue & GIT_CERT_SSH_SHA256.rawValue != 0 {
                    let digest = withUnsafeBytes(of: hostKey.hash_sha256) { Data($0) }
                    var text = digest.base64EncodedString()
                    while text.hasSuffix("=") { text.removeLast() }
                    session.hostKeyFingerprint = "SHA256:" + text
                }
            }
            // libgit2 then checks ~/.ssh/known_hosts (or the TLS chain) as it would without us.
            return GIT_PASSTHROUGH.rawValue
        }
        callbacks.push_update_reference = { name, status, payload in
            let session = Unmanaged<Session>.fromOpaque(payload!).takeUnretainedValue()
            if let status, let name { session.rejected[String(cString: name)] = String(cString: status) }
            return 0
        }
        callbacks.transfer_progress = { stats, payload in
            let session = Unmanaged<Session>.fromOpaque(payload!).takeUnretainedValue()
            if let stats = stats?.pointee {
                if let limits = session.limits {
                    do {
                        try limits.check(objects: Int(stats.total_objects))
                        try limits.check(bytes: Int64(stats.received_bytes))
                    } catch {
                        session.stopped = error
                        return -1
                    }
                }
                session.onProgress(TransferProgress(objectsDone: Int(stats.received_objects),
                                                    objectsTotal: Int(stats.total_objects),
                                                    bytes: Int(stats.received_bytes)))
            }
            return 0
        }
        callbacks.push_transfer_progress = { current, total, bytes, payload in
            let session = Unmanaged<Session>.fromOpaque(payload!).takeUnretainedValue()
            session.onProgress(TransferProgress(objectsDone: Int(current), objectsTotal: Int(total), bytes: bytes))
            return 0
        }
        return callbacks
    }
}

/// Credentials for a server that asks: the SSH agent first, then the user's own ed25519 and
/// ecdsa keys (libssh2 signs RSA keys with SHA-1, which OpenSSH refuses); for HTTPS, a token
/// from `DSNAP_TOKEN`, else what the user's git credential helpers hold. Each is tried once: a
/// refused one is not offered again, so a wrong key ends in "authentication refused" instead
/// of the server's attempt limit.
enum RemoteCredentials {
    static func acquire(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, url: String?,
                        username: String?, allowed: UInt32, session: GitRemote.Session) -> Int32 {
        let attempt = session.credentialAttempts
        defer { session.credentialAttempts += 1 }
        let user = username ?? ProcessInfo.processInfo.environment["USER"] ?? "git"
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
            let home = ProcessInfo.processInfo.environment["HOME"] ?? "/"
            let keys = ["id_ed25519", "id_ecdsa"].map { home + "/.ssh/" + $0 }.filter { access($0, R_OK) == 0 }
            let agent = ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"] != nil
            let choices = (agent ? [nil] : []) + keys.map { Optional($0) }
            guard attempt < choices.count else {
                let tried = (agent ? ["ssh-agent"] : []) + keys
                return refuse("the server accepted none of our keys (tried: "
                              + (tried.isEmpty ? "none found" : tried.joined(separator: ", ")) + ")")
            }
            if let key = choices[attempt] {
                return git_credential_ssh_key_new(out, user, key + ".pub", key, "")
            }
            return git_credential_ssh_key_from_agent(out, user)
        }
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 {
            if let token = ProcessInfo.processInfo.environment["DSNAP_TOKEN"] {
                guard attempt == 0 else { return refuse("the server refused the token in DSNAP_TOKEN") }
                return git_credential_userpass_plaintext_new(out, username ?? "dsnap", token)
            }
            if let given = session.helperCredential {
                session.credentialHelper?.reject(given)
                session.helperCredential = nil
                return refuse("the server refused the credentials of the git credential helper")
            }
            guard attempt == 0, let url, let helper = session.credentialHelper,
                  let credential = helper.fill(url: url, username: username), let password = credential["password"] else {
                return refuse("the server asks for credentials; DSNAP_TOKEN is not set and no git credential helper has any")
            }
            session.helperCredential = credential
            return git_credential_userpass_plaintext_new(out, credential["username"] ?? username ?? "dsnap", password)
        }
        return refuse("the server asks for a kind of credentials dsnap does not offer")
    }

    /// Ends the attempt with libgit2's authentication error, in our words (libgit2 would keep
    /// whatever error it last saw).
    private static func refuse(_ reason: String) -> Int32 {
        git_error_set_str(Int32(GIT_ERROR_NET.rawValue), reason)
        return GIT_EAUTH.rawValue
    }
}

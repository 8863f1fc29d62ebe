import FoundationEssentials
import Glibc

/// The user's git credential helpers (`credential.helper` in the dataset's config or the user's),
/// asked through `git credential fill`, as git itself asks them: git reads the helper settings
/// (per-URL ones included), runs each `git credential-NAME` or `!command` in turn and speaks
/// the helper protocol, so dsnap gets the same answer `git push` would. Used for HTTPS when
/// `DSNAP_TOKEN` is not set. Terminal prompts are off: a command run by a script never waits
/// for a password nobody types; without git or a helper that answers, there is no credential.
struct GitCredentialHelper: Sendable {
    /// The dataset's git directory: its config names helpers too.
    let gitDir: String

    /// `key=value` lines describing one credential, as the helper protocol writes them.
    struct Credential: Sendable, Equatable {
        var fields: [(key: String, value: String)]

        static func == (left: Credential, right: Credential) -> Bool {
            left.fields.elementsEqual(right.fields) { $0.key == $1.key && $0.value == $1.value }
        }

        subscript(key: String) -> String? { fields.first { $0.key == key }?.value }

        var text: String { fields.map { "\($0.key)=\($0.value)\n" }.joined() + "\n" }
    }

    /// What the helpers hold for `url` (and `username`, when the URL names one); nil when none
    /// answers with a password.
    func fill(url: String, username: String?) -> Credential? {
        guard var request = Self.describe(url) else { return nil }
        if let username { request.fields.append(("username", username)) }
        guard let answer = run("fill", request), answer.status == 0 else { return nil }
        var credential = Credential(fields: [])
        for line in answer.output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            credential.fields.append((String(line[..<equals]), String(line[line.index(after: equals)...])))
        }
        return credential["password"] == nil ? nil : credential
    }

    /// Tells the helpers the credential worked (a storing helper keeps it).
    func approve(_ credential: Credential) { _ = run("approve", credential) }

    /// Tells the helpers the server refused the credential (a storing helper forgets it).
    func reject(_ credential: Credential) { _ = run("reject", credential) }

    /// `protocol`, `host` (with its port) and `path` of an http(s) URL, as git describes it.
    static func describe(_ url: String) -> Credential? {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let scheme = parts[0].lowercased()
        guard scheme == "https" || scheme == "http" else { return nil }
        var rest = parts[1]
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var host = rest[..<slash]
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        rest = rest[slash...].drop { $0 == "/" }
        var fields: [(key: String, value: String)] = [("protocol", scheme), ("host", String(host))]
        if !rest.isEmpty { fields.append(("path", String(rest))) }
        return Credential(fields: fields)
    }

    /// Runs `git credential ACTION` with `credential` on its stdin; its stdout and exit status,
    /// or nil when git cannot be started.
    private func run(_ action: String, _ credential: Credential) -> (output: String, status: Int32)? {
        var input: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        guard pipe(&input) == 0 else { return nil }
        guard pipe(&output) == 0 else {
            input.forEach { close($0) }
            return nil
        }
        // No end may leak into another program dsnap starts (git would wait for its input).
        for end in input + output { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_DIR"] = gitDir
        environment["GIT_TERMINAL_PROMPT"] = "0"
        let (pid, failure) = ChildProcess.start("git", arguments: ["git", "credential", action], environment: environment,
                                                searchingPATH: true) {
            posix_spawn_file_actions_adddup2(&$0, input[0], STDIN_FILENO)
            posix_spawn_file_actions_adddup2(&$0, output[1], STDOUT_FILENO)
            posix_spawn_file_actions_addopen(&$0, STDERR_FILENO, "/dev/null", O_WRONLY, 0)
        }
        close(input[0])
        close(output[1])
        defer { close(output[0]) }
        guard failure == 0 else {
            close(input[1])
            return nil
        }
        // A few hundred bytes: the pipe holds them whole, so writing before reading cannot block.
        // A helper that quits without reading them is no failure of ours (EPIPE is ignored).
        let previous = signal(SIGPIPE, SIG_IGN)
        _ = try? FileWrite.all(input[1], Array(credential.text.utf8), path: "git credential")
        signal(SIGPIPE, previous)
        close(input[1])
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { FileRead.some(output[0], into: $0.baseAddress!, count: $0.count) }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        let termination = ChildProcess(pid: pid).wait()
        guard case let .exited(status) = termination else { return (String(decoding: bytes, as: UTF8.self), 128) }
        return (String(decoding: bytes, as: UTF8.self), status)
    }
}

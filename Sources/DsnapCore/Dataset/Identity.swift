import FoundationEssentials
import Glibc

/// Who takes a snapshot: the commit's author, and the API's `created_by` (the email).
public struct Identity: Sendable, Equatable {
    public let name: String
    public let email: String

    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }

    /// Parses `Name <email>`; a bare `email` serves as both name and email.
    public init?(author text: String) {
        let trimmed = text.trimmed()
        guard !trimmed.isEmpty, !trimmed.contains("\0"), !trimmed.contains("\n") else { return nil }
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let email = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            let name = String(trimmed[..<open]).trimmed()
            guard !email.isEmpty, !email.contains("<"), !email.contains(">") else { return nil }
            self.init(name: name.isEmpty ? email : name, email: email)
        } else {
            guard !trimmed.contains("<"), !trimmed.contains(">"), trimmed.contains("@"),
                  !trimmed.contains(" ") else { return nil }
            self.init(name: trimmed, email: trimmed)
        }
    }

    /// `--author`, else GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL, else git's user.name/user.email,
    /// else `$USER@hostname`: the order git users expect.
    static func resolve(explicit: Identity?, repository: GitRepository, environment: [String: String]) -> Identity {
        if let explicit { return explicit }
        func nonEmpty(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
        // As git does, the name and the email are resolved separately: environment, then config.
        let email = nonEmpty(environment["GIT_AUTHOR_EMAIL"]) ?? nonEmpty(repository.configString(key: "user.email"))
            ?? fallbackEmail(environment)
        let name = nonEmpty(environment["GIT_AUTHOR_NAME"]) ?? nonEmpty(repository.configString(key: "user.name"))
            ?? email
        return Identity(name: name, email: email)
    }

    /// `$USER@hostname`, when neither the environment nor git's config names an email.
    private static func fallbackEmail(_ environment: [String: String]) -> String {
        let user = environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? (getpwuid(geteuid())?.pointee.pw_name.map { String(cString: $0) } ?? "user")
        var host = [CChar](repeating: 0, count: 256)
        let hostname = gethostname(&host, host.count) == 0
            ? host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : "localhost"
        return "\(user)@\(hostname)"
    }
}

import DsnapCore
import FoundationEssentials

/// The secret `dsnap serve --token-file` requires in `Authorization: Bearer ...`, compared in
/// constant time: how long a refusal takes says nothing about how much of a guess was right.
struct BearerToken: Sendable {
    private let secret: [UInt8]

    /// Reads the token from the first line of `path`; an empty or unreadable file is a usage error.
    init(file path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UsageError(message: "cannot read the token file '\(path)'", command: "serve")
        }
        let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let token = String(line.drop(while: { $0 == " " || $0 == "\t" }).reversed()
            .drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed())
        guard token.count >= 16 else {
            throw UsageError(message: "the token in '\(path)' is shorter than 16 characters", command: "serve")
        }
        secret = Array(token.utf8)
    }

    /// True when `header` is `Bearer <the token>`.
    func admits(_ header: String?) -> Bool {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return false }
        let offered = Array(header.dropFirst(7).utf8)
        // Every byte of the longer of the two is looked at, whatever differs first.
        var difference = UInt8(truncatingIfNeeded: offered.count ^ secret.count)
        for index in 0..<max(offered.count, secret.count) {
            let a = index < offered.count ? offered[index] : 0
            let b = index < secret.count ? secret[index] : 0
            difference |= a ^ b
        }
        return difference == 0
    }
}

/// How much one fetch may bring in from a remote, from the dataset's config: a remote is trusted
/// with the catalog it shares, not with the disk and memory of every machine that fetches it.
///
/// - `dsnap.maxFetchObjects`, default 20,000,000: twenty times a snapshot of a million files,
///   so no dataset meets it, while a server claiming billions of objects (libgit2 would reserve
///   memory for each before the first arrives) is refused at the pack's header.
/// - `dsnap.maxFetchBytes` (`k`/`m`/`g` suffixes, as git writes sizes), no default: a dataset
///   may rightly weigh hundreds of gigabytes, and a full disk stops a fetch anyway (exit 6,
///   nothing applied).
/// `0` lifts a cap. A fetch stopped by a cap moves no ref: what it received is unreferenced,
/// and `dsnap gc` reclaims it.
struct FetchLimits: Sendable {
    let remote: String
    let url: String
    let maxObjects: Int?
    let maxBytes: Int64?

    static let objectsKey = "dsnap.maxFetchObjects"
    static let bytesKey = "dsnap.maxFetchBytes"
    static let defaultMaxObjects = 20_000_000

    init(remote: String, url: String, maxObjects: Int?, maxBytes: Int64?) {
        self.remote = remote
        self.url = url
        self.maxObjects = maxObjects
        self.maxBytes = maxBytes
    }

    /// The caps `dataset` sets for remote `remote` at `url`; a value that is no number is a
    /// request error, not a silently lifted cap.
    init(for dataset: Dataset, remote: String, url: String) throws {
        let repository = dataset.repository
        let objects = try dataset.wrapGit { try repository.configString(Self.objectsKey) }
        let bytes = try dataset.wrapGit { try repository.configString(Self.bytesKey) }
        func parse<T>(_ text: String?, key: String, default value: T?, _ reading: (String) -> T?) throws -> T? {
            guard let text else { return value }
            if text.trimmed() == "0" { return nil }
            guard let parsed = reading(text) else { throw RemoteError.invalidLimit(key: key, value: text) }
            return parsed
        }
        self.init(remote: remote, url: url,
                  maxObjects: try parse(objects, key: Self.objectsKey, default: Self.defaultMaxObjects) {
                      Int($0.trimmed()).flatMap { $0 > 0 ? $0 : nil }
                  },
                  maxBytes: try parse(bytes, key: Self.bytesKey, default: nil, ByteSize.parse))
    }

    func check(objects: Int) throws {
        if let maxObjects, objects > maxObjects {
            throw RemoteError.overLimit(name: remote, url: url, amount: "\(objects) objects",
                                        key: Self.objectsKey, limit: "\(maxObjects)")
        }
    }

    func check(bytes: Int64) throws {
        if let maxBytes, bytes > maxBytes {
            throw RemoteError.overLimit(name: remote, url: url, amount: "more than \(maxBytes) bytes",
                                        key: Self.bytesKey, limit: "\(maxBytes)")
        }
    }
}

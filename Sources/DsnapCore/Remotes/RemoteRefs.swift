/// Where a remote's catalog lives once fetched: its snapshot refs, tombstones, records, current
/// snapshot and dataset name under `refs/dsnap/remotes/NAME/`, beside (never inside) the
/// dataset's own refs. They keep what was fetched reachable for git and `dsnap gc`, and tell a
/// push what the server already has.
struct RemoteRefs {
    let remote: String

    var root: String { "refs/dsnap/remotes/\(remote)/" }
    var snapshotsPrefix: String { root + "snapshots/" }
    var deletedPrefix: String { root + "deleted/" }
    var notes: String { root + "notes/dsnap" }
    var current: String { root + "heads/main" }
    var datasetInfo: String { root + "info/dataset" }

    /// What a fetch asks for. Wildcards throughout: a server without some of these refs (a new,
    /// empty repository) is no error, and refs the server dropped are pruned here too.
    var fetchRefspecs: [String] {
        mirrored.map { "+\($0.server)*:\($0.tracking)*" }
    }

    /// The dataset's name for whoever clones it, in a blob: `{"name": ...}`.
    static let datasetInfoPrefix = "refs/dsnap/info/"
    static let datasetInfo = datasetInfoPrefix + "dataset"

    /// The server's refs a fetch mirrors, by prefix: the dataset's own name -> the tracking name.
    var mirrored: [(server: String, tracking: String)] {
        [("refs/dsnap/snapshots/", snapshotsPrefix), ("refs/dsnap/deleted/", deletedPrefix),
         ("refs/notes/", root + "notes/"), ("refs/heads/", root + "heads/"),
         (RemoteRefs.datasetInfoPrefix, root + "info/")]
    }

    /// The tracking ref that mirrors the server's `reference`; nil for refs no fetch mirrors.
    func tracking(_ reference: String) -> String? {
        mirrored.first { reference.hasPrefix($0.server) }.map { $0.tracking + reference.dropFirst($0.server.count) }
    }
}

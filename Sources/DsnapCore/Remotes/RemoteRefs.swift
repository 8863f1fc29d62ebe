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
        ["+refs/dsnap/snapshots/*:\(snapshotsPrefix)*",
         "+refs/dsnap/deleted/*:\(deletedPrefix)*",
         "+refs/notes/*:\(root)notes/*",
         "+refs/heads/*:\(root)heads/*",
         "+\(RemoteRefs.datasetInfoPrefix)*:\(root)info/*"]
    }

    /// The dataset's name for whoever clones it, in a blob: `{"name": ...}`.
    static let datasetInfoPrefix = "refs/dsnap/info/"
    static let datasetInfo = datasetInfoPrefix + "dataset"

    /// The tracking ref that mirrors the server's `reference` (one of the dataset's own names).
    func tracking(_ reference: String) -> String {
        if reference.hasPrefix("refs/dsnap/snapshots/") { return snapshotsPrefix + reference.dropFirst("refs/dsnap/snapshots/".count) }
        if reference.hasPrefix("refs/dsnap/deleted/") { return deletedPrefix + reference.dropFirst("refs/dsnap/deleted/".count) }
        if reference == SnapshotCatalog.notesRef { return notes }
        if reference == Dataset.branch { return current }
        return root + "info/" + reference.dropFirst(RemoteRefs.datasetInfoPrefix.count)
    }
}

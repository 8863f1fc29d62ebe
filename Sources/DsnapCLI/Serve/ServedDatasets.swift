import DsnapCore
import FoundationEssentials
import Glibc
import Synchronization

/// The datasets `dsnap serve` answers for, by `dataset_id`: the root folder itself when it is a
/// dataset, else each dataset directly inside it, and every clone the server made. A request never
/// names a path: the id is looked up here, and only a folder found here is opened.
final class ServedDatasets: Sendable {
    /// One served dataset.
    struct Entry: Sendable {
        let id: String
        let root: String
    }

    let root: String
    private let entries = Mutex<[String: Entry]>([:])
    /// When an unknown id last made the root folder be looked at again: at most once a second, so
    /// a client sending made-up ids costs a dictionary look-up, not a scan.
    private let lastMissScan = Mutex<ContinuousClock.Instant?>(nil)

    init(root: String) {
        self.root = root
    }

    /// Looks at the root folder again: a dataset made or cloned there since is served from now on.
    /// Returns the datasets it could not give an id (their folder and why), for the log.
    @discardableResult
    func rescan() -> [(path: String, problem: String)] {
        var problems: [(path: String, problem: String)] = []
        for folder in Self.candidates(in: root) {
            do {
                try add(root: folder)
            } catch {
                problems.append((folder, (error as? DsnapError)?.message ?? "\(error)"))
            }
        }
        return problems
    }

    /// Serves the dataset in `folder` (a clone the server just made), giving it an id if it has none.
    @discardableResult
    func add(root folder: String) throws -> Entry {
        let dataset = try Dataset.open(root: folder)
        let entry = Entry(id: try dataset.datasetID(), root: folder)
        entries.withLock { $0[entry.id] = entry }
        return entry
    }

    /// The dataset with this id, opened for one request (a `Dataset` is not shared between
    /// threads); nil when no served dataset has it, after looking at the root folder again.
    func open(id: String) throws -> Dataset? {
        let key = id.lowercased()
        var entry = entries.withLock { $0[key] }
        if entry == nil, scanAllowed() {
            rescan()
            entry = entries.withLock { $0[key] }
        }
        guard let entry else { return nil }
        return try Dataset.open(root: entry.root)
    }

    private func scanAllowed() -> Bool {
        let now = ContinuousClock.now
        return lastMissScan.withLock { last in
            if let last, now - last < .seconds(1) { return false }
            last = now
            return true
        }
    }

    /// Every served dataset, in path order.
    func all() -> [Entry] {
        entries.withLock { Array($0.values) }.sorted { $0.root < $1.root }
    }

    /// The root itself when it is a dataset; else its sub-folders that are datasets.
    private static func candidates(in root: String) -> [String] {
        if isDataset(root) { return [root] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { root + "/" + $0 }.filter(isDataset)
    }

    private static func isDataset(_ folder: String) -> Bool {
        access(folder + "/" + Dataset.gitDirName + "/HEAD", F_OK) == 0
    }
}

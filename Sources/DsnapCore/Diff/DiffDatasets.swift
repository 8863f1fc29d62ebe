import FoundationEssentials
import Glibc

/// What to compare and how.
public struct DiffOptions: Sendable {
    /// Folders or files to limit the diff to (relative to the dataset root); empty: everything.
    public var paths: [String]
    /// Match array elements that are objects by this member (`--array-key`).
    public var arrayKey: String?
    /// Tally values under this JSON Pointer across files (`--by`).
    public var tallyPointer: String?

    public init(paths: [String] = [], arrayKey: String? = nil, tallyPointer: String? = nil) {
        self.paths = paths
        self.arrayKey = arrayKey
        self.tallyPointer = tallyPointer
    }
}

/// `dsnap diff`: what changed between two snapshots, or a snapshot and the work tree, down to each
/// JSON field. Trees are compared first, so the cost grows with the change, not the dataset: only
/// JSON files that differ are read and parsed, one at a time.
public enum DiffDatasets {
    /// Compares snapshot `old` (whose objects are in `oldGitDir`) with `to`.
    public static func run(in dataset: Dataset, from old: Snapshot, oldGitDir: String, to: DiffEndpoint,
                           options: DiffOptions) throws -> DatasetDiff {
        let repository = dataset.repository
        let from = DiffEndpoint.snapshot(old, gitDir: oldGitDir)
        // A snapshot of another dataset (a clone, say): its objects become readable here, in memory.
        for case let .snapshot(_, gitDir) in [from, to] where gitDir != dataset.gitDir {
            try dataset.wrapGit { try repository.addReadableObjects(fromGitDir: gitDir) }
        }
        let deltas: [GitFileDelta]
        switch to {
        case let .snapshot(new, _):
            deltas = try dataset.wrapGit { try repository.diffTrees(old.tree, new.tree, paths: options.paths) }
        case .workTree:
            deltas = try WorkTreeDiff.fromTree(old.tree, in: dataset, paths: options.paths, detectRenames: true)
        }

        var result = DatasetDiff(from: from, to: to, files: [], warnings: [], tally: nil)
        var tally = options.tallyPointer.map { TallyBuilder(pointer: $0) }
        let structural = JSONStructuralDiff(arrayKey: options.arrayKey)
        for delta in deltas {
            guard var file = FileDiff(delta: delta) else { continue }
            let status = file.status
            let isJSON = file.fileClass == .json
            let oldIsFile = delta.oldMode == GitFileMode.regular || delta.oldMode == GitFileMode.executable
            let newIsFile = delta.newMode == GitFileMode.regular || delta.newMode == GitFileMode.executable
            // Renames are exact matches: the content, and so its fields, did not change.
            if isJSON && status != .renamed && (tally != nil || status == .modified) {
                let oldDocument = status == .added || !oldIsFile ? nil
                    : parse(try dataset.blobBytes(delta.oldID), path: delta.oldPath, side: "old", into: &result)
                let newDocument = status == .removed || !newIsFile ? nil
                    : parse(try newBytes(delta, to: to, dataset: dataset), path: delta.newPath, side: "new", into: &result)
                if status == .modified, let oldDocument, let newDocument {
                    file.changes = structural.changes(from: oldDocument, to: newDocument)
                    file.comparedAsJSON = true
                }
                tally?.add(old: oldDocument, new: newDocument)
            }
            result.files.append(file)
        }
        result.tally = tally?.result
        return result
    }

    /// The new side's bytes: the blob, or the work tree file.
    private static func newBytes(_ delta: GitFileDelta, to: DiffEndpoint, dataset: Dataset) throws -> [UInt8] {
        guard case let .workTree(root) = to else { return try dataset.blobBytes(delta.newID) }
        let path = root + "/" + delta.newPath
        guard let bytes = WholeFile.read(delta.newPath, under: root)?.bytes else {
            let denied = PathBytes.withCString(path) { access($0, R_OK) } != 0 && errno == EACCES
            throw StorageError.fromErrno(denied ? EACCES : EIO, path: path)
        }
        return bytes
    }

    /// Parses one side, or records a warning naming the file, line and column and returns nil
    /// (a file too deep to compare is valid JSON, and the warning says that instead).
    private static func parse(_ bytes: [UInt8], path: String, side: String, into result: inout DatasetDiff) -> JSONValue? {
        do {
            return try JSONParser.parse(bytes)
        } catch let error as JSONTooDeepError {
            result.warnings.append("'\(path)' (\(side) side) is nested deeper than \(error.limit) levels "
                                   + "(line \(error.line), column \(error.column)): its fields are not compared")
        } catch let error as JSONSyntaxError {
            result.warnings.append("'\(path)' (\(side) side) is not valid JSON: line \(error.line), column \(error.column): \(error.reason)")
        } catch {
            result.warnings.append("'\(path)' (\(side) side) is not valid JSON")
        }
        return nil
    }
}

/// Counts, per value under a pointer, the files it was added to and removed from.
struct TallyBuilder {
    let pointer: String
    private var entries: [ExactKey: ValueTally] = [:]

    init(pointer: String) {
        self.pointer = pointer
    }

    /// The values a document holds under the pointer: an array's elements, or the value itself.
    private func values(in document: JSONValue?) -> [ExactKey: JSONValue] {
        guard let document, let found = JSONPointer.resolve(pointer, in: document) else { return [:] }
        let items: [JSONValue]
        if case let .array(elements) = found { items = elements } else { items = [found] }
        // Keyed by meaning, as the field diff compares: `1` and `1.0` are one value, and so are
        // two objects whose members differ only in order.
        var result: [ExactKey: JSONValue] = [:]
        for item in items { result[ExactKey(item.canonicalText)] = item }
        return result
    }

    mutating func add(old: JSONValue?, new: JSONValue?) {
        let before = values(in: old)
        let after = values(in: new)
        for (key, value) in after where before[key] == nil {
            entries[key, default: ValueTally(value: value, addedIn: 0, removedIn: 0)].addedIn += 1
        }
        for (key, value) in before where after[key] == nil {
            entries[key, default: ValueTally(value: value, addedIn: 0, removedIn: 0)].removedIn += 1
        }
    }

    /// Most changed first, then by value, so the order is stable.
    var result: [ValueTally] {
        entries.sorted { lhs, rhs in
            let left = lhs.value.addedIn + lhs.value.removedIn
            let right = rhs.value.addedIn + rhs.value.removedIn
            return left != right ? left > right
                : Array(lhs.key.string.utf8).lexicographicallyPrecedes(rhs.key.string.utf8)
        }.map(\.value)
    }
}

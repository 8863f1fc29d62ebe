/// One snapshot that changed a field: its value in the snapshot's parent and in the snapshot
/// (nil: absent there, or the file was).
public struct FieldChange: Sendable {
    public let snapshot: Snapshot
    /// The file's path in this snapshot (its older path, before a rename, is in older entries).
    public let path: String
    public let old: JSONValue?
    public let new: JSONValue?
}

/// What `dsnap log --field` found, newest first, with warnings about versions it could not read.
public struct FieldHistoryResult: Sendable {
    public var changes: [FieldChange]
    public var warnings: [String]
}

/// `dsnap log --field POINTER -- FILE`: the history of one JSON field of one file, walking from the
/// current snapshot to its parent (the first one), and on, as `git log --follow` walks.
///
/// The cost follows the snapshots walked and the versions of the file, never the dataset: each
/// step looks the file's path up in two trees (only the subtrees on the way are read) and
/// compares blob ids; a version is parsed only when its blob differs from the next one's. When
/// the file appears in a snapshot, a tree diff of that one step (its cost follows what changed)
/// looks for an exact-content rename, and the walk goes on under the older path.
public enum FieldHistory {
    public static func run(in dataset: Dataset, file: String, pointer: String, arrayKey: String?,
                           selection: HistorySelection) throws -> FieldHistoryResult {
        let repository = dataset.repository
        let lookup = try SnapshotLookup(dataset: dataset)
        var result = FieldHistoryResult(changes: [], warnings: [])
        guard var id = lookup.currentID else { return result }
        let field = FieldReader(pointer: pointer, arrayKey: arrayKey)
        var values = VersionCache()
        var commit = try dataset.wrapGit { try repository.commit(id) }
        var path = file
        var blob = try dataset.wrapGit { try repository.fileBlob(at: path, inTree: commit.tree) }
        var seen = blob != nil
        while !selection.isFull(result.changes.count) {
            let parent = try commit.parents.first.map { parentID in
                try dataset.wrapGit { try repository.commit(parentID) }
            }
            var parentPath = path
            var parentBlob = try parent.flatMap { parent in
                try dataset.wrapGit { try repository.fileBlob(at: path, inTree: parent.tree) }
            }
            if let parent, parentBlob == nil, blob != nil,
               let renamed = try renamedFrom(path, parentTree: parent.tree, tree: commit.tree, in: dataset) {
                parentPath = renamed
                parentBlob = try dataset.wrapGit { try repository.fileBlob(at: renamed, inTree: parent.tree) }
            }
            seen = seen || parentBlob != nil
            if parentBlob != blob {
                let new = try values.value(of: blob, path: path, snapshot: id, field: field, dataset: dataset,
                                           warnings: &result.warnings)
                let old = try values.value(of: parentBlob, path: parentPath, snapshot: parent?.id, field: field,
                                           dataset: dataset, warnings: &result.warnings)
                if !same(old, new), let snapshot = try lookup.snapshot(id), selection.admits(snapshot) {
                    result.changes.append(FieldChange(snapshot: snapshot, path: path, old: old, new: new))
                }
            }
            guard let parent else { break }
            (id, commit, path, blob) = (parent.id, parent, parentPath, parentBlob)
        }
        if !seen { throw HistoryError.fileNotInHistory(path: file) }
        return result
    }

    private static func same(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (a?, b?): return a.isEquivalent(to: b)
        default: return false
        }
    }

    /// The path `path` had in the parent, when this step renamed it without changing its content.
    private static func renamedFrom(_ path: String, parentTree: GitOID, tree: GitOID, in dataset: Dataset) throws
        -> String? {
        let deltas = try dataset.wrapGit { try dataset.repository.diffTrees(parentTree, tree, paths: []) }
        return deltas.first { $0.status == .renamed && $0.newPath == path }?.oldPath
    }
}

/// The field's value in versions of the file, parsed once per blob: the walk asks for each
/// version twice (as the new side of one step, then the old side of the next).
private struct VersionCache {
    private var last: (blob: GitOID, value: JSONValue?)?

    mutating func value(of blob: GitOID?, path: String, snapshot: GitOID?, field: FieldReader, dataset: Dataset,
                        warnings: inout [String]) throws -> JSONValue? {
        guard let blob else { return nil }
        if let last, last.blob == blob { return last.value }
        let bytes = try dataset.blobBytes(blob)
        let where_ = "'\(path)' in snapshot \(snapshot.map { String($0.hex.prefix(12)) } ?? "?")"
        var value: JSONValue?
        do {
            value = field.value(in: try JSONParser.parse(bytes))
        } catch let error as JSONTooDeepError {
            warnings.append("\(where_) is nested deeper than \(error.limit) levels: its fields count as absent")
        } catch let error as JSONSyntaxError {
            warnings.append("\(where_) is not valid JSON (line \(error.line), column \(error.column): "
                            + "\(error.reason)): its fields count as absent")
        } catch {
            warnings.append("\(where_) is not valid JSON: its fields count as absent")
        }
        last = (blob, value)
        return value
    }
}

/// Finds the value a JSON Pointer names. With an array key (`--array-key id`), a token that
/// steps into an array of objects which all hold that member, each a different value, picks the
/// element whose member has that value, as `diff --array-key` matches them: `/annotations/7/label`
/// follows annotation 7 wherever it moves in the array.
struct FieldReader {
    let tokens: [String]
    let arrayKey: String?

    init(pointer: String, arrayKey: String?) {
        tokens = JSONPointer.tokens(pointer) ?? []
        self.arrayKey = arrayKey
    }

    func value(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            if let arrayKey, case let .array(items) = current,
               case let .keyed(element) = Self.element(in: items, key: arrayKey, matching: token) {
                guard let element else { return nil }
                current = element
            } else {
                guard let next = JSONPointer.step(into: current, token) else { return nil }
                current = next
            }
        }
        return current
    }

    private enum Match {
        /// The array is not keyed by the member: tokens are positions.
        case positional
        /// The element whose member has the token's value; nil when none has.
        case keyed(JSONValue?)
    }

    private static func element(in items: [JSONValue], key: String, matching token: String) -> Match {
        var seen = Set<ExactKey>()
        var found: JSONValue?
        // A string key matches the token's characters (`/items/a1`); a number, bool or null its
        // JSON text, by value as diff compares (`/items/7` finds `"id": 7.0` too).
        let tokenValue = try? JSONParser.parse(token)
        for item in items {
            guard case .object = item, let member = item[key] else { return .positional }
            guard seen.insert(ExactKey(member.canonicalText)).inserted else { return .positional }
            let matches: Bool
            switch member {
            case let .string(text): matches = text.isIdentical(to: token)
            case .number, .bool, .null: matches = tokenValue.map { member.isEquivalent(to: $0) } ?? false
            case .array, .object: matches = false
            }
            if matches { found = item }
        }
        return .keyed(found)
    }
}

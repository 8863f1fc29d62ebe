/// What the merge makes of one path that a side changed.
struct FileMerge: Sendable {
    enum Outcome: Sendable, Equatable {
        /// Ours' file stays as it is.
        case keepOurs
        /// The merged tree holds this file (nil: none).
        case set(MergeFileVersion?)
        /// The merged tree holds a new file with these bytes: a sidecar merged field by field.
        case write([UInt8], mode: UInt32)
    }

    enum How: String, Sendable {
        /// Changed on their side only.
        case taken
        /// Changed on both sides, merged field by field.
        case fields
        /// A whole-file conflict.
        case conflict
    }

    let path: String
    let outcome: Outcome
    let how: How
    let conflicts: [MergeConflict]
}

/// The three-way merge of three trees, file by file: a file changed on one side only takes that
/// side; changed on both sides the same way, it is one file; JSON sidecars changed on both sides
/// merge field by field (`JSONMerge`); anything else changed on both sides differently (media,
/// a file removed on one side and changed on the other) is a conflict that keeps ours' file.
/// Renames are a removal and an addition, as git's merge sees them without rename detection.
enum TreeMerge {
    /// Every path the merge changes or finds in conflict, in path order. `resolutions` settle
    /// conflicts by file and ordinal.
    static func plan(base: GitOID, ours: GitOID, theirs: GitOID, in dataset: Dataset, options: MergeOptions,
                     resolutions: [String: [Int: MergeSide]] = [:]) throws -> [FileMerge] {
        let repository = dataset.repository
        let (baseFiles, oursChanges) = try changes(from: base, to: ours, in: dataset)
        let (theirBaseFiles, theirsChanges) = try changes(from: base, to: theirs, in: dataset)
        let before = baseFiles.merging(theirBaseFiles) { first, _ in first }
        var result: [FileMerge] = []
        for path in theirsChanges.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let their = theirsChanges[path]!
            guard let our = oursChanges[path] else {
                result.append(FileMerge(path: path, outcome: .set(their), how: .taken, conflicts: []))
                continue
            }
            if our == their { continue }
            result.append(try file(path, base: before[path], ours: our, theirs: their, in: dataset, options: options,
                                   resolutions: resolutions[path] ?? [:]))
        }
        return try withoutFolderClashes(result, ours: ours, repository: repository, resolutions: resolutions)
    }

    /// The files that differ from `old` to `new`: each one's version in `old` (when it had one),
    /// and in `new` (nil: removed).
    private static func changes(from old: GitOID, to new: GitOID, in dataset: Dataset) throws
        -> (before: [String: MergeFileVersion], after: [String: MergeFileVersion?]) {
        let deltas = try dataset.wrapGit { try dataset.repository.diffTrees(old, new, paths: []) }
        var before: [String: MergeFileVersion] = [:]
        var after: [String: MergeFileVersion?] = [:]
        for delta in deltas {
            if delta.status != .added {
                before[delta.oldPath] = MergeFileVersion(id: delta.oldID, mode: delta.oldMode)
                if delta.status == .renamed || delta.status == .deleted { after[delta.oldPath] = .some(nil) }
            }
            if delta.status != .deleted {
                after[delta.newPath] = MergeFileVersion(id: delta.newID, mode: delta.newMode)
            }
        }
        return (before, after)
    }

    /// One path both sides changed, differently.
    static func file(_ path: String, base: MergeFileVersion?, ours: MergeFileVersion?, theirs: MergeFileVersion?,
                     in dataset: Dataset, options: MergeOptions, resolutions: [Int: MergeSide]) throws -> FileMerge {
        func whole(_ reason: String) -> FileMerge {
            let side = resolutions[0] ?? options.prefer
            let conflict = MergeConflict(path: path, pointer: nil, ordinal: 0, base: base.map(MergeConflict.Value.file),
                                         ours: ours.map(MergeConflict.Value.file),
                                         theirs: theirs.map(MergeConflict.Value.file), resolution: side, reason: reason)
            return FileMerge(path: path, outcome: side == .theirs ? .set(theirs) : .keepOurs, how: .conflict,
                             conflicts: [conflict])
        }
        guard let ours, let theirs else {
            return whole(ours == nil ? "removed on our side, changed on theirs" : "changed on our side, removed on theirs")
        }
        let regular = [GitFileMode.regular, GitFileMode.executable]
        guard FileClass(path: path) == .json, regular.contains(ours.mode), regular.contains(theirs.mode),
              base.map({ regular.contains($0.mode) }) ?? true else {
            return whole(base == nil ? "added on both sides, differently" : "changed on both sides, differently")
        }
        let oursBytes = try dataset.blobBytes(ours.id)
        guard let oursValue = try? JSONParser.parse(oursBytes),
              let theirsValue = try? JSONParser.parse(try dataset.blobBytes(theirs.id)) else {
            return whole("changed on both sides, and not valid JSON on one")
        }
        var baseValue: JSONValue?
        if let base {
            guard let value = try? JSONParser.parse(try dataset.blobBytes(base.id)) else {
                return whole("changed on both sides, and not valid JSON in the base")
            }
            baseValue = value
        } else if case .object = oursValue, case .object = theirsValue {
            // Added on both sides: members merge as if each side had added them to an empty object.
            baseValue = .object([])
        }
        let merged = JSONMerge(arrayKey: options.arrayKey).merge(base: baseValue, ours: oursValue, theirs: theirsValue,
                                                                  resolutions: resolutions, prefer: options.prefer)
        let conflicts = merged.conflicts.map { conflict in
            MergeConflict(path: path, pointer: conflict.pointer, ordinal: conflict.ordinal,
                          base: conflict.base.map(MergeConflict.Value.json), ours: conflict.ours.map(MergeConflict.Value.json),
                          theirs: conflict.theirs.map(MergeConflict.Value.json), resolution: conflict.resolution,
                          reason: nil)
        }
        guard let document = merged.merged else {
            // Both sides' documents merged to nothing: only a base-less merge of two non-documents could.
            return whole("changed on both sides, differently")
        }
        let bytes = JSONLayoutWriter.render(document, like: oursBytes, oursValue: oursValue)
        // Theirs' mode when only theirs changed it.
        let mode = ours.mode == base?.mode ? theirs.mode : ours.mode
        let outcome: FileMerge.Outcome = bytes == oursBytes && mode == ours.mode ? .keepOurs : .write(bytes, mode: mode)
        return FileMerge(path: path, outcome: outcome, how: .fields, conflicts: conflicts)
    }

    /// A file theirs adds where ours has a folder, or under what ours has as a file (or the
    /// reverse): the merged tree cannot hold both, so theirs' file is a conflict and ours stays.
    private static func withoutFolderClashes(_ files: [FileMerge], ours: GitOID, repository: GitRepository,
                                             resolutions: [String: [Int: MergeSide]]) throws -> [FileMerge] {
        let added = files.filter { if case .set(_?) = $0.outcome { return true }; return false }
        guard !added.isEmpty else { return files }
        var paths = Set(try repository.treeEntries(ours).map(\.path))
        for file in files {
            switch file.outcome {
            case .set(nil): paths.remove(file.path)
            case .set: paths.insert(file.path)
            case .write, .keepOurs: break
            }
        }
        var folders = Set<String>()
        for path in paths {
            var parent = path.parentPath
            while !parent.isEmpty, folders.insert(parent).inserted { parent = parent.parentPath }
        }
        return files.map { file in
            guard case let .set(version?) = file.outcome else { return file }
            var parent = file.path.parentPath
            var clash = folders.contains(file.path)
            while !clash && !parent.isEmpty {
                clash = paths.contains(parent)
                parent = parent.parentPath
            }
            guard clash else { return file }
            let conflict = MergeConflict(path: file.path, pointer: nil, ordinal: 0, base: nil, ours: nil,
                                         theirs: .file(version), resolution: nil,
                                         reason: "a file on their side where ours has a folder, or inside one of our files")
            return FileMerge(path: file.path, outcome: .keepOurs, how: .conflict, conflicts: [conflict])
        }
    }
}

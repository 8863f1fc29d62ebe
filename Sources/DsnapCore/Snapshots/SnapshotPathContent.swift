/// What a path names in a snapshot (`dsnap show SNAP:PATH`): a file, whose content is then
/// streamed with `SnapshotCatalog.readFile`, or a folder with its entries.
public enum SnapshotPathContent: Sendable, Equatable {
    case file(SnapshotEntry)
    /// `path` is "" for the snapshot's top folder.
    case folder(path: String, entries: [SnapshotEntry])
}

/// One entry of a snapshot's tree, as `show SNAP:FOLDER` lists it.
public struct SnapshotEntry: Sendable, Equatable {
    /// From the dataset folder, `/` between folders, exactly as stored.
    public let path: String
    /// `file`, `executable`, `symlink`, `submodule` or `folder`.
    public let kind: String
    /// Nil for a folder: the classes are those of files.
    public let fileClass: FileClass?
    let id: GitOID

    public var isFolder: Bool { kind == "folder" }
    public var name: String { path.lastPathComponent }

    init(path: String, entry: GitRepository.TreeLevelEntry) {
        self.path = path
        id = entry.id
        switch entry.mode {
        case GitFileMode.tree: kind = "folder"
        case GitFileMode.executable: kind = "executable"
        case GitFileMode.symlink: kind = "symlink"
        case GitFileMode.submodule: kind = "submodule"
        default: kind = "file"
        }
        fileClass = entry.isTree ? nil : FileClass(path: path)
    }
}

extension SnapshotCatalog {
    /// What `path` (from the dataset folder; "" is the top) names in `snapshot`. Reads only the
    /// trees on the way to it, never the whole snapshot. `reference` is how the user named the
    /// snapshot, for the not-found message, which lists the names nearest to the one missing.
    public func content(at path: String, of snapshot: Snapshot, reference: String) throws -> SnapshotPathContent {
        let components = try Self.components(of: path)
        var tree = snapshot.tree
        var walked: [String] = []
        for (position, component) in components.enumerated() {
            let entries = try dataset.wrapGit { try dataset.repository.treeLevel(tree) }
            let folder = walked.joined(separator: "/")
            let prefix = folder.isEmpty ? "" : folder + "/"
            guard let entry = entries.first(where: { $0.name.utf8.elementsEqual(component.utf8) }) else {
                throw SnapshotPathError.notFound(path: path, snapshot: reference, folder: folder,
                                                 nearest: Self.nearest(component, among: entries, prefix: prefix))
            }
            walked.append(component)
            let isLast = position == components.count - 1
            if entry.isTree {
                tree = entry.id
                continue
            }
            // A file where the path goes on (`a.jpg/x`): nothing by that path.
            guard isLast else {
                throw SnapshotPathError.notFound(path: path, snapshot: reference, folder: folder,
                                                 nearest: [prefix + entry.name])
            }
            if entry.mode == GitFileMode.submodule { throw SnapshotPathError.submodule(path: path) }
            return .file(SnapshotEntry(path: prefix + entry.name, entry: entry))
        }
        let folder = components.joined(separator: "/")
        let prefix = folder.isEmpty ? "" : folder + "/"
        let entries = try dataset.wrapGit { try dataset.repository.treeLevel(tree) }
        return .folder(path: folder, entries: entries.map { SnapshotEntry(path: prefix + $0.name, entry: $0) })
    }

    /// True when `path` is a file or folder of `tree` (nil: the tree of no snapshot yet).
    func contains(_ path: String, in tree: GitOID?) throws -> Bool {
        guard var current = tree else { return false }
        let components = try Self.components(of: path)
        for (position, component) in components.enumerated() {
            let entries = try dataset.wrapGit { try dataset.repository.treeLevel(current) }
            guard let entry = entries.first(where: { $0.name.utf8.elementsEqual(component.utf8) }) else { return false }
            if entry.isTree {
                current = entry.id
            } else if position < components.count - 1 {
                return false
            }
        }
        return true
    }

    /// Streams a file's content to `consume`, in chunks of at most 1 MiB (a packed object, which
    /// only a user's `git gc` makes, is read whole); returns its size. A link's content is its target.
    @discardableResult
    public func readFile(_ entry: SnapshotEntry, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        try dataset.wrapGit { try dataset.repository.readBlob(entry.id, consume) }
    }

    /// A file's size in bytes, from its object's header (the content is not read).
    public func size(of entry: SnapshotEntry) throws -> Int64 {
        let header = try dataset.wrapGit { try dataset.repository.objectHeader(entry.id) }
        guard let header, header.kind == .blob else {
            throw StorageError.corrupt(detail: header == nil
                ? "object \(entry.id.short) of '\(entry.path)' is missing"
                : "'\(entry.path)' names object \(entry.id.short), which is not a blob")
        }
        return Int64(header.size)
    }

    /// A path's components, refusing what cannot name anything inside the dataset.
    static func components(of path: String) throws -> [String] {
        if path.isEmpty { return [] }
        if path.hasPrefix("/") { throw SnapshotPathError.invalid(path: path, reason: "it is absolute; give it from the dataset folder") }
        let components = path.pathComponents()
        for component in components {
            if component.isEmpty || component == "." || component == ".." {
                throw SnapshotPathError.invalid(path: path, reason: "it holds an empty, '.' or '..' component")
            }
        }
        if Dataset.isInternalPath(path) {
            throw SnapshotPathError.invalid(path: path, reason: "it is dsnap's own, never part of a snapshot")
        }
        return components
    }

    /// The entries named most like `name` (folders with a trailing `/`), as full paths.
    private static func nearest(_ name: String, among entries: [GitRepository.TreeLevelEntry], prefix: String) -> [String] {
        Suggestions.closest(to: name, among: entries.map(\.name), limit: 5).compactMap { match in
            entries.first { $0.name == match }.map { prefix + $0.name + ($0.isTree ? "/" : "") }
        }
    }
}

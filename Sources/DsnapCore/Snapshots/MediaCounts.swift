/// How many images and videos a set of paths holds (`n_images`, `n_videos`).
public struct MediaCounts: Sendable, Equatable {
    public var images = 0
    public var videos = 0

    public init() {}

    public init<S: Sequence>(paths: S) where S.Element == String {
        for path in paths { add(FileClass(path: path)) }
    }

    mutating func add(_ fileClass: FileClass) {
        switch fileClass {
        case .image: images += 1
        case .video: videos += 1
        case .json, .other: break
        }
    }

    init(tree: GitOID, in dataset: Dataset) throws {
        let entries = try dataset.wrapGit { try dataset.repository.treeEntries(tree) }
        self.init(paths: entries.lazy.filter { $0.kind != .submodule && $0.kind != .symlink }.map(\.path))
    }
}

extension GitIndex {
    /// Removes the entries no snapshot may hold (`Dataset.isInternalPath`: a `.gitignore` can
    /// re-include `.dsnap`, and an index written by other means may name one) and returns the
    /// media counts of the rest, in one pass over the index's bytes.
    func removeInternalEntries() throws -> MediaCounts {
        let (counts, internalPaths) = summary(excluding: { Dataset.isInternalPath(utf8: $0) })
        for path in internalPaths { try remove(path: path) }
        return counts
    }
}

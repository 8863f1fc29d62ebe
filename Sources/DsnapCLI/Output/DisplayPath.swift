/// Dataset paths as people read them in text output: relative to the folder dsnap runs in, as git
/// prints them (`../images/a.jpg` from a sibling folder). Machine formats keep dataset-root paths,
/// which do not change with where a script happens to run.
struct DisplayPath {
    /// The working folder's components below the dataset root; nil when it is not inside the
    /// dataset (then paths are shown from the root).
    private let base: [String]?

    init(root: String, workingDirectory: String) {
        let root = root.hasSuffix("/") ? String(root.dropLast()) : root
        if workingDirectory == root {
            base = []
        } else if workingDirectory.hasPrefix(root + "/") {
            base = String(workingDirectory.dropFirst(root.count + 1)).pathComponents(omittingEmpty: true)
        } else {
            base = nil
        }
    }

    /// `path` (relative to the dataset root) relative to the working folder.
    func callAsFunction(_ path: String) -> String {
        guard let base, !base.isEmpty else { return path }
        let components = path.pathComponents()
        var common = 0
        // The last component is the file itself: a folder of the same name is not a common part.
        while common < base.count, common < components.count - 1, base[common].utf8.elementsEqual(components[common].utf8) {
            common += 1
        }
        let up = Array(repeating: "..", count: base.count - common)
        return (up + components[common...]).joined(separator: "/")
    }
}

/// Checks every entry of a snapshot's tree before a checkout writes anything, as git's
/// `verify_path` does: a snapshot may come from elsewhere (a clone, a remote, plain git), so its
/// tree is read as raw bytes and each entry judged on its own.
///
/// Refused as hostile or malformed (`CheckoutError`, exit 5): names that are empty, `.`, `..`,
/// hold a `/`, or are `.dsnap` or `.git` in any case (or a checkout's temporary name); a name
/// listed twice, or as a file and a folder; entries out of git's order (libgit2's diff then
/// pairs the wrong entries); submodules (gitlinks) and modes dsnap never writes. Refused as
/// damage (`StorageError.corrupt`, exit 6): a folder whose tree is missing, unparsable or not a
/// tree, and, when asked, a file whose object is missing.
///
/// A tree reached twice (the same folder content at two paths) is checked once.
enum SnapshotTreeCheck {
    /// The modes git and dsnap write for each kind of entry, as tree objects spell them.
    private static let treeMode = Array("40000".utf8)
    private static let fileModes = [Array("100644".utf8), Array("100755".utf8), Array("120000".utf8)]
    private static let gitlinkMode = Array("160000".utf8)

    /// Checks `tree` and everything under it. With `requireBlobs`, each file's object must be in
    /// the store too (a clone copies them all; a restore checks the ones it writes itself).
    static func check(_ tree: GitOID, in dataset: Dataset, requireBlobs: Bool) throws {
        let repository = dataset.repository
        var checked = Set<GitOID>()
        // An explicit stack: a hostile tree may nest deeper than the thread's stack allows.
        var pending: [(id: GitOID, path: [UInt8])] = [(tree, [])]
        while let (id, path) = pending.popLast() {
            guard checked.insert(id).inserted else { continue }
            let object = try read(id, path: path, repository: repository)
            try forEachEntry(of: object, id: id, path: path) { mode, name, entryID in
                let entryPath = path.isEmpty ? name : path + [UInt8(ascii: "/")] + name
                if mode.elementsEqual(treeMode) {
                    pending.append((entryID, entryPath))
                } else if requireBlobs {
                    let exists = try dataset.wrapGit { try repository.objectExists(entryID) }
                    guard exists else { throw missing(entryID, path: entryPath) }
                }
            }
        }
    }

    /// The bytes of the tree at `path`, or a corruption error naming it.
    private static func read(_ id: GitOID, path: [UInt8], repository: GitRepository) throws -> [UInt8] {
        let object: (kind: GitObjectKind, bytes: [UInt8])?
        do {
            object = try repository.rawObject(id)
        } catch let failure as GitFailure {
            throw StorageError.corrupt(detail: "cannot read folder '\(folderName(path))' (tree \(id.short)): \(failure.message)")
        }
        guard let object else { throw missing(id, path: path) }
        guard object.kind == .tree else {
            throw StorageError.corrupt(detail: "folder '\(folderName(path))' names object \(id.short), which is not a tree")
        }
        return object.bytes
    }

    /// Parses a tree's entries (`MODE SP NAME NUL 20-BYTE-ID`), judging each name and mode and
    /// their order, and hands the sound ones to `body`.
    private static func forEachEntry(of bytes: [UInt8], id: GitOID, path: [UInt8],
                                     _ body: (_ mode: ArraySlice<UInt8>, _ name: [UInt8], _ id: GitOID) throws -> Void)
        throws {
        var names: [[UInt8]: Bool] = [:]   // name -> is a folder
        var previousKey: [UInt8]?
        var position = 0
        while position < bytes.count {
            guard let space = bytes[position...].firstIndex(of: UInt8(ascii: " ")),
                  let nul = bytes[space...].firstIndex(of: 0), nul + 21 <= bytes.count else {
                throw StorageError.corrupt(detail: "folder '\(folderName(path))' (tree \(id.short)) is truncated or malformed")
            }
            let mode = bytes[position..<space]
            let name = Array(bytes[(space + 1)..<nul])
            let entryID = GitOID(rawBytes: bytes[(nul + 1)..<(nul + 21)])
            position = nul + 21
            let entryPath = path.isEmpty ? name : path + [UInt8(ascii: "/")] + name

            try checkName(name, folder: path, entryPath: entryPath)
            let isFolder = mode.elementsEqual(treeMode)
            if mode.elementsEqual(gitlinkMode) {
                throw malformed(entryPath, "is a submodule (gitlink), which a dataset cannot hold")
            }
            guard isFolder || fileModes.contains(where: { mode.elementsEqual($0) }) else {
                throw malformed(entryPath, "has unknown mode \(String(decoding: mode, as: UTF8.self))")
            }
            if let wasFolder = names.updateValue(isFolder, forKey: name) {
                throw malformed(entryPath, wasFolder == isFolder ? "is listed twice" : "is both a file and a folder")
            }
            // git sorts a folder's name as if it ended in `/`.
            let key = isFolder ? name + [UInt8(ascii: "/")] : name
            if let previousKey, !previousKey.lexicographicallyPrecedes(key) {
                throw malformed(entryPath, "is out of order in its folder")
            }
            previousKey = key
            try body(mode, name, entryID)
        }
    }

    /// Names that would leave the folder, reach into `.dsnap` or a `.git`, or that a checkout
    /// treats as its own leftovers.
    private static func checkName(_ name: [UInt8], folder: [UInt8], entryPath: [UInt8]) throws {
        let lowered = name.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        if name.isEmpty {
            throw CheckoutError.malformedEntry(path: folderName(folder), problem: "is a folder holding an entry with an empty name")
        }
        if name == Array(".".utf8) || name == Array("..".utf8) || name.contains(UInt8(ascii: "/"))
            || lowered == Array(".git".utf8) || lowered == Array(Dataset.gitDirName.utf8)
            || name.starts(with: Dataset.temporaryFilePrefix.utf8) {
            throw CheckoutError.unsafePath(display(entryPath))
        }
    }

    private static func malformed(_ path: [UInt8], _ problem: String) -> CheckoutError {
        .malformedEntry(path: display(path), problem: problem)
    }

    private static func missing(_ id: GitOID, path: [UInt8]) -> StorageError {
        .corrupt(detail: "object \(id.short) of '\(display(path))' is missing")
    }

    /// A folder for a message: the top one is `.`.
    private static func folderName(_ path: [UInt8]) -> String {
        path.isEmpty ? "." : display(path)
    }

    /// A path for a message (printing escapes what a terminal must not see).
    static func display(_ path: [UInt8]) -> String {
        PathBytes.string(path)
    }
}

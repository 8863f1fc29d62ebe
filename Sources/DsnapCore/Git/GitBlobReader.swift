import Clibgit2
import FoundationEssentials
import Glibc

/// Blobs read in bounded memory, and the objects a tree reaches (for clone).
extension GitRepository {
    /// Calls `consume` with the blob's bytes in order, in chunks of at most 1 MiB, and returns the size.
    /// Loose objects (all that dsnap writes) stream in bounded memory; packed ones, which appear
    /// only after a user runs `git gc`, are read whole.
    @discardableResult
    func readBlob(_ id: GitOID, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        if let size = try LooseObjectReader.read(path: id.looseObjectPath(in: objectsPath).file, id: id, consume) {
            return size
        }
        return try withWholeObject(id) { object in
            let size = git_odb_object_size(object)
            try consume(UnsafeRawBufferPointer(start: git_odb_object_data(object), count: size))
            return Int64(size)
        }
    }

    /// Reads an object whole through libgit2's object database (which finds packed objects too).
    private func withWholeObject<T>(_ id: GitOID, _ body: (OpaquePointer) throws -> T) throws -> T {
        try withObjectDatabase { odb in
            var oid = id.raw
            var object: OpaquePointer?
            try check(git_odb_read(&object, odb, &oid), "git_odb_read")
            defer { git_odb_object_free(object) }
            return try body(object!)
        }
    }

    /// Every tree and blob reachable from `tree` (itself included), each once.
    func reachableObjects(fromTree tree: GitOID) throws -> [GitOID] {
        var oid = tree.raw
        var handle: OpaquePointer?
        try check(git_tree_lookup(&handle, pointer, &oid), "git_tree_lookup")
        defer { git_tree_free(handle) }
        final class Collector { var seen: Set<GitOID> = []; var ordered: [GitOID] = [] }
        let collector = Collector()
        collector.seen.insert(tree)
        collector.ordered.append(tree)
        let payload = Unmanaged.passUnretained(collector).toOpaque()
        try check(git_tree_walk(handle, GIT_TREEWALK_PRE, { _, entry, payload in
            let collector = Unmanaged<Collector>.fromOpaque(payload!).takeUnretainedValue()
            // Submodule entries name commits of other repositories: not ours to copy.
            guard git_tree_entry_filemode(entry) != GIT_FILEMODE_COMMIT else { return 0 }
            let id = GitOID(git_tree_entry_id(entry))
            if collector.seen.insert(id).inserted { collector.ordered.append(id) }
            return 0
        }, payload), "git_tree_walk")
        return collector.ordered
    }

    /// Copies one object from `source`'s object database into this one (read whole, written whole);
    /// used only for objects that are packed in the source.
    func copyObject(_ id: GitOID, from source: GitRepository) throws {
        try withObjectDatabase { targetODB in
            try source.withWholeObject(id) { object in
                var written = git_oid()
                try check(git_odb_write(&written, targetODB, git_odb_object_data(object), git_odb_object_size(object),
                                        git_odb_object_type(object)), "git_odb_write")
            }
        }
    }
}

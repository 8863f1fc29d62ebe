import Clibgit2

/// The kind of a stored object, as its header says.
enum GitObjectKind: Sendable, Equatable {
    case commit, tree, blob, tag, other
}

/// Objects read as git stores them, without libgit2 parsing them: a snapshot that came from
/// elsewhere is checked entry by entry on its raw bytes (libgit2's tree parser refuses some
/// malformed trees with no word on which entry, and accepts others, such as duplicate names).
extension GitRepository {
    /// The kind and bytes of object `id`, or nil when the store lacks it.
    func rawObject(_ id: GitOID) throws -> (kind: GitObjectKind, bytes: [UInt8])? {
        try withObjectDatabase { odb in
            var oid = id.raw
            var object: OpaquePointer?
            let result = git_odb_read(&object, odb, &oid)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check(result, "git_odb_read")
            defer { git_odb_object_free(object) }
            let size = git_odb_object_size(object)
            let bytes = [UInt8](UnsafeRawBufferPointer(start: git_odb_object_data(object), count: size))
            return (Self.kind(git_odb_object_type(object)), bytes)
        }
    }

    /// The kind of object `id` from its header alone (the content is not inflated), or nil when
    /// the store lacks it.
    func objectKind(_ id: GitOID) throws -> GitObjectKind? {
        try objectHeader(id)?.kind
    }

    /// The kind and content size of object `id` from its header alone, or nil when the store lacks it.
    func objectHeader(_ id: GitOID) throws -> (kind: GitObjectKind, size: Int)? {
        try withObjectDatabase { odb in
            var oid = id.raw
            var size = 0
            var type = GIT_OBJECT_INVALID
            let result = git_odb_read_header(&size, &type, odb, &oid)
            if result == GIT_ENOTFOUND.rawValue { return nil }
            try check(result, "git_odb_read_header")
            return (Self.kind(type), size)
        }
    }

    /// Whether the store holds object `id` (a file look-up, nothing read).
    func objectExists(_ id: GitOID) throws -> Bool {
        try withObjectDatabase { odb in
            var oid = id.raw
            return git_odb_exists(odb, &oid) == 1
        }
    }

    private static func kind(_ type: git_object_t) -> GitObjectKind {
        switch type {
        case GIT_OBJECT_COMMIT: return .commit
        case GIT_OBJECT_TREE: return .tree
        case GIT_OBJECT_BLOB: return .blob
        case GIT_OBJECT_TAG: return .tag
        default: return .other
        }
    }
}

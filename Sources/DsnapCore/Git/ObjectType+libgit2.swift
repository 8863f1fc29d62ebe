import Clibgit2

extension ObjectType {
    /// The same kind as libgit2 numbers it, for the object database backend's answers.
    var libgit2: git_object_t {
        switch self {
        case .commit: GIT_OBJECT_COMMIT
        case .tree: GIT_OBJECT_TREE
        case .blob: GIT_OBJECT_BLOB
        case .tag: GIT_OBJECT_TAG
        }
    }
}

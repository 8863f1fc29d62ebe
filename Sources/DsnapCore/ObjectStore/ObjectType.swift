/// The four kinds of git object, as a loose object's header names them (`blob 1234\0...`).
enum ObjectType: String, Sendable {
    case commit, tree, blob, tag

    /// The type number of a pack entry's header (gitformat-pack(5)).
    var packNumber: UInt8 {
        switch self {
        case .commit: 1
        case .tree: 2
        case .blob: 3
        case .tag: 4
        }
    }
}

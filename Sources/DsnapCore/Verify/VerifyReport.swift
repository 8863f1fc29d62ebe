/// A snapshot as a verify report names it.
public struct SnapshotLabel: Sendable, Equatable {
    public let id: GitOID
    public let name: String
}

/// One thing `dsnap verify` found wrong, with where it matters.
public struct VerifyProblem: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case missingObject = "missing_object"
        case corruptObject = "corrupt_object"
        /// A snapshot ref, tombstone or HEAD that does not say what dsnap wrote.
        case reference
        /// A snapshot's record (its note) that does not parse or does not match its tree.
        case record
        /// An operation was interrupted and is not finished.
        case interrupted
    }

    public let kind: Kind
    /// The object at fault, for object problems.
    public let object: GitOID?
    /// Paths inside the snapshots that hold the object (the first few).
    public internal(set) var paths: [String]
    public internal(set) var snapshots: [SnapshotLabel]
    public let detail: String
    /// What repairs it, when something does.
    public let fix: String?

    /// How many paths a problem lists: one damaged object shared by 10,000 files needs no more.
    static let pathLimit = 3

    init(kind: Kind, object: GitOID? = nil, paths: [String] = [], snapshots: [SnapshotLabel] = [],
         detail: String, fix: String? = nil) {
        self.kind = kind
        self.object = object
        self.paths = paths
        self.snapshots = snapshots
        self.detail = detail
        self.fix = fix
    }

    mutating func add(path: String?, snapshot: SnapshotLabel?) {
        if let path, paths.count < Self.pathLimit, !paths.contains(path) { paths.append(path) }
        if let snapshot, !snapshots.contains(snapshot) { snapshots.append(snapshot) }
    }
}

/// What `dsnap verify` checked and found.
public struct VerifyReport: Sendable {
    public let snapshotsChecked: Int
    public let objectsChecked: Int
    public let bytesChecked: Int64
    public let problems: [VerifyProblem]

    public var isSound: Bool { problems.isEmpty }
}

import Clibgit2

extension GitOID {
    init(_ raw: git_oid) {
        self = withUnsafeBytes(of: raw.id) { GitOID(rawBytes: $0) }
    }

    init(_ pointer: UnsafePointer<git_oid>) {
        self.init(pointer.pointee)
    }

    /// The id as libgit2 takes it.
    var raw: git_oid {
        var oid = git_oid()
        withRawBytes { bytes in withUnsafeMutableBytes(of: &oid.id) { $0.copyMemory(from: bytes) } }
        return oid
    }
}

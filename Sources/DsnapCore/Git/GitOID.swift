import Clibgit2

/// A git object id as a value: 40 lowercase hex digits. Converted to `git_oid` only inside Git/.
public struct GitOID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let hex: String

    /// Accepts exactly 40 hex digits (either case); anything else is nil.
    public init?(hex: String) {
        guard hex.utf8.count == 40, hex.utf8.allSatisfy({ $0.isHexDigit }) else { return nil }
        self.hex = hex.lowercased()
    }

    init(_ raw: git_oid) {
        var copy = raw
        // git_oid_tostr_s formats into a per-thread buffer, copied out at once.
        self.hex = String(cString: git_oid_tostr_s(&copy))
    }

    init(_ pointer: UnsafePointer<git_oid>) {
        self.init(pointer.pointee)
    }

    var raw: git_oid {
        var oid = git_oid()
        // Cannot fail: the initializer validated the text.
        _ = git_oid_fromstr(&oid, hex)
        return oid
    }

    public var description: String { hex }

    /// Where git keeps this object loose: `OBJECTS/xx/yyyy…` (the first two hex digits name the folder).
    func looseObjectPath(in objectsDirectory: String) -> (folder: String, file: String) {
        let folder = objectsDirectory + "/" + hex.prefix(2)
        return (folder, folder + "/" + hex.dropFirst(2))
    }
    public static func < (lhs: GitOID, rhs: GitOID) -> Bool { lhs.hex < rhs.hex }
}

extension UInt8 {
    var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}

import FoundationEssentials
import Glibc

/// The marker a restore leaves in `.dsnap/RESTORE_TARGET` while it runs: the snapshot id it is
/// restoring to. Written (durably) before the first file changes and removed after HEAD moves, so
/// its presence with no restore running means one was interrupted: status says Error, and the
/// next restore finishes it.
enum RestoreMarker {
    static func path(in dataset: Dataset) -> String { dataset.gitDir + "/RESTORE_TARGET" }

    /// The snapshot a restore (running or interrupted) is moving to, if any.
    static func target(in dataset: Dataset) -> GitOID? {
        guard let text = try? String(contentsOfFile: path(in: dataset), encoding: .utf8) else { return nil }
        return GitOID(hex: text.trimmed(newlines: true))
    }

    /// The target of the restore running right now (not of an interrupted one): `is_restoring`.
    static func runningTarget(in dataset: Dataset) -> GitOID? {
        guard let target = target(in: dataset), DatasetLock.runningOperation(in: dataset) != nil else { return nil }
        return target
    }

    static func set(_ target: GitOID, in dataset: Dataset) throws {
        let path = path(in: dataset)
        let temporary = path + ".tmp"
        try FileWrite.durablyReplacing(path, with: Array((target.hex + "\n").utf8), temporary: temporary)
    }

    static func clear(in dataset: Dataset) {
        unlink(path(in: dataset))
    }
}

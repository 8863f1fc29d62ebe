import Foundation

/// The marker a restore leaves in `.dsnap/RESTORE_TARGET` while it runs: the snapshot id it is
/// restoring to. Its presence drives `is_restoring` and the Read Only / Error states.
enum RestoreMarker {
    static func path(in dataset: Dataset) -> String { dataset.gitDir + "/RESTORE_TARGET" }

    /// The snapshot a restore (running or interrupted) is moving to, if any.
    static func target(in dataset: Dataset) -> GitOID? {
        guard let text = try? String(contentsOfFile: path(in: dataset), encoding: .utf8) else { return nil }
        return GitOID(hex: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

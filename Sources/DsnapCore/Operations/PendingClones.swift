import FoundationEssentials
import Glibc

/// The clones a source dataset is giving, noted in `.dsnap/clones/<pid>` (the path of each
/// clone's hidden folder): a clone killed before it finished leaves that folder beside its
/// destination, and any later command in the source removes it once its process is gone.
enum PendingClones {
    static func folder(gitDir: String) -> String { gitDir + "/clones" }

    /// Notes that this process builds a clone in `temporary`. Best effort: a source the user may
    /// only read still clones, and a killed clone's folder is then found by the next clone to the
    /// same destination.
    static func note(_ temporary: String, source gitDir: String) {
        let folder = folder(gitDir: gitDir)
        mkdir(folder, 0o777)
        let path = folder + "/\(getpid())"
        try? (temporary + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func done(source gitDir: String) {
        unlink(folder(gitDir: gitDir) + "/\(getpid())")
    }

    /// Removes the hidden folders of clones whose process is gone, and their notes.
    static func sweep(gitDir: String) {
        let folder = folder(gitDir: gitDir)
        for name in DirectoryNames.list(folder) {
            guard let pid = Int32(name), pid != getpid(), !TaskJournal.isAlive(pid) else { continue }
            if let text = try? String(contentsOfFile: folder + "/" + name, encoding: .utf8) {
                let temporary = text.trimmed(newlines: true)
                // Only a folder named as clone makes them: a note must not name anything else.
                if temporary.lastPathComponent.hasSuffix(".dsnap-clone-\(pid)") {
                    try? FileManager.default.removeItem(atPath: temporary)
                    try? FileManager.default.removeItem(atPath: temporary + ".interrupted")
                }
            }
            unlink(folder + "/" + name)
        }
    }
}

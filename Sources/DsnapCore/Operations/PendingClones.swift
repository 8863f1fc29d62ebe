import FoundationEssentials
import Glibc

/// The clones a source dataset is giving, noted in `.dsnap/clones/<pid>[-<n>]` (the path of each
/// clone's hidden folder): a clone killed before it finished leaves that folder beside its
/// destination, and any later command in the source removes it once its process is gone.
enum PendingClones {
    /// One clone's note: its file in the source's `clones` folder.
    struct Note: Sendable { let path: String }

    static func folder(gitDir: String) -> String { gitDir + "/clones" }

    /// Clones this process has noted: a server gives several at once, one note each.
    private static let counterLock = Lock()
    nonisolated(unsafe) private static var counter = 0

    /// Notes that this process builds a clone in `temporary`. Best effort: a source the user may
    /// only read still clones, and a killed clone's folder is then found by the next clone to the
    /// same destination.
    static func note(_ temporary: String, source gitDir: String) -> Note {
        let folder = folder(gitDir: gitDir)
        mkdir(folder, 0o777)
        let number = counterLock.withLock { () -> Int in
            counter += 1
            return counter
        }
        let note = Note(path: folder + "/\(getpid())" + (number == 1 ? "" : "-\(number)"))
        try? (temporary + "\n").write(toFile: note.path, atomically: true, encoding: .utf8)
        return note
    }

    static func done(_ note: Note) {
        unlink(note.path)
    }

    /// Removes the hidden folders of clones whose process is gone, and their notes.
    static func sweep(gitDir: String) {
        let folder = folder(gitDir: gitDir)
        for name in DirectoryNames.list(folder) {
            let processID = name.split(separator: "-", maxSplits: 1).first.map(String.init) ?? name
            guard let pid = Int32(processID), pid != getpid(), !TaskJournal.isAlive(pid) else { continue }
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

/// git commands people type from habit, and what dsnap offers instead. No edit distance leads from
/// `checkout` to `restore`, so these are spelled out; dsnap(1), GIT COMMANDS, prints the same table.
enum GitWords {
    struct Alternative: Sendable {
        /// The dsnap command that does the job, whose help the hint points to; nil when none does.
        let command: String?
        let advice: String
    }

    static let table: [String: Alternative] = [
        "add": Alternative(command: "commit",
                           advice: "dsnap has no staging area: 'dsnap commit' snapshots the whole folder"),
        "stage": Alternative(command: "commit",
                             advice: "dsnap has no staging area: 'dsnap commit' snapshots the whole folder"),
        "checkout": Alternative(command: "restore",
                                advice: "'dsnap restore SNAP' makes the folder match a snapshot"),
        "switch": Alternative(command: "restore",
                              advice: "'dsnap restore SNAP' makes the folder match a snapshot"),
        "reset": Alternative(command: "restore",
                             advice: "'dsnap restore current' discards the changes since the current snapshot "
                                 + "(saving them as an autosave first)"),
        "clean": Alternative(command: "restore",
                             advice: "'dsnap restore current' also removes files the current snapshot lacks "
                                 + "(ignored files stay)"),
        "rm": Alternative(command: nil,
                          advice: "dsnap has no 'rm': delete the files from the folder, then run 'dsnap commit'"),
        "mv": Alternative(command: nil,
                          advice: "dsnap has no 'mv': move the files in the folder, then run 'dsnap commit'"),
        "tag": Alternative(command: "update",
                           advice: "a snapshot's name is its tag: 'dsnap update --name NAME SNAP' renames one"),
        "branch": Alternative(command: "clone",
                              advice: "dsnap has no branches: 'dsnap clone SNAP DEST' makes an independent copy to work on"),
        "ls-files": Alternative(command: "show",
                                advice: "'dsnap show --files SNAP' lists a snapshot's files"),
        "fsck": Alternative(command: "verify",
                            advice: "'dsnap verify' checks every object, record and ref the snapshots need"),
        "prune": Alternative(command: "gc",
                             advice: "'dsnap gc' reclaims what nothing reaches"),
    ]
}

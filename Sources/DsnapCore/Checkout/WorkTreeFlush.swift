import Glibc

/// How a restore or a clone gets the work tree files it wrote to disk (see `UnsyncedWorkTree`).
public enum WorkTreeFlush: Sendable, Equatable {
    /// Flush before returning: `--sync`, and the library's default.
    case wait
    /// Return at once; `executable` with `arguments` plus the work tree and the marker's token
    /// flushes in the background (the CLI passes itself and its hidden flush command).
    case background(executable: String, arguments: [String])
}

/// Starts a detached process: its own session (so Ctrl-C in the terminal and the terminal
/// closing do not reach it), standard streams on /dev/null (so whoever reads our output is not
/// kept waiting for it), never waited for.
enum BackgroundProcess {
    /// POSIX_SPAWN_SETSID: a GNU flag (glibc 2.26) that Swift's Glibc module does not export.
    private static let setSessionFlag: Int16 = 0x80

    static func start(_ executable: String, arguments: [String]) -> Bool {
        var attributes = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        guard posix_spawnattr_init(&attributes) == 0 else { return false }
        defer { posix_spawnattr_destroy(&attributes) }
        guard posix_spawn_file_actions_init(&actions) == 0 else { return false }
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_setflags(&attributes, setSessionFlag)
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        return posix_spawn(&pid, executable, &actions, &attributes, argv, environ) == 0
    }
}

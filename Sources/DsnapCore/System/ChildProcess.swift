import CSystem
import Glibc

/// How a program dsnap started ended.
public enum ChildTermination: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// The status a shell reports for it: the exit status, or 128 + the signal's number.
    public var shellStatus: Int32 {
        switch self {
        case let .exited(status): status
        case let .signaled(signal): 128 + signal
        }
    }

    public var succeeded: Bool { self == .exited(0) }

    /// `exit status 1`, `signal SIGTERM`: how the journal and the CLI say it.
    public var description: String {
        switch self {
        case let .exited(status): "exit status \(status)"
        case let .signaled(signal): "signal " + ChildTermination.signalName(signal)
        }
    }

    /// `SIGTERM` for 15; `signal 40` for one without a usual name.
    public static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
            SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
            SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
            SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ", SIGSYS: "SIGSYS",
        ]
        return names[signal] ?? "\(signal)"
    }
}

/// A program that `dsnap run` starts and waits for, with dsnap's stdin, stdout and stderr.
///
/// posix_spawn rather than fork: the Swift runtime and libdispatch run threads, and only
/// async-signal-safe calls are allowed between a threaded process's fork and exec.
public struct ChildProcess: Sendable {
    public let pid: pid_t

    /// Why a program could not be started, as execvp and the shells tell it.
    public enum StartFailure: Error, Sendable, Equatable {
        /// No such file, or no such command on PATH (a shell's 127).
        case notFound
        /// Found, but not executable: no permission, a folder, or not a program format (126).
        case notExecutable(errno: Int32)
    }

    /// The file `command` names, found as execvp finds it: a name with a slash is a path (taken
    /// from `directory` when relative), any other name is looked up in `searchPath` (PATH).
    /// Checked before anything else happens, so a typo costs no checkpoint.
    public static func locate(_ command: String, directory: String, searchPath: String?) -> Result<String, StartFailure> {
        guard !command.isEmpty else { return .failure(.notFound) }
        if command.contains("/") {
            let path = command.hasPrefix("/") ? command : directory + "/" + command
            return check(path) ?? .success(path)
        }
        var denied: StartFailure?
        for folder in (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: false) {
            // An empty PATH entry means the current folder, which for the command is `directory`.
            let base = folder.isEmpty ? directory : (folder.hasPrefix("/") ? String(folder) : directory + "/" + folder)
            let path = base + "/" + command
            switch check(path) {
            case nil: return .success(path)
            case .failure(.notFound)?, .success?: continue
            // execvp goes on looking past a file it may not run, and reports EACCES if nothing else is found.
            case let .failure(failure)?: denied = denied ?? failure
            }
        }
        return .failure(denied ?? .notFound)
    }

    /// nil when `path` is a file this process may execute; the reason otherwise.
    private static func check(_ path: String) -> Result<String, StartFailure>? {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(errno == EACCES ? .notExecutable(errno: EACCES) : .notFound) }
        guard info.st_mode & S_IFMT != S_IFDIR else { return .failure(.notExecutable(errno: EISDIR)) }
        guard access(path, X_OK) == 0 else { return .failure(.notExecutable(errno: EACCES)) }
        return nil
    }

    /// Starts `path` with `arguments` (the first is argv[0]) in `directory`, with `environment`.
    /// dsnap ignores the interrupting signals (its handler takes them on a queue) and its threads
    /// block some: the program gets them back as it would from a shell.
    public static func spawn(path: String, arguments: [String], environment: [String: String],
                             directory: String) -> Result<ChildProcess, StartFailure> {
        // Every descriptor dsnap opens is close-on-exec (the dataset lock's above all: a program
        // that outlives a killed dsnap must not keep the dataset locked), so the program gets
        // exactly stdin, stdout and stderr.
        let (pid, failure) = start(path, arguments: arguments, environment: environment, searchingPATH: false) {
            _ = dsnap_spawn_add_chdir(&$0, directory)
        }
        guard failure == 0 else {
            return .failure(failure == ENOENT || failure == ENOTDIR ? .notFound : .notExecutable(errno: failure))
        }
        return .success(ChildProcess(pid: pid))
    }

    /// posix_spawn (posix_spawnp when `searchingPATH`) of `program` with the interrupting
    /// signals back at their defaults and none blocked, after `fileActions` (a chdir, a dup2).
    /// Returns the pid, or 0 and the errno.
    public static func start(_ program: String, arguments: [String], environment: [String: String],
                             searchingPATH: Bool,
                             fileActions: (inout posix_spawn_file_actions_t) -> Void) -> (pid: pid_t, failure: Int32) {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        fileActions(&actions)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArguments = arguments.map { strdup($0) } + [nil]
        let cEnvironment = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let failure = searchingPATH
            ? posix_spawnp(&pid, program, &actions, &attributes, cArguments, cEnvironment)
            : posix_spawn(&pid, program, &actions, &attributes, cArguments, cEnvironment)
        return (failure == 0 ? pid : 0, failure)
    }

    /// Waits until the program ends; a program stopped (Ctrl-Z) is waited for until it ends.
    public func wait() -> ChildTermination {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, 0)
            if result == pid { break }
            // ECHILD: someone else reaped it; nothing is known of how it ended.
            if result < 0 && errno != EINTR { return .exited(127) }
        }
        // The macros of <sys/wait.h> are not imported into Swift: WIFEXITED is "low 7 bits zero".
        let low = status & 0x7f
        return low == 0 ? .exited((status >> 8) & 0xff) : .signaled(low)
    }
}

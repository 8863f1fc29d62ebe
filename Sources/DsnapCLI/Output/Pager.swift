import DsnapCore
import Glibc
import Synchronization

/// Sends what a command prints through a pager on a terminal, as git does for log, show and diff:
/// `$DSNAP_PAGER`, else `$PAGER`, else `less`, with `LESS=FRX` unless LESS is set (quit at once when
/// the text fits the screen, pass colours through, leave the screen as it was). An empty value or
/// `cat` means no pager.
///
/// The pager starts at the first byte written, so a command that fails before printing anything
/// never opens one; `finish` ends its input and waits for the user to quit it. A user who quits
/// early closes the pipe: writes then fail with EPIPE (SIGPIPE is ignored while paging), and
/// dsnap ends quietly with the command's own status.
final class Pager: Sendable {
    private enum State {
        /// Not asked to page, or no pager to run.
        case off
        /// Will start `command` at the first write; `warn` says on stderr when it cannot.
        case armed(command: String, warn: @Sendable (String) -> Void)
        case running(pid: pid_t)
        /// Output is done; dsnap only waits for the user to quit the pager.
        case waiting(pid: pid_t)
        case finished
    }

    private let environment: [String: String]
    private let state = Mutex(State.off)

    /// The pager that `InterruptHandler` lets finish before dsnap exits.
    private static let current = Mutex<Pager?>(nil)

    init(environment: [String: String]) {
        self.environment = environment
    }

    /// The pager's command line, or nil for none. DSNAP_PAGER wins even when empty (git's GIT_PAGER).
    static func command(environment: [String: String]) -> String? {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" }
        let chosen = String((environment["DSNAP_PAGER"] ?? environment["PAGER"] ?? "less")
            .drop(while: blank).reversed().drop(while: blank).reversed())
        return chosen.isEmpty || chosen == "cat" ? nil : chosen
    }

    /// Pages what is written from now on, when stdout is a terminal and there is a pager to run.
    func arm(stdoutIsTerminal: Bool, warn: @escaping @Sendable (String) -> Void) {
        guard stdoutIsTerminal, let command = Self.command(environment: environment) else { return }
        state.withLock { if case .off = $0 { $0 = .armed(command: command, warn: warn) } }
    }

    /// Writes `text` to stdout, starting the pager first when armed.
    func write(_ text: String) {
        startIfArmed()
        writeAll(text, to: STDOUT_FILENO)
    }

    /// Writes bytes that need not be text to stdout, starting the pager first when armed.
    func write(bytes: UnsafeRawBufferPointer) {
        startIfArmed()
        writeAll(bytes, to: STDOUT_FILENO)
    }

    /// Prints straight to stdout after all, when nothing has been written yet: for content a
    /// pager would show as garbage (`show SNAP:PATH` of an image), as git never pages binary.
    func disarm() {
        state.withLock { state in
            if case .armed = state { state = .off }
        }
    }

    private func startIfArmed() {
        state.withLock { state in
            guard case let .armed(command, warn) = state else { return }
            state = start(command, warn: warn).map { .running(pid: $0) } ?? .off
        }
    }

    /// Ends the pager's input and waits until the user quits it; does nothing when none runs.
    func finish() {
        let pid: pid_t? = state.withLock { state in
            switch state {
            case let .running(pid), let .waiting(pid):
                state = .waiting(pid: pid)
                return pid
            case .off, .armed, .finished:
                state = .finished
                return nil
            }
        }
        guard let pid else { return }
        // The pager reads until its input ends: stdout, the pipe's last writer, becomes /dev/null
        // rather than closed, so nothing opened later takes descriptor 1.
        let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
        if null >= 0 {
            dup2(null, STDOUT_FILENO)
            close(null)
        } else {
            close(STDOUT_FILENO)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        state.withLock { $0 = .finished }
        Self.current.withLock { if $0 === self { $0 = nil } }
    }

    /// Called on SIGINT, SIGTERM or SIGHUP: true when the signal is the pager's alone. Ctrl-C
    /// while a pager runs was typed to it (less uses it to stop a search); quitting it ends dsnap
    /// quietly. On another signal the pager is let finish first, so the terminal belongs to the
    /// shell again once dsnap exits, and false is returned.
    static func handleInterrupt(_ signal: Int32) -> Bool {
        guard let pager = current.withLock({ $0 }) else { return false }
        if signal == SIGINT { return true }
        pager.finish()
        return false
    }

    /// Spawns the pager reading a new pipe, and makes that pipe stdout; nil when it cannot run.
    private func start(_ command: String, warn: (String) -> Void) -> pid_t? {
        // Words alone run directly, so a pager that is not installed is reported and skipped;
        // anything a shell must read (quotes, pipes, variables) runs through sh, as git does.
        let shellCharacters = Set("|&;<>()$`\\\"'*?[#~=%\n")
        let argv = command.contains(where: shellCharacters.contains)
            ? ["/bin/sh", "-c", command]
            : command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let program = argv.first else { return nil }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        // Neither end may leak into another program dsnap starts: the pager would wait for it.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        var environment = self.environment
        environment["LESS"] = environment["LESS"] ?? "FRX"
        environment["LV"] = environment["LV"] ?? "-c"

        // dsnap ignores or blocks the interrupting signals (InterruptHandler takes them on a
        // queue); the pager gets them as a program started from the shell would.
        let (pid, failure) = ChildProcess.start(program, arguments: argv, environment: environment,
                                                searchingPATH: true) {
            posix_spawn_file_actions_adddup2(&$0, ends[0], STDIN_FILENO)
        }
        close(ends[0])
        guard failure == 0 else {
            close(ends[1])
            // Less missing from a minimal system is no reason to complain; a pager asked for is.
            if environment["DSNAP_PAGER"] != nil || environment["PAGER"] != nil {
                warn("cannot run the pager '\(command)': \(String(cString: strerror(failure)))")
            }
            return nil
        }
        // Quitting the pager early closes the pipe: the next write fails with EPIPE, which
        // `writeAll` takes as the end of the output, instead of SIGPIPE killing dsnap.
        signal(SIGPIPE, SIG_IGN)
        dup2(ends[1], STDOUT_FILENO)
        close(ends[1])
        Self.current.withLock { $0 = self }
        return pid
    }
}

import Glibc

/// The program `dsnap run` waits for, to which the interrupting signals (SIGINT, SIGTERM, SIGHUP)
/// go instead of ending dsnap: dsnap must outlive it to release the lock and, after a failure,
/// restore the checkpoint. The CLI's signal handler asks `forward` first.
public enum SignalForwarding {
    private static let lock = Lock()
    private nonisolated(unsafe) static var child: pid_t?

    static func begin(_ pid: pid_t) {
        lock.withLock { child = pid }
    }

    static func end() {
        lock.withLock { child = nil }
    }

    /// True when a program runs and so the signal is its business: sent on to it, unless the
    /// terminal sent it already. False when none runs, and the caller handles the signal itself.
    public static func forward(_ signal: Int32) -> Bool {
        guard let pid = lock.withLock({ child }) else { return false }
        if signal == SIGINT && fromTerminal(pid) { return true }
        kill(pid, signal)
        return true
    }

    /// Ctrl-C reaches the whole foreground process group, the program included (it shares
    /// dsnap's group, so it can read the terminal): sent again, a script's trap would run twice.
    /// A SIGINT while dsnap's group owns its terminal is taken to be that one; elsewhere (a
    /// background job, no terminal, `kill -INT`) it is forwarded.
    private static func fromTerminal(_ pid: pid_t) -> Bool {
        let terminal = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC)
        guard terminal >= 0 else { return false }
        defer { close(terminal) }
        let group = getpgrp()
        return tcgetpgrp(terminal) == group && getpgid(pid) == group
    }
}

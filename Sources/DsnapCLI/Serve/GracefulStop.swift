import Synchronization

/// The first Ctrl-C or SIGTERM to `dsnap serve` stops it gently: no new connection, running
/// requests and the restores and clones they started finish, then it exits 0. A second signal
/// is an interruption like any other command's (`InterruptHandler`): what it leaves, the next
/// command finishes, as after a kill.
enum GracefulStop {
    private static let stopper = Mutex<(@Sendable () -> Void)?>(nil)

    /// While `stop` is set, the next signal calls it instead of interrupting.
    static func arm(_ stop: @escaping @Sendable () -> Void) {
        stopper.withLock { $0 = stop }
    }

    static func disarm() {
        stopper.withLock { $0 = nil }
    }

    /// True when the signal was taken as the request to stop gently (the first one).
    static func handle(_ signal: Int32) -> Bool {
        guard let stop = stopper.withLock({ stopper -> (@Sendable () -> Void)? in
            defer { stopper = nil }
            return stopper
        }) else { return false }
        stop()
        return true
    }
}

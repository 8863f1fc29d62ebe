import DsnapCore
import DsnapHTTP
import Synchronization

/// What the server prints as it runs: one line per request on stderr (none with `--quiet`).
final class ServeLog: Sendable {
    let console: Console
    let quiet: Bool
    private let writing = Mutex<Void>(())

    init(console: Console, quiet: Bool) {
        self.console = console
        self.quiet = quiet
    }

    func line(_ text: String) {
        guard !quiet else { return }
        writing.withLock { _ in console.err("dsnap serve: " + text) }
    }

    func request(_ request: HTTPRequest, _ response: HTTPResponse, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        line("\(request.method) \(TerminalText.escape(request.target)) \(response.status) "
            + Int.decimal(milliseconds, places: 1) + " ms")
    }
}

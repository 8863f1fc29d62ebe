import DsnapCore
import Glibc

/// Draws one self-overwriting progress line on stderr (see `ProgressLine`). Only on a terminal:
/// `Invocation.progressSink` gives none when stderr is piped or `--quiet` is given.
///
/// Reports may come ten times a second; the line is redrawn at most five times a second, and not
/// before `delay` has passed (`DSNAP_PROGRESS_DELAY`, as git's `GIT_PROGRESS_DELAY`), so a quick
/// command does not flash a line. It never wraps: it is cut to the terminal's width, since a
/// wrapped line cannot be redrawn in place. It is erased when the operation ends.
final class TerminalProgress: ProgressSink {
    static let defaultDelay = 0.5
    static let redrawInterval = 0.2

    private let console: Console
    private let delay: Double
    /// The terminal's width in columns, asked at each redraw (it may be resized); nil when unknown.
    private let columns: () -> Int?
    /// Seconds from a fixed origin, never going back.
    private let clock: () -> Double
    /// Where ANSI erase-to-end-of-line is not understood (TERM=dumb), the old line is blanked with spaces.
    private let eraseWithSpaces: Bool
    private let started: Double
    private var lastDraw: Double?
    private var drawnWidth = 0
    private var throughput = Throughput()

    init(console: Console, environment: [String: String], columns: @escaping () -> Int? = TerminalProgress.stderrColumns,
         clock: @escaping () -> Double = TerminalProgress.monotonicSeconds) {
        self.console = console
        self.delay = environment["DSNAP_PROGRESS_DELAY"].flatMap(Double.init).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
            ?? Self.defaultDelay
        self.columns = columns
        self.clock = clock
        self.eraseWithSpaces = environment["TERM"] == "dumb"
        self.started = clock()
    }

    func report(_ progress: OperationProgress) {
        let now = clock()
        throughput.record(bytes: progress.bytesDone, at: now)
        guard now - started >= delay, lastDraw.map({ now - $0 >= Self.redrawInterval }) ?? true else { return }
        lastDraw = now
        var line = ProgressLine.text(progress, bytesPerSecond: throughput.bytesPerSecond)
        if let width = columns(), width > 1, line.count > width - 1 { line = String(line.prefix(width - 1)) }
        let visible = line.count
        if console.errorColor, line.hasPrefix(progress.phase) {
            line = Style.green.apply(progress.phase) + line.dropFirst(progress.phase.count)
        }
        console.errRaw("\r" + line + erase(after: visible))
        drawnWidth = visible
    }

    func finish() {
        guard drawnWidth > 0 else { return }
        console.errRaw("\r" + erase(after: 0) + (eraseWithSpaces ? "\r" : ""))
        drawnWidth = 0
        lastDraw = nil
    }

    /// Clears what is left of the previous line after `visible` characters.
    private func erase(after visible: Int) -> String {
        eraseWithSpaces ? String(repeating: " ", count: max(0, drawnWidth - visible)) : "\u{1B}[K"
    }

    static func stderrColumns() -> Int? {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

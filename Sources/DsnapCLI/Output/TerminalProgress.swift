import DsnapCore
import FoundationEssentials
import Glibc

/// Draws one self-overwriting progress line on stderr, at most ten times a second.
final class TerminalProgress: ProgressSink {
    private let console: Console
    private var lastDraw = Date.distantPast
    private var drawn = false
    private let started = Date()

    init(console: Console) {
        self.console = console
    }

    func report(_ progress: OperationProgress) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        var line = "\(progress.phase): \(progress.filesDone)"
        if let total = progress.filesTotal, total > 0 {
            let fraction = min(1, Double(progress.filesDone) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            line = "\(progress.phase) [" + String(repeating: "#", count: filled)
                + String(repeating: "-", count: width - filled) + "] \(progress.filesDone)/\(total) files"
            let elapsed = now.timeIntervalSince(started)
            if fraction > 0.01 && fraction < 1 && elapsed > 1 {
                line += ", ETA " + Int.decimal(elapsed / fraction - elapsed, places: 0) + "s"
            }
        } else {
            line += " files"
        }
        if progress.bytesDone > 0 {
            let seconds = max(now.timeIntervalSince(started), 0.001)
            let megabytes = Double(progress.bytesDone) / 1e6
            line += ", " + Int.decimal(megabytes, places: 1) + " MB (" + Int.decimal(megabytes / seconds, places: 1)
                + " MB/s)"
        }
        console.errRaw("\r\u{1B}[K" + line)
        drawn = true
    }

    func finish() {
        if drawn { console.errRaw("\r\u{1B}[K") }
        drawn = false
    }
}

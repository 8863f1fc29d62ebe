import DsnapCore

/// The words of the progress line, built from one report:
/// `restoring  61%  1.2 GiB / 2.0 GiB  310 MiB/s  3 of 5 files  2 s left`. Bytes lead when
/// there are any (one large file moves them long before a file is done), files follow.
enum ProgressLine {
    static func text(_ progress: OperationProgress, bytesPerSecond: Double?) -> String {
        var parts = [progress.phase]
        let bytesTotal = progress.bytesTotal ?? 0
        if bytesTotal > 0 {
            parts.append(percent(progress.bytesDone, of: bytesTotal))
            parts.append(ByteCount.human(progress.bytesDone) + " / " + ByteCount.human(bytesTotal))
        } else if let total = progress.filesTotal, total > 0 {
            parts.append(percent(Int64(progress.filesDone), of: Int64(total)))
        }
        if bytesTotal == 0 && progress.bytesDone > 0 { parts.append(ByteCount.human(progress.bytesDone)) }
        let rate = (bytesPerSecond ?? 0) >= 1 ? bytesPerSecond : nil
        if progress.bytesDone > 0, let rate { parts.append(ByteCount.human(Int64(rate)) + "/s") }
        if let total = progress.filesTotal {
            parts.append("\(progress.filesDone) of \(total) " + (total == 1 ? "file" : "files"))
        } else {
            parts.append("\(progress.filesDone) " + (progress.filesDone == 1 ? "file" : "files"))
        }
        if let rate, bytesTotal > progress.bytesDone {
            let left = Double(bytesTotal - progress.bytesDone) / rate
            if left >= 1 { parts.append(DurationText.human(seconds: left) + " left") }
        }
        return parts.joined(separator: "  ")
    }

    /// Whole percents, rounded down: 100% only once everything is done. Four characters wide,
    /// so the words after it stay in place as it grows.
    private static func percent(_ done: Int64, of total: Int64) -> String {
        let value = total > 0 ? min(100, max(0, done.multipliedReportingOverflow(by: 100).partialValue / total)) : 0
        return (value < 10 ? "  " : value < 100 ? " " : "") + "\(value)%"
    }
}

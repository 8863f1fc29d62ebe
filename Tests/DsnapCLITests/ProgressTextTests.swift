@testable import DsnapCLI
import DsnapCore
import XCTest

/// The words of the progress line and of `dsnap tasks`: sizes, durations, rates, and how often
/// the line is redrawn.
final class ProgressTextTests: XCTestCase {
    func testSizesAreInBinaryUnitsWithOneDecimal() {
        XCTAssertEqual(ByteCount.human(0), "0 B")
        XCTAssertEqual(ByteCount.human(1023), "1023 B")
        XCTAssertEqual(ByteCount.human(1024), "1.0 KiB")
        XCTAssertEqual(ByteCount.human(3072), "3.0 KiB")
        XCTAssertEqual(ByteCount.human(1_048_525), "1.0 MiB", "the unit changes where the rounding would")
        XCTAssertEqual(ByteCount.human(1_288_490_189), "1.2 GiB")
        XCTAssertEqual(ByteCount.human(2 << 30), "2.0 GiB")
        XCTAssertEqual(ByteCount.human(Int64.max), "8.0 EiB")
    }

    func testDurationsReadAsPeopleSayThem() {
        XCTAssertEqual(DurationText.human(seconds: 0), "0.0 s")
        XCTAssertEqual(DurationText.human(seconds: 2.34), "2.3 s")
        XCTAssertEqual(DurationText.human(seconds: 9.96), "10 s")
        XCTAssertEqual(DurationText.human(seconds: 42.4), "42 s")
        XCTAssertEqual(DurationText.human(seconds: 60), "1 min")
        XCTAssertEqual(DurationText.human(seconds: 72), "1 min 12 s")
        XCTAssertEqual(DurationText.human(seconds: 3599.6), "1 h")
        XCTAssertEqual(DurationText.human(seconds: 7500), "2 h 5 min")
        XCTAssertEqual(DurationText.human(seconds: -3), "0.0 s", "a clock set back")
        XCTAssertEqual(DurationText.human(seconds: .nan), "0.0 s")
    }

    func testTheLineLeadsWithBytesThenTheRateThenFiles() {
        let gib: Int64 = 1 << 30
        let middle = OperationProgress(phase: "restoring", filesDone: 3, filesTotal: 5,
                                       bytesDone: 1_288_490_189, bytesTotal: 2 * gib)
        XCTAssertEqual(ProgressLine.text(middle, bytesPerSecond: 310.0 * 1_048_576),
                       "restoring   60%  1.2 GiB / 2.0 GiB  310.0 MiB/s  3 of 5 files  2.6 s left")
        // Before the rate is known, and for one file.
        let one = OperationProgress(phase: "restoring", filesDone: 0, filesTotal: 1, bytesDone: 1 << 20,
                                    bytesTotal: 100 << 20)
        XCTAssertEqual(ProgressLine.text(one, bytesPerSecond: nil), "restoring    1%  1.0 MiB / 100.0 MiB  0 of 1 file")
        // A snapshot still scanning: no totals yet.
        let scanning = OperationProgress(phase: "snapshotting", filesDone: 12, bytesDone: 5 << 20)
        XCTAssertEqual(ProgressLine.text(scanning, bytesPerSecond: 1_048_576), "snapshotting  5.0 MiB  1.0 MiB/s  12 files")
        // Files only (removals, or work that moves no bytes): the percentage counts files.
        let files = OperationProgress(phase: "restoring", filesDone: 2, filesTotal: 5, bytesTotal: 0)
        XCTAssertEqual(ProgressLine.text(files, bytesPerSecond: nil), "restoring   40%  2 of 5 files")
        // Never 100% before the end, nor past it.
        let almost = OperationProgress(phase: "cloning", filesDone: 0, filesTotal: 1, bytesDone: 999, bytesTotal: 1000)
        XCTAssertTrue(ProgressLine.text(almost, bytesPerSecond: nil).hasPrefix("cloning   99%"))
        let over = OperationProgress(phase: "cloning", filesDone: 1, filesTotal: 1, bytesDone: 1001, bytesTotal: 1000)
        XCTAssertTrue(ProgressLine.text(over, bytesPerSecond: nil).hasPrefix("cloning  100%"))
    }

    func testTheRateLooksAtTheLastFewSeconds() {
        var throughput = Throughput()
        throughput.record(bytes: 0, at: 0)
        XCTAssertNil(throughput.bytesPerSecond, "one sample is no rate")
        throughput.record(bytes: 100, at: 0.1)
        XCTAssertNil(throughput.bytesPerSecond, "a tenth of a second gives wild figures")
        throughput.record(bytes: 1000, at: 1)
        XCTAssertEqual(throughput.bytesPerSecond ?? 0, 1000, accuracy: 0.001)
        // A slow start leaves the window: the rate is the recent one.
        for second in 2...10 { throughput.record(bytes: 1000 + Int64(second - 1) * 5000, at: Double(second)) }
        XCTAssertEqual(throughput.bytesPerSecond ?? 0, 5000, accuracy: 0.001)
        // A stall shows as a falling rate, not as the old one.
        for tenth in 1...30 { throughput.record(bytes: 46000, at: 10 + Double(tenth) / 10) }
        XCTAssertEqual(throughput.bytesPerSecond ?? -1, 0, accuracy: 0.001)
    }

    func testTheLineIsRedrawnAFewTimesASecondAndErasedAtTheEnd() {
        var written = ""
        let console = Console(writeOut: { _ in }, writeErr: { written += $0 }, stdoutIsTerminal: false,
                              stderrIsTerminal: true, environment: ["NO_COLOR": "1"])
        var now = 100.0
        let progress = TerminalProgress(console: console, environment: ["DSNAP_PROGRESS_DELAY": "0.5"],
                                        columns: { 40 }, clock: { now })
        func report(_ bytes: Int64) {
            progress.report(OperationProgress(phase: "restoring", filesDone: 0, filesTotal: 1, bytesDone: bytes,
                                              bytesTotal: 1 << 30))
        }
        report(0)
        now += 0.3
        report(1 << 20)
        XCTAssertEqual(written, "", "nothing before the delay")
        // Eight reports a second for two seconds: a redraw every other one.
        for _ in 0..<16 {
            now += 0.125
            report(2 << 20)
        }
        XCTAssertEqual(written.components(separatedBy: "\r").count - 1, 8)
        // Cut to the terminal's width, less one column: a line that wraps cannot be redrawn.
        for line in written.components(separatedBy: "\r").dropFirst() {
            XCTAssertLessThanOrEqual(line.replacingOccurrences(of: "\u{1B}[K", with: "").count, 39, line)
            XCTAssertTrue(line.hasPrefix("restoring    0%  2.0 MiB / 1.0 GiB"), line)
        }
        XCTAssertFalse(written.contains("\u{1B}[3"), "NO_COLOR: \(written.debugDescription)")
        progress.finish()
        XCTAssertTrue(written.hasSuffix("\r\u{1B}[K"))
    }

    func testADumbTerminalIsClearedWithSpaces() {
        var written = ""
        let console = Console(writeOut: { _ in }, writeErr: { written += $0 }, stdoutIsTerminal: false,
                              stderrIsTerminal: true, environment: ["TERM": "dumb"])
        let progress = TerminalProgress(console: console, environment: ["TERM": "dumb", "DSNAP_PROGRESS_DELAY": "0"],
                                        columns: { nil }, clock: { 0 })
        progress.report(OperationProgress(phase: "cloning", filesDone: 1, filesTotal: 4))
        progress.finish()
        XCTAssertEqual(written, "\rcloning   25%  1 of 4 files\r" + String(repeating: " ", count: 27) + "\r")
        XCTAssertFalse(written.contains("\u{1B}"))
    }
}

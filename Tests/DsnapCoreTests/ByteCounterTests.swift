@testable import DsnapCore
import XCTest

/// Bytes counted by workers as they go, and reported with the files by the thread that waits.
final class ByteCounterTests: XCTestCase {
    func testCountsFromManyThreadsAddUp() {
        let counter = ByteCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 { counter.add(3) }
        }
        XCTAssertEqual(counter.bytesDone, 240_000)
    }

    func testTheTotalIsKnownOnceEveryFilesSizeIs() {
        let counter = ByteCounter()
        XCTAssertNil(counter.bytesTotal(ofFiles: nil), "the number of files is not known yet")
        counter.expect(fileOfSize: 100)
        XCTAssertNil(counter.bytesTotal(ofFiles: 2))
        counter.expect(fileOfSize: 0)
        XCTAssertEqual(counter.bytesTotal(ofFiles: 2), 100)
    }

    /// A sink that keeps every report.
    private final class Reports: ProgressSink, @unchecked Sendable {
        var all: [OperationProgress] = []
        func report(_ progress: OperationProgress) { all.append(progress) }
        func finish() {}
    }

    func testOneLongJobReportsItsBytesBeforeItEnds() throws {
        let reports = Reports()
        let counter = ByteCounter()
        _ = try ParallelWork.run(1, phase: "copying", progress: reports, bytes: counter, makeState: { () }) { _, _ in
            counter.expect(fileOfSize: 10)
            for _ in 0..<10 {
                counter.add(1)
                usleep(60_000)
            }
        }
        let before = reports.all.dropLast()
        XCTAssertFalse(before.isEmpty, "no report while the job ran")
        XCTAssertTrue(before.contains { $0.bytesDone > 0 && $0.bytesDone < 10 && $0.filesDone == 0 }, "\(before)")
        XCTAssertTrue(before.allSatisfy { $0.bytesTotal == 10 && $0.filesTotal == 1 }, "\(before)")
        XCTAssertEqual(reports.all.last, OperationProgress(phase: "copying", filesDone: 1, filesTotal: 1, bytesDone: 10,
                                                           bytesTotal: 10))
    }

    func testAStepReportsAsTheWholeOperation() {
        let reports = Reports()
        let step = ProgressStep(reports, phase: "cloning", filesBefore: 2, filesTotal: 7, bytesTotal: 500)
        step.report(OperationProgress(phase: "restoring", filesDone: 3, filesTotal: 5, bytesDone: 40))
        XCTAssertEqual(reports.all, [OperationProgress(phase: "cloning", filesDone: 5, filesTotal: 7, bytesDone: 40,
                                                       bytesTotal: 500)])
        let plain = ProgressStep(reports)
        plain.report(OperationProgress(phase: "restoring", filesDone: 1, filesTotal: 2, bytesDone: 9, bytesTotal: 20))
        XCTAssertEqual(reports.all.last, OperationProgress(phase: "restoring", filesDone: 1, filesTotal: 2, bytesDone: 9,
                                                           bytesTotal: 20))
    }
}

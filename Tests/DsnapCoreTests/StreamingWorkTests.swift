@testable import DsnapCore
import Foundation
import XCTest

/// Jobs handed out while they are still being found: results come back in the order added, the
/// job factory learns whether the threshold was reached, and a failure stops the producer.
final class StreamingWorkTests: XCTestCase {
    private struct Failure: Error, Equatable { let item: String }

    /// What `receive` was given, in the order given.
    private let received = Box<[(String, String)]>([])

    private func work(startAfter: Int, many: Box<Bool?>, failOn: String? = nil,
                      refuse: String? = nil) -> StreamingWork<String, String, Int> {
        StreamingWork<String, String, Int>(
            phase: "test", progress: nil, startAfter: startAfter, makeState: { 0 },
            receive: { [received] item, result in
                if item == refuse { throw Failure(item: item) }
                received.value.append((item, result))
            }
        ) { isMany in
            many.value = isMany
            return { item, _ in
                if item == failOn { throw Failure(item: item) }
                return "done " + item
            }
        }
    }

    /// Adds `item0`, `item1`, ... until `add` refuses (the failure at item number `failing` was
    /// seen; the workers run concurrently, so slowly once past it) or 20 s pass; returns how many
    /// were accepted.
    private func addUntilRefused(_ streaming: StreamingWork<String, String, Int>, failing: Int) -> Int {
        var accepted = 0
        let deadline = Date().addingTimeInterval(20)
        while streaming.add("item\(accepted)") && Date() < deadline {
            accepted += 1
            if accepted > failing { usleep(100) }
        }
        return accepted
    }

    func testResultsComeBackInTheOrderAddedWhenTheWorkersStartDuringTheScan() throws {
        let many = Box<Bool?>(nil)
        let streaming = work(startAfter: 10, many: many)
        let items = (0..<5_000).map { "item\($0)" }
        for (number, item) in items.enumerated() {
            XCTAssertTrue(streaming.add(item))
            // A pause while adding, as a scan has, so the workers finish some jobs before the
            // next 256th item hands their results on.
            if number == 600 { usleep(100_000) }
        }
        let receivedWhileAdding = received.value.count
        try streaming.finish()
        XCTAssertEqual(received.value.map(\.0), items)
        XCTAssertEqual(received.value.map(\.1), items.map { "done " + $0 })
        XCTAssertEqual(many.value, true)
        // Handed on while the items were still being added (every 256), not all at the end.
        XCTAssertGreaterThan(receivedWhileAdding, 0)
    }

    func testAFailureInReceiveStopsTheProducerAndFinishThrowsIt() {
        let streaming = work(startAfter: 1, many: Box(nil), refuse: "item300")
        XCTAssertGreaterThanOrEqual(addUntilRefused(streaming, failing: 300), 300)
        XCTAssertThrowsError(try streaming.finish()) { XCTAssertEqual($0 as? Failure, Failure(item: "item300")) }
        XCTAssertEqual(received.value.map(\.0), (0..<300).map { "item\($0)" }, "nothing after the refused item")
    }

    func testFewerItemsThanTheThresholdStartTheWorkersAtTheEnd() throws {
        let many = Box<Bool?>(nil)
        let streaming = work(startAfter: 1_000, many: many)
        for number in 0..<3 { XCTAssertTrue(streaming.add("f\(number)")) }
        XCTAssertNil(many.value, "no worker before the end of the scan")
        try streaming.finish()
        XCTAssertEqual(received.value.map(\.1), ["done f0", "done f1", "done f2"])
        XCTAssertEqual(many.value, false)
    }

    func testNoItemsMeansNoJobs() throws {
        let many = Box<Bool?>(nil)
        try work(startAfter: 1, many: many).finish()
        XCTAssertTrue(received.value.isEmpty)
        XCTAssertNil(many.value)
    }

    func testAFailedJobStopsTheProducerAndFinishThrowsIt() {
        let streaming = work(startAfter: 1, many: Box(nil), failOn: "item7")
        XCTAssertGreaterThanOrEqual(addUntilRefused(streaming, failing: 7), 7)
        XCTAssertThrowsError(try streaming.finish()) { XCTAssertEqual($0 as? Failure, Failure(item: "item7")) }
    }

    func testAProducerFarAheadOfTheWorkersWaitsInsteadOfQueueingEverything() throws {
        let started = Box(0)
        let lock = Lock()
        let streaming = StreamingWork<Int, Int, Int>(
            phase: "test", progress: nil, startAfter: 10, maxWaiting: 300, makeState: { 0 },
            receive: { _, _ in }
        ) { _ in
            { item, _ in
                lock.withLock { started.value += 1 }
                usleep(20)  // slower than the producer, as writing a file is slower than finding it
                return item
            }
        }
        var mostWaiting = 0
        for item in 0..<5_000 {
            XCTAssertTrue(streaming.add(item))
            mostWaiting = max(mostWaiting, item + 1 - lock.withLock { started.value })
        }
        try streaming.finish()
        XCTAssertEqual(started.value, 5_000)
        // Checked every 256 items added; the workers may each hold one more.
        XCTAssertLessThanOrEqual(mostWaiting, 300 + 256 + ProcessInfo.processInfo.activeProcessorCount)
    }

    func testCancelWaitsForTheWorkersAndDropsTheRest() {
        let streaming = work(startAfter: 1, many: Box(nil))
        for number in 0..<2_000 { _ = streaming.add("item\(number)") }
        streaming.cancel()
        XCTAssertNil(streaming.failure)
    }
}

/// A value a `@Sendable` job factory can set (the tests read it after the work is done).
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

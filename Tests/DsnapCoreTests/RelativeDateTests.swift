@testable import DsnapCore
import XCTest

/// The dates `log --since/--until` read: ISO forms in UTC or with an offset, git's relative forms
/// counted back from a fixed now, and nil (a usage error upstream) for anything else.
final class RelativeDateTests: XCTestCase {
    let now = Timestamp(iso8601: "2026-03-31T15:30:00Z")!

    private func parse(_ text: String, _ edge: RelativeDate.DayEdge = .start) -> String? {
        RelativeDate.parse(text, now: now, dayEdge: edge)?.iso8601
    }

    func testISODatesAndTimes() {
        XCTAssertEqual(parse("2026-03-01"), "2026-03-01T00:00:00.000000Z")
        XCTAssertEqual(parse("2026-03-01", .end), "2026-03-01T23:59:59.999999Z", "a day alone, as --until, takes the whole day")
        XCTAssertEqual(parse("2026-03-01T10:00"), "2026-03-01T10:00:00.000000Z")
        XCTAssertEqual(parse("2026-03-01T10:00", .end), "2026-03-01T10:00:00.000000Z", "a time is exact at either end")
        XCTAssertEqual(parse("2026-03-01 10:00:05"), "2026-03-01T10:00:05.000000Z")
        XCTAssertEqual(parse("2026-03-01T10:00:05.25Z"), "2026-03-01T10:00:05.250000Z")
        XCTAssertEqual(parse("2026-03-01T12:00:00+02:00"), "2026-03-01T10:00:00.000000Z")
        XCTAssertEqual(parse("2026-03-01T08:30-0130"), "2026-03-01T10:00:00.000000Z")
        XCTAssertEqual(parse(" 2026-03-01t10:00z "), "2026-03-01T10:00:00.000000Z", "any case, spaces around")
        XCTAssertEqual(parse("@0"), "1970-01-01T00:00:00.000000Z")
    }

    func testRelativeFormsCountBackFromNow() {
        XCTAssertEqual(parse("now"), "2026-03-31T15:30:00.000000Z")
        XCTAssertEqual(parse("yesterday"), "2026-03-30T15:30:00.000000Z", "24 hours back, as git")
        XCTAssertEqual(parse("today"), "2026-03-31T00:00:00.000000Z")
        XCTAssertEqual(parse("today", .end), "2026-03-31T23:59:59.999999Z")
        XCTAssertEqual(parse("2.weeks.ago"), "2026-03-17T15:30:00.000000Z")
        XCTAssertEqual(parse("3 days ago"), "2026-03-28T15:30:00.000000Z")
        XCTAssertEqual(parse("1 day 2 hours ago"), "2026-03-30T13:30:00.000000Z")
        XCTAssertEqual(parse("1_hour_ago"), "2026-03-31T14:30:00.000000Z")
        XCTAssertEqual(parse("90.minutes.ago"), "2026-03-31T14:00:00.000000Z")
        XCTAssertEqual(parse("10.seconds.ago"), "2026-03-31T15:29:50.000000Z")
        XCTAssertEqual(parse("0.days.ago"), "2026-03-31T15:30:00.000000Z")
        // Calendar months: 31 March less one month is 31 February, which is 3 March (as git).
        XCTAssertEqual(parse("1.month.ago"), "2026-03-03T15:30:00.000000Z")
        XCTAssertEqual(parse("2.months.ago"), "2026-01-31T15:30:00.000000Z")
        XCTAssertEqual(parse("1.year.ago"), "2025-03-31T15:30:00.000000Z")
        XCTAssertEqual(parse("3.MONTHS.AGO"), "2025-12-31T15:30:00.000000Z")
    }

    func testNonDatesAreNil() {
        for text in ["", "   ", "soon", "2.weeks", "weeks.ago", "2.fortnights.ago", "-2.days.ago", "2026-13-01",
                     "2026-02-30", "2026-04-31", "2026-03-01T25:00", "2026-03-01T10:60", "2026-03-01T10",
                     "2026-03-01+02:00", "2026-3-1", "2026-03-01T10:00:00.", "2026-03-01T10:00+2",
                     "99999999999.days.ago", "1000001.days.ago", "@", "@x", "@99999999999999999",
                     "2026-03-01T10:00:00Zjunk", "1 day 2 ago"] {
            XCTAssertNil(RelativeDate.parse(text, now: now), "'\(text)' is not a date")
        }
    }
}

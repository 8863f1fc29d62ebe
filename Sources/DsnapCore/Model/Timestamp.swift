import FoundationEssentials
import Glibc

/// A UTC instant with microsecond precision, written as `2026-03-29T12:21:33.090247Z`.
public struct Timestamp: Sendable, Hashable, Comparable {
    public let microseconds: Int64

    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    public init(_ date: Date) {
        self.microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public var seconds: Int64 {
        microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
    }

    public var iso8601: String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let fraction = microseconds - seconds * 1_000_000
        let date = (Int(parts.tm_year) + 1900).zeroPadded(4) + "-" + (Int(parts.tm_mon) + 1).zeroPadded(2) + "-"
            + Int(parts.tm_mday).zeroPadded(2)
        let clock = Int(parts.tm_hour).zeroPadded(2) + ":" + Int(parts.tm_min).zeroPadded(2) + ":"
            + Int(parts.tm_sec).zeroPadded(2)
        return date + "T" + clock + "." + Int(fraction).zeroPadded(6) + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.ffffff][Z]` (UTC; a missing `Z` still means UTC, as in the API).
    public init?(iso8601 text: String) {
        let scanner = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= scanner.count else { return nil }
            var value = 0
            for byte in scanner[range] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard scanner.count >= 19, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              scanner[4] == UInt8(ascii: "-"), scanner[7] == UInt8(ascii: "-"),
              scanner[10] == UInt8(ascii: "T") || scanner[10] == UInt8(ascii: " "),
              scanner[13] == UInt8(ascii: ":"), scanner[16] == UInt8(ascii: ":") else { return nil }
        var position = 19
        var micros = 0
        if position < scanner.count, scanner[position] == UInt8(ascii: ".") {
            position += 1
            var digits = 0
            while position < scanner.count, scanner[position] >= 0x30, scanner[position] <= 0x39 {
                if digits < 6 { micros = micros * 10 + Int(scanner[position] - 0x30); digits += 1 }
                position += 1
            }
            guard digits > 0 else { return nil }
            while digits < 6 { micros *= 10; digits += 1 }
        }
        if position < scanner.count, scanner[position] == UInt8(ascii: "Z") { position += 1 }
        guard position == scanner.count else { return nil }
        let epoch = Self.utcSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        self.microseconds = epoch.seconds * 1_000_000 + Int64(micros)
    }

    /// Seconds since the epoch of a UTC calendar time (timegm), and whether that day exists:
    /// timegm carries 31 April over to 1 May.
    static func utcSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int,
                           second: Int) -> (seconds: Int64, dayExists: Bool) {
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts))
        return (seconds, parts.tm_mday == Int32(day) && parts.tm_mon == Int32(month - 1))
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }
}

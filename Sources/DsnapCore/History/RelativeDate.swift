import Glibc

/// A date given on the command line, as `git log --since` takes them: an ISO 8601 date or time
/// (`2026-03-01`, `2026-03-01T10:00`, `2026-03-01 10:00:00+02:00`), or a relative form counted
/// back from now (`2.weeks.ago`, `3 days ago`, `1 day 2 hours ago`, `yesterday`, `today`, `now`),
/// or `@SECONDS` since 1970. A time without a zone is UTC: `dsnap log` prints UTC times, so a
/// time copied from its output means what it said.
public enum RelativeDate {
    /// Where a date without a time falls: `--since 2026-03-01` starts at that day's midnight,
    /// `--until 2026-03-01` takes the whole day in (through its last microsecond).
    public enum DayEdge: Sendable { case start, end }

    /// The instant `text` names, or nil when it is not a date dsnap reads.
    public static func parse(_ text: String, now: Timestamp, dayEdge: DayEdge = .start) -> Timestamp? {
        let trimmed = String(text.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
            .lowercased()
        guard !trimmed.isEmpty else { return nil }
        switch trimmed {
        case "now": return now
        // As git: 24 hours back, not the start of the day before.
        case "yesterday": return Timestamp(microseconds: now.microseconds - 86_400_000_000)
        case "today": return startOfDay(now, edge: dayEdge)
        default: break
        }
        if trimmed.hasPrefix("@"), let seconds = Int64(trimmed.dropFirst()),
           let micros = multiply(seconds, 1_000_000) {
            return Timestamp(microseconds: micros)
        }
        if let first = trimmed.first, first.isASCII, first.isNumber,
           let relative = relative(trimmed, now: now) {
            return relative
        }
        return absolute(trimmed, dayEdge: dayEdge)
    }

    // MARK: Relative

    private enum Unit { case seconds(Int64), months(Int64) }

    private static func unit(_ word: Substring) -> Unit? {
        let singular = word.hasSuffix("s") && word.count > 1 ? word.dropLast() : word
        switch singular {
        case "second", "sec": return .seconds(1)
        case "minute", "min": return .seconds(60)
        case "hour": return .seconds(3_600)
        case "day": return .seconds(86_400)
        case "week": return .seconds(604_800)
        case "month": return .months(1)
        case "year": return .months(12)
        default: return nil
        }
    }

    /// `N UNIT [N UNIT ...] ago`, words separated by dots, spaces or underscores.
    private static func relative(_ text: String, now: Timestamp) -> Timestamp? {
        let words = text.split(whereSeparator: { $0 == "." || $0 == " " || $0 == "_" })
        guard words.count >= 3, words.count % 2 == 1, words.last == "ago" else { return nil }
        var seconds: Int64 = 0
        var months: Int64 = 0
        for pair in stride(from: 0, to: words.count - 1, by: 2) {
            // A bound far past any dataset's age keeps every product below overflow.
            guard let count = Int64(words[pair]), count >= 0, count <= 1_000_000,
                  let unit = unit(words[pair + 1]) else { return nil }
            switch unit {
            case let .seconds(scale): seconds += count * scale
            case let .months(scale): months += count * scale
            }
        }
        guard let back = multiply(seconds, 1_000_000) else { return nil }
        var result = now.microseconds - back
        if months > 0 {
            // Calendar months, as git counts them: 31 March less one month is 3 March (February
            // has no 31st and the day carries over), never a fixed 30 days.
            let micros = result - floorSeconds(result) * 1_000_000
            var time = time_t(floorSeconds(result))
            var parts = tm()
            gmtime_r(&time, &parts)
            let totalMonths = Int64(parts.tm_year) * 12 + Int64(parts.tm_mon) - months
            parts.tm_year = Int32(clamping: totalMonths >= 0 ? totalMonths / 12 : (totalMonths - 11) / 12)
            parts.tm_mon = Int32(totalMonths - Int64(parts.tm_year) * 12)
            guard let shifted = multiply(Int64(timegm(&parts)), 1_000_000) else { return nil }
            result = shifted + micros
        }
        return Timestamp(microseconds: result)
    }

    // MARK: Absolute

    /// `YYYY-MM-DD`, then optionally `T` or a space and `HH:MM[:SS[.fraction]]`, then optionally
    /// `Z` or an offset `+HH:MM`, `+HHMM`, `+HH`.
    private static func absolute(_ text: String, dayEdge: DayEdge) -> Timestamp? {
        let bytes = Array(text.utf8)
        var position = 0
        func digits(_ count: Int) -> Int? {
            guard position + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[position..<position + count] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            position += count
            return value
        }
        func take(_ character: Character) -> Bool {
            guard position < bytes.count, bytes[position] == character.asciiValue else { return false }
            position += 1
            return true
        }
        guard let year = digits(4), take("-"), let month = digits(2), take("-"), let day = digits(2) else {
            return nil
        }
        var hour = 0, minute = 0, second = 0, micros = 0
        var hasTime = false
        if take("t") || take(" ") {
            guard let h = digits(2), take(":"), let m = digits(2) else { return nil }
            (hour, minute, hasTime) = (h, m, true)
            if take(":") {
                guard let s = digits(2) else { return nil }
                second = s
                if take(".") {
                    var count = 0
                    while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                        if count < 6 { micros = micros * 10 + Int(bytes[position] - 0x30) }
                        count += 1
                        position += 1
                    }
                    guard count > 0 else { return nil }
                    for _ in min(count, 6)..<6 { micros *= 10 }
                }
            }
        }
        var offsetSeconds = 0
        if take("z") {
            // UTC, as without a zone.
        } else if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
            guard hasTime else { return nil }
            let sign = bytes[position] == UInt8(ascii: "-") ? -1 : 1
            position += 1
            guard let hours = digits(2), hours <= 23 else { return nil }
            var minutes = 0
            if position < bytes.count {
                _ = take(":")
                guard let m = digits(2), m <= 59 else { return nil }
                minutes = m
            }
            offsetSeconds = sign * (hours * 3_600 + minutes * 60)
        }
        guard position == bytes.count, (1...12).contains(month), (1...31).contains(day), hour <= 23,
              minute <= 59, second <= 59 else { return nil }
        let (epoch, dayExists) = Timestamp.utcSeconds(year: year, month: month, day: day, hour: hour,
                                                      minute: minute, second: second)
        // A day the month lacks (31 April) is a mistake, not a date.
        guard dayExists else { return nil }
        let instant = Timestamp(microseconds: (epoch - Int64(offsetSeconds)) * 1_000_000 + Int64(micros))
        if !hasTime && dayEdge == .end {
            return Timestamp(microseconds: instant.microseconds + 86_400_000_000 - 1)
        }
        return instant
    }

    // MARK: Helpers

    private static func startOfDay(_ instant: Timestamp, edge: DayEdge) -> Timestamp {
        let day = Int64(86_400_000_000)
        let start = instant.microseconds >= 0 ? instant.microseconds / day * day
            : (instant.microseconds - day + 1) / day * day
        return Timestamp(microseconds: edge == .start ? start : start + day - 1)
    }

    private static func floorSeconds(_ micros: Int64) -> Int64 {
        micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
    }

    private static func multiply(_ a: Int64, _ b: Int64) -> Int64? {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : product
    }
}

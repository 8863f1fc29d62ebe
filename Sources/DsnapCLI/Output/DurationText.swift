/// Durations as people read them: `0.4 s`, `2.3 s`, `42 s`, `1 min 12 s`, `2 h 5 min`.
enum DurationText {
    static func human(seconds: Double) -> String {
        // A clock set back while a task ran gives a negative span: nothing took less than nothing.
        let seconds = seconds.isFinite ? max(0, seconds) : 0
        if seconds < 9.95 { return Int.decimal(seconds, places: 1) + " s" }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) min" + (whole % 60 == 0 ? "" : " \(whole % 60) s") }
        let minutes = (whole + 30) / 60
        return "\(minutes / 60) h" + (minutes % 60 == 0 ? "" : " \(minutes % 60) min")
    }
}

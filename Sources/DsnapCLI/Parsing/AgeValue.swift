/// An age given on the command line: `30d`, `2w`, `12h`, `90m`, `45s`, or `now` (0).
enum AgeValue {
    static let unitSeconds: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]

    /// Seconds, or a usage error naming the option and the value as typed.
    static func seconds(_ text: String, option: String, command: String) throws -> Int64 {
        if text == "now" || text == "0" { return 0 }
        guard let unit = text.last, let scale = unitSeconds[unit], let count = Int64(text.dropLast()), count >= 0,
              count <= Int64.max / scale / 1_000_000 else {
            throw UsageError(message: "option '--\(option)' takes an age such as 30d, 2w, 12h or now, not '\(text)'",
                             command: command)
        }
        return count * scale
    }
}

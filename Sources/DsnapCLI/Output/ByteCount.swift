/// Sizes as people read them, in binary units as git and cargo print them: 512 B, 3.4 KiB,
/// 1.2 GiB. One decimal, so a size that grows (the progress line) moves visibly.
enum ByteCount {
    static func human(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = 0
        // 1,048,525 bytes is "1.0 MiB", not "1024.0 KiB": the unit changes where the rounding would.
        while abs(value) >= 1023.95 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : Int.decimal(value, places: 1) + " " + units[unit]
    }
}

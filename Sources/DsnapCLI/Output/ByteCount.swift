/// Sizes as people read them: 512 B, 3.4 KB, 1.2 GB (decimal units, as `df -H` and the
/// progress line show them).
enum ByteCount {
    static func human(_ bytes: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : Int.decimal(value, places: 1) + " " + units[unit]
    }
}

/// The known words closest to a mistyped one (`comit` -> `commit`, `--jsn` -> `--json`, a file name
/// in a snapshot's folder), as git's "The most similar command is" finds them: few enough edits
/// for the word's length, or a prefix. In the library because a path missing from a snapshot is
/// answered with the nearest names there, by the same rule as a mistyped command.
public enum Suggestions {
    /// Longer input is not a typo of a short command word; this also bounds the work on odd argv.
    public static let longestWordCompared = 64

    /// The candidates nearest to `typed`, best first, ties in the candidates' order; empty when
    /// none is near enough to be what the user meant.
    public static func closest(to typed: String, among candidates: [String], limit: Int = 3) -> [String] {
        let word = Array(typed.lowercased())
        guard !word.isEmpty, word.count <= longestWordCompared else { return [] }
        // One edit in a short word already makes it another word (`rm` is one from `gc`'s length);
        // longer words may take two, or three from 9 letters on.
        let allowed = word.count <= 3 ? 1 : word.count <= 8 ? 2 : 3
        var scored: [(candidate: String, distance: Int)] = []
        for candidate in candidates {
            let other = Array(candidate.lowercased())
            var distance = editDistance(word, other)
            // A beginning (`stat` for `status`) is as good as one edit, once it is two letters long.
            if word.count >= 2 && other.starts(with: word) { distance = min(distance, 1) }
            if distance <= allowed { scored.append((candidate, distance)) }
        }
        guard let best = scored.map(\.distance).min() else { return [] }
        return Array(scored.filter { $0.distance == best }.map(\.candidate).prefix(limit))
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions, and a swap of two
    /// neighbours (`stauts`) counted as one edit, the commonest typing slip.
    public static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}

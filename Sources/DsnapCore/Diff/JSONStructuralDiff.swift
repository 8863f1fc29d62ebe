/// Compares two JSON documents structurally and returns the operations that turn the first into
/// the second, in an order that applies as an RFC 6902 patch.
///
/// - Objects: members by key, order ignored.
/// - Arrays: aligned by a longest common subsequence, so one label inserted in the middle is one
///   `add`, not a cascade of replaces; an element changed in place is diffed inside. With
///   `arrayKey`, arrays whose elements are all objects with that member are matched by its value
///   (COCO annotations by `id`), and changes inside matched elements are reported.
/// - Scalars: numbers by exact value (`1` equals `1.0`), everything else by type and value.
public struct JSONStructuralDiff {
    public var arrayKey: String?
    /// Above this many cells (n x m) the LCS table costs too much: arrays fall back to comparing
    /// position by position.
    static let lcsCellLimit = 4_000_000

    public init(arrayKey: String? = nil) {
        self.arrayKey = arrayKey
    }

    public func changes(from old: JSONValue, to new: JSONValue) -> [JSONChange] {
        var result: [JSONChange] = []
        diff(old, new, path: "", into: &result)
        return result
    }

    private func diff(_ old: JSONValue, _ new: JSONValue, path: String, into result: inout [JSONChange]) {
        switch (old, new) {
        case let (.object(a), .object(b)):
            diffObjects(a, b, path: path, into: &result)
        case let (.array(a), .array(b)):
            if let key = arrayKey, let keyed = keyedElements(a, key), let keyedNew = keyedElements(b, key) {
                diffKeyedArrays(a, b, keys: (keyed, keyedNew), path: path, into: &result)
            } else {
                diffArrays(a, b, path: path, into: &result)
            }
        default:
            if !old.isEquivalent(to: new) {
                result.append(JSONChange(operation: .replace, path: path, old: old, new: new))
            }
        }
    }

    private func diffObjects(_ a: [(key: String, value: JSONValue)], _ b: [(key: String, value: JSONValue)],
                             path: String, into result: inout [JSONChange]) {
        let old = a.lastByKey
        let new = b.lastByKey
        for key in a.orderedKeys where new[ExactKey(key)] == nil {
            result.append(JSONChange(operation: .remove, path: path + "/" + JSONPointer.escape(key),
                                     old: old[ExactKey(key)], new: nil))
        }
        for key in b.orderedKeys {
            let after = new[ExactKey(key)]!
            if let before = old[ExactKey(key)] {
                // Most members are unchanged: the path is built only for those that differ.
                if case .object = before, case .object = after {
                    diff(before, after, path: path + "/" + JSONPointer.escape(key), into: &result)
                } else if case .array = before, case .array = after {
                    diff(before, after, path: path + "/" + JSONPointer.escape(key), into: &result)
                } else if !before.isEquivalent(to: after) {
                    result.append(JSONChange(operation: .replace, path: path + "/" + JSONPointer.escape(key),
                                             old: before, new: after))
                }
            } else {
                result.append(JSONChange(operation: .add, path: path + "/" + JSONPointer.escape(key), old: nil,
                                         new: after))
            }
        }
    }

    /// One step of an array alignment.
    private enum Step { case keep, remove(Int), insert(Int), pair(Int, Int) }

    /// Walks the alignment left to right keeping the position in the array as it is being patched,
    /// so every path is valid at the moment its operation applies.
    private func emit(_ steps: [Step], _ a: [JSONValue], _ b: [JSONValue], path: String,
                      into result: inout [JSONChange]) {
        var position = 0
        for step in steps {
            switch step {
            case .keep:
                position += 1
            case let .remove(index):
                result.append(JSONChange(operation: .remove, path: "\(path)/\(position)", old: a[index], new: nil))
            case let .insert(index):
                result.append(JSONChange(operation: .add, path: "\(path)/\(position)", old: nil, new: b[index]))
                position += 1
            case let .pair(oldIndex, newIndex):
                diff(a[oldIndex], b[newIndex], path: "\(path)/\(position)", into: &result)
                position += 1
            }
        }
    }

    private func diffArrays(_ a: [JSONValue], _ b: [JSONValue], path: String, into result: inout [JSONChange]) {
        emit(steps(a, b), a, b, path: path, into: &result)
    }

    /// How diff aligns two arrays, in order: both indices for an element kept or changed in place,
    /// the old one alone for a removal, the new one alone for an insertion. The three-way merge
    /// aligns each side with the base this way, so it sees the edits `dsnap diff` reports.
    func alignment(_ a: [JSONValue], _ b: [JSONValue]) -> [(old: Int?, new: Int?)] {
        var pairs: [(old: Int?, new: Int?)] = []
        var old = 0
        var new = 0
        for step in steps(a, b) {
            switch step {
            case .keep: pairs.append((old, new)); old += 1; new += 1
            case let .remove(index): pairs.append((index, nil)); old = index + 1
            case let .insert(index): pairs.append((nil, index)); new = index + 1
            case let .pair(oldIndex, newIndex): pairs.append((oldIndex, newIndex)); old = oldIndex + 1; new = newIndex + 1
            }
        }
        return pairs
    }

    private func steps(_ a: [JSONValue], _ b: [JSONValue]) -> [Step] {
        // Common ends are cheap to strip and usual (a label appended, one changed).
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix].isEquivalent(to: b[prefix]) { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix,
              a[a.count - 1 - suffix].isEquivalent(to: b[b.count - 1 - suffix]) { suffix += 1 }
        let oldMiddle = Array(prefix..<(a.count - suffix))
        let newMiddle = Array(prefix..<(b.count - suffix))

        var steps = [Step](repeating: .keep, count: prefix)
        if oldMiddle.count * newMiddle.count <= Self.lcsCellLimit {
            steps += alignByLCS(oldMiddle, newMiddle, a, b)
        } else {
            // Too large to align: position by position, then the tail.
            let paired = min(oldMiddle.count, newMiddle.count)
            steps += (0..<paired).map { .pair(oldMiddle[$0], newMiddle[$0]) }
            steps += oldMiddle.dropFirst(paired).map { .remove($0) }
            steps += newMiddle.dropFirst(paired).map { .insert($0) }
        }
        steps += [Step](repeating: .keep, count: suffix)
        return steps
    }

    /// LCS of equal elements; in each gap between matches, removed and inserted elements are paired
    /// up in order when they are alike (diffed inside), and otherwise removed and inserted whole.
    private func alignByLCS(_ oldIndices: [Int], _ newIndices: [Int], _ a: [JSONValue], _ b: [JSONValue]) -> [Step] {
        let n = oldIndices.count
        let m = newIndices.count
        if n == 0 { return newIndices.map { .insert($0) } }
        if m == 0 { return oldIndices.map { .remove($0) } }
        // lengths[i][j]: LCS of old[i...] and new[j...], in one flat buffer.
        var lengths = [Int32](repeating: 0, count: (n + 1) * (m + 1))
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lengths[i * (m + 1) + j] = a[oldIndices[i]].isEquivalent(to: b[newIndices[j]])
                    ? lengths[(i + 1) * (m + 1) + j + 1] + 1
                    : max(lengths[(i + 1) * (m + 1) + j], lengths[i * (m + 1) + j + 1])
            }
        }
        var steps: [Step] = []
        var removed: [Int] = []
        var inserted: [Int] = []
        func flushGap() {
            // In new order, so the patched array ends in the new array's order.
            for k in 0..<max(removed.count, inserted.count) {
                if k < removed.count, k < inserted.count, Self.alike(a[removed[k]], b[inserted[k]]) {
                    steps.append(.pair(removed[k], inserted[k]))
                    continue
                }
                if k < removed.count { steps.append(.remove(removed[k])) }
                if k < inserted.count { steps.append(.insert(inserted[k])) }
            }
            removed.removeAll()
            inserted.removeAll()
        }
        var i = 0
        var j = 0
        while i < n && j < m {
            if a[oldIndices[i]].isEquivalent(to: b[newIndices[j]]) {
                flushGap()
                steps.append(.keep)
                i += 1
                j += 1
            } else if lengths[(i + 1) * (m + 1) + j] >= lengths[i * (m + 1) + j + 1] {
                removed.append(oldIndices[i])
                i += 1
            } else {
                inserted.append(newIndices[j])
                j += 1
            }
        }
        removed += oldIndices[i...]
        inserted += newIndices[j...]
        flushGap()
        return steps
    }

    /// Whether two array elements are versions of one thing, worth diffing inside rather than
    /// reporting as one removed and one added: scalars of one type, or objects that agree on at
    /// least half of their members. Arrays are never paired: their alignment says too little.
    static func alike(_ old: JSONValue, _ new: JSONValue) -> Bool {
        switch (old, new) {
        case (.number, .number), (.string, .string), (.bool, .bool), (.null, .null):
            return true
        case let (.object(a), .object(b)):
            let left = a.lastByKey
            let right = b.lastByKey
            let keys = Set(left.keys).union(right.keys)
            guard !keys.isEmpty else { return true }
            let same = keys.filter { key in
                guard let x = left[key], let y = right[key] else { return false }
                return x.isEquivalent(to: y)
            }.count
            return same * 2 >= keys.count
        default:
            return false
        }
    }

    /// The key of each element when every element is an object holding `key` with a unique value.
    func keyedElements(_ items: [JSONValue], _ key: String) -> [ExactKey]? {
        var keys: [ExactKey] = []
        var seen = Set<ExactKey>()
        for item in items {
            guard case let .object(members) = item, let value = members.lastByKey[ExactKey(key)] else { return nil }
            let text = ExactKey(value.canonicalText)
            guard seen.insert(text).inserted else { return nil }
            keys.append(text)
        }
        return keys
    }

    /// Elements matched by key: gone ones removed, new ones inserted where they stand in the new
    /// array, matched ones diffed inside. A matched element that changed place is removed and added
    /// again (only those outside the longest run kept in order), so the patch yields the new array
    /// exactly. Two passes: removals left to right, then the new array's order.
    private func diffKeyedArrays(_ a: [JSONValue], _ b: [JSONValue], keys: ([ExactKey], [ExactKey]), path: String,
                                 into result: inout [JSONChange]) {
        let oldPosition = Dictionary(uniqueKeysWithValues: keys.0.enumerated().map { ($1, $0) })
        let newPosition = Dictionary(uniqueKeysWithValues: keys.1.enumerated().map { ($1, $0) })
        let survivors = a.indices.filter { newPosition[keys.0[$0]] != nil }
        let stays = Set(longestIncreasingRun(survivors.map { newPosition[keys.0[$0]]! }).map { survivors[$0] })

        // After this pass the array holds the staying elements, in an order the new array shares.
        emit(a.indices.map { stays.contains($0) ? .keep : .remove($0) }, a, b, path: path, into: &result)
        let steps: [Step] = keys.1.enumerated().map { newIndex, key in
            if let old = oldPosition[key], stays.contains(old) { return .pair(old, newIndex) }
            return .insert(newIndex)
        }
        emit(steps, a, b, path: path, into: &result)
    }

    /// Positions (in `values`) of a longest strictly increasing subsequence.
    private func longestIncreasingRun(_ values: [Int]) -> [Int] {
        guard !values.isEmpty else { return [] }
        var tails: [Int] = []          // positions in values
        var previous = [Int](repeating: -1, count: values.count)
        for (position, value) in values.enumerated() {
            var low = 0
            var high = tails.count
            while low < high {
                let middle = (low + high) / 2
                if values[tails[middle]] < value { low = middle + 1 } else { high = middle }
            }
            if low > 0 { previous[position] = tails[low - 1] }
            if low == tails.count { tails.append(position) } else { tails[low] = position }
        }
        var run: [Int] = []
        var position = tails.last!
        while position >= 0 {
            run.append(position)
            position = previous[position]
        }
        return run.reversed()
    }
}

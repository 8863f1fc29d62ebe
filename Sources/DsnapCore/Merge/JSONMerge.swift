/// One place where both sides of a merge changed a JSON document, differently.
public struct JSONConflict: Sendable, Equatable {
    /// Its number in the order the merge meets conflicts. The same three documents always give
    /// the same conflicts in the same order, whatever was chosen for them, so a choice is kept
    /// by this number while pointers into arrays may shift.
    public let ordinal: Int
    /// Where it is in the merged document (RFC 6901; `""` is the whole document). A value the
    /// merged document lacks (removed on the side it holds) is named where it would stand.
    public let pointer: String
    /// The value on each side; nil where that side has none (never had it, or removed it).
    public let base: JSONValue?
    public let ours: JSONValue?
    public let theirs: JSONValue?
    /// The side the merged document holds, once chosen; nil while unresolved (it holds ours).
    public let resolution: MergeSide?
}

/// What a three-way merge of JSON documents gave.
public struct JSONMergeResult: Sendable {
    /// The merged document; nil when it is no document at all (both removed it).
    public let merged: JSONValue?
    /// Every conflict met, resolved or not, in order.
    public let conflicts: [JSONConflict]

    public var unresolved: [JSONConflict] { conflicts.filter { $0.resolution == nil } }
}

/// Merges two versions of a JSON document that both started from a base, field by field.
///
/// - A value changed on one side only takes that side; changed to equivalent values on both
///   (`1` and `1.0`, members in another order), it keeps ours' text.
/// - Objects merge member by member; the merged object keeps ours' member order, members only
///   theirs has following the member they follow there.
/// - Arrays are aligned with the base as `dsnap diff` aligns them (or matched by `arrayKey`);
///   elements changed on one side take it, on both sides merge inside; insertions at one place
///   on both sides are both kept, ours first, an element both inserted once (two annotators
///   adding labels both mean theirs to stay).
/// - Conflicts: the same value changed to different values, or removed on one side and changed
///   on the other, or values of different kinds. The merged document holds ours' value there
///   (or the side `resolutions` / `prefer` names); no marker is ever written into the document.
public struct JSONMerge {
    public var arrayKey: String?

    public init(arrayKey: String? = nil) {
        self.arrayKey = arrayKey
    }

    /// Merges `ours` and `theirs` (nil: the side has no document) from `base`. `resolutions`
    /// settle conflicts by ordinal; `prefer` settles every other one.
    public func merge(base: JSONValue?, ours: JSONValue?, theirs: JSONValue?,
                      resolutions: [Int: MergeSide] = [:], prefer: MergeSide? = nil) -> JSONMergeResult {
        var walk = Walk(arrayKey: arrayKey, resolutions: resolutions, prefer: prefer)
        let merged = walk.value(base, ours, theirs, path: "")
        return JSONMergeResult(merged: merged, conflicts: walk.conflicts)
    }

    private struct Walk {
        let arrayKey: String?
        let resolutions: [Int: MergeSide]
        let prefer: MergeSide?
        var conflicts: [JSONConflict] = []

        init(arrayKey: String?, resolutions: [Int: MergeSide], prefer: MergeSide?) {
            self.arrayKey = arrayKey
            self.resolutions = resolutions
            self.prefer = prefer
        }

        /// Both absent, or both present and equivalent.
        private func same(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
            switch (a, b) {
            case (nil, nil): return true
            case let (x?, y?): return x.isEquivalent(to: y)
            default: return false
            }
        }

        mutating func value(_ base: JSONValue?, _ ours: JSONValue?, _ theirs: JSONValue?, path: String) -> JSONValue? {
            if same(ours, theirs) { return ours }
            if same(base, ours) { return theirs }
            if same(base, theirs) { return ours }
            switch (ours, theirs) {
            // Merged inside from a base of their kind, or from none (added on both sides); a
            // value of another kind in the base was replaced whole on both sides.
            case let (.object(left)?, .object(right)?):
                switch base {
                case nil: return .object(objects([], left, right, path: path))
                case let .object(start)?: return .object(objects(start, left, right, path: path))
                default: return conflict(path, base, ours, theirs)
                }
            case let (.array(left)?, .array(right)?):
                switch base {
                case nil: return .array(arrays([], left, right, path: path))
                case let .array(start)?: return .array(arrays(start, left, right, path: path))
                default: return conflict(path, base, ours, theirs)
                }
            default:
                return conflict(path, base, ours, theirs)
            }
        }

        private mutating func conflict(_ path: String, _ base: JSONValue?, _ ours: JSONValue?,
                                       _ theirs: JSONValue?) -> JSONValue? {
            let ordinal = conflicts.count
            let side = resolutions[ordinal] ?? prefer
            conflicts.append(JSONConflict(ordinal: ordinal, pointer: path, base: base, ours: ours, theirs: theirs,
                                          resolution: side))
            return side == .theirs ? theirs : ours
        }

        private mutating func objects(_ base: [(key: String, value: JSONValue)], _ ours: [(key: String, value: JSONValue)],
                                      _ theirs: [(key: String, value: JSONValue)], path: String) -> [(key: String, value: JSONValue)] {
            let before = base.lastByKey
            let left = ours.lastByKey
            let right = theirs.lastByKey
            let order = Self.order(ours.orderedKeys.map(ExactKey.init), theirs.orderedKeys.map(ExactKey.init))
            var result: [(key: String, value: JSONValue)] = []
            for key in order {
                if let merged = value(before[key], left[key], right[key], path: path + "/" + JSONPointer.escape(key.string)) {
                    result.append((key.string, merged))
                }
            }
            return result
        }

        /// Ours' order; each key only theirs has goes before the key that follows it there and
        /// ours has too, or last when none does: theirs' additions after ours' at one place,
        /// and an appended member or element stays at the end.
        static func order(_ ours: [ExactKey], _ theirs: [ExactKey]) -> [ExactKey] {
            let known = Set(ours)
            var before: [ExactKey: [ExactKey]] = [:]
            var pending: [ExactKey] = []
            for key in theirs {
                if !known.contains(key) {
                    pending.append(key)
                } else if !pending.isEmpty {
                    before[key] = pending
                    pending = []
                }
            }
            if before.isEmpty && pending.isEmpty { return ours }
            var result: [ExactKey] = []
            for key in ours {
                result += before[key] ?? []
                result.append(key)
            }
            return result + pending
        }

        private mutating func arrays(_ base: [JSONValue], _ ours: [JSONValue], _ theirs: [JSONValue],
                                     path: String) -> [JSONValue] {
            let diff = JSONStructuralDiff()
            if let key = arrayKey, let baseKeys = diff.keyedElements(base, key),
               let ourKeys = diff.keyedElements(ours, key), let theirKeys = diff.keyedElements(theirs, key) {
                let before = Dictionary(uniqueKeysWithValues: zip(baseKeys, base))
                let left = Dictionary(uniqueKeysWithValues: zip(ourKeys, ours))
                let right = Dictionary(uniqueKeysWithValues: zip(theirKeys, theirs))
                var result: [JSONValue] = []
                for key in Self.order(ourKeys, theirKeys) {
                    if let merged = value(before[key], left[key], right[key], path: "\(path)/\(result.count)") {
                        result.append(merged)
                    }
                }
                return result
            }
            let left = Self.fates(diff.alignment(base, ours), baseCount: base.count)
            let right = Self.fates(diff.alignment(base, theirs), baseCount: base.count)
            var result: [JSONValue] = []
            for gap in 0...base.count {
                result += Self.insertions(left.inserted[gap].map { ours[$0] }, right.inserted[gap].map { theirs[$0] })
                guard gap < base.count else { break }
                if let merged = value(base[gap], left.counterpart[gap].map { ours[$0] },
                                      right.counterpart[gap].map { theirs[$0] }, path: "\(path)/\(result.count)") {
                    result.append(merged)
                }
            }
            return result
        }

        /// From an alignment of the base with one side: each base element's counterpart there
        /// (nil: removed), and the elements inserted before each base element (the last list:
        /// after them all). An element removed with one other inserted in its place was
        /// replaced (by something too unlike it for diff to pair them): that one is its
        /// counterpart, so a replacement on both sides meets as one change, not two insertions.
        static func fates(_ alignment: [(old: Int?, new: Int?)], baseCount: Int) -> (counterpart: [Int?], inserted: [[Int]]) {
            var counterpart = [Int?](repeating: nil, count: baseCount)
            var inserted = [[Int]](repeating: [], count: baseCount + 1)
            var gap = 0
            for (old, new) in alignment {
                if let old {
                    counterpart[old] = new
                    gap = old + 1
                } else if let new {
                    inserted[gap].append(new)
                }
            }
            for index in 0..<baseCount where counterpart[index] == nil && inserted[index + 1].count == 1 {
                counterpart[index] = inserted[index + 1][0]
                inserted[index + 1] = []
            }
            return (counterpart, inserted)
        }

        /// Both sides inserted at one place: ours, then theirs' elements that ours did not insert too.
        static func insertions(_ ours: [JSONValue], _ theirs: [JSONValue]) -> [JSONValue] {
            if ours.isEmpty { return theirs }
            if theirs.isEmpty { return ours }
            var unmatched = ours
            var result = ours
            for item in theirs {
                if let twin = unmatched.firstIndex(where: { $0.isEquivalent(to: item) }) {
                    unmatched.remove(at: twin)
                } else {
                    result.append(item)
                }
            }
            return result
        }
    }
}

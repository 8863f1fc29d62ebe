/// Writes a merged JSON document in the layout of "ours", the file as it was in the work tree:
/// every value the merge left as ours has it is copied byte for byte (its indentation, its
/// escapes, its number literals), objects and arrays that changed inside keep ours' whitespace
/// between members, and only new values are written afresh, in the indentation ours uses.
/// The text it gives always parses to exactly the merged document.
enum JSONLayoutWriter {
    /// `merged` written in the layout of `ours`, the bytes `oursValue` was parsed from.
    static func render(_ merged: JSONValue, like ours: [UInt8], oursValue: JSONValue) -> [UInt8] {
        var scanner = Scanner(bytes: ours)
        scanner.skipWhitespace()
        let start = scanner.position
        let root = scanner.node()
        let writer = Writer(bytes: ours, style: Style(root: root, bytes: ours))
        var output = Array(ours[0..<start])
        output += writer.write(merged, ours: (oursValue, root), indent: [])
        output += ours[root.range.upperBound...]
        return output
    }

    /// Where one value of ours' text is.
    indirect enum Node {
        case scalar(Range<Int>)
        case object(Range<Int>, [Member])
        case array(Range<Int>, [Item])

        var range: Range<Int> {
            switch self {
            case let .scalar(range), let .object(range, _), let .array(range, _): return range
            }
        }
    }

    /// `before` KEY `colon` VALUE `after`, then `,` or `}`.
    struct Member {
        let before: Range<Int>
        let key: Range<Int>
        let colon: Range<Int>
        let value: Node
        let after: Range<Int>
    }

    /// `before` VALUE `after`, then `,` or `]`.
    struct Item {
        let before: Range<Int>
        let value: Node
        let after: Range<Int>
    }

    /// Finds the extent of each value in text the parser already accepted.
    struct Scanner {
        let bytes: [UInt8]
        var position = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        }

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        private mutating func whitespace() -> Range<Int> {
            let start = position
            skipWhitespace()
            return start..<position
        }

        mutating func node() -> Node {
            let start = position
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var members: [Member] = []
                if bytes[whitespacePeek()] == UInt8(ascii: "}") {
                    skipWhitespace()
                    position += 1
                    return .object(start..<position, [])
                }
                while true {
                    let before = whitespace()
                    let keyStart = position
                    skipString()
                    let key = keyStart..<position
                    let colonStart = position
                    skipWhitespace()
                    position += 1
                    skipWhitespace()
                    let colon = colonStart..<position
                    let value = node()
                    let after = whitespace()
                    members.append(Member(before: before, key: key, colon: colon, value: value, after: after))
                    position += 1
                    if bytes[position - 1] == UInt8(ascii: "}") { return .object(start..<position, members) }
                }
            case UInt8(ascii: "["):
                position += 1
                var items: [Item] = []
                if bytes[whitespacePeek()] == UInt8(ascii: "]") {
                    skipWhitespace()
                    position += 1
                    return .array(start..<position, [])
                }
                while true {
                    let before = whitespace()
                    let value = node()
                    let after = whitespace()
                    items.append(Item(before: before, value: value, after: after))
                    position += 1
                    if bytes[position - 1] == UInt8(ascii: "]") { return .array(start..<position, items) }
                }
            case UInt8(ascii: "\""):
                skipString()
            default:
                while position < bytes.count, !Self.ends(bytes[position]) { position += 1 }
            }
            return .scalar(start..<position)
        }

        private func whitespacePeek() -> Int {
            var copy = self
            copy.skipWhitespace()
            return copy.position
        }

        private mutating func skipString() {
            position += 1
            while bytes[position] != UInt8(ascii: "\"") {
                position += bytes[position] == UInt8(ascii: "\\") ? 2 : 1
            }
            position += 1
        }

        private static func ends(_ byte: UInt8) -> Bool {
            [0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(byte)
        }
    }

    /// How new values are written: ours' indentation step (none: all on one line), its colon and
    /// comma spacing, its line ending.
    struct Style {
        var unit: [UInt8]? = Array("  ".utf8)
        var colon: [UInt8] = Array(": ".utf8)
        var comma: [UInt8] = Array(",".utf8)
        var newline: [UInt8] = [0x0A]

        init(root: Node, bytes: [UInt8]) {
            if bytes.contains(0x0D) && bytes.contains(0x0A) { newline = [0x0D, 0x0A] }
            // The first container with members shows how ours lays them out.
            var pending = [(root, 0)]
            while let (node, depth) = pending.first {
                pending.removeFirst()
                let befores: [Range<Int>]
                switch node {
                case .scalar: continue
                case let .object(_, members):
                    if let first = members.first { colon = Array(bytes[first.colon]) }
                    befores = members.map(\.before)
                    pending += members.map { ($0.value, depth + 1) }
                case let .array(_, items):
                    befores = items.map(\.before)
                    pending += items.map { ($0.value, depth + 1) }
                }
                guard let first = befores.first else { continue }
                let text = bytes[first]
                if let line = text.lastIndex(of: 0x0A) {
                    let indent = Array(text[(line + 1)...])
                    // Indented `depth + 1` steps: the step is its share.
                    let step = indent.count / (depth + 1)
                    unit = step > 0 && indent.count % (depth + 1) == 0 ? Array(indent.prefix(step)) : indent
                } else {
                    unit = nil
                    let later = befores.dropFirst().first.map { Array(bytes[$0]) } ?? []
                    comma = [UInt8(ascii: ",")] + later
                }
                return
            }
        }
    }

    struct Writer {
        let bytes: [UInt8]
        let style: Style

        /// `value`, reusing ours' text where ours has the same value or a container of its kind.
        /// `indent` is the indentation of the line the value starts on.
        func write(_ value: JSONValue, ours: (JSONValue, Node)?, indent: [UInt8]) -> [UInt8] {
            guard let (oursValue, node) = ours else { return fresh(value, indent: indent) }
            if value == oursValue { return Array(bytes[node.range]) }
            switch (value, oursValue, node) {
            case let (.object(members), .object(oursMembers), .object(_, layout)) where !layout.isEmpty && !members.isEmpty:
                // The last of a duplicated key is the one the merge read.
                var position: [ExactKey: Int] = [:]
                for (index, member) in oursMembers.enumerated() { position[ExactKey(member.key)] = index }
                let (firstBefore, laterBefore, between, closing) = spacing(layout.map(\.before), layout.map(\.after))
                var output: [UInt8] = [UInt8(ascii: "{")]
                for (index, member) in members.enumerated() {
                    let before = index == 0 ? firstBefore : laterBefore
                    output += before
                    let lineIndent = Self.lineIndent(before, otherwise: indent)
                    if let old = position[ExactKey(member.key)] {
                        output += bytes[layout[old].key]
                        output += bytes[layout[old].colon]
                        output += write(member.value, ours: (oursMembers[old].value, layout[old].value), indent: lineIndent)
                    } else {
                        var key = ""
                        JSONWriter.writeString(member.key, into: &key)
                        output += Array(key.utf8) + bytes[layout[0].colon]
                        output += fresh(member.value, indent: lineIndent)
                    }
                    output += index == members.count - 1 ? closing : between + [UInt8(ascii: ",")]
                }
                return output + [UInt8(ascii: "}")]
            case let (.array(items), .array(oursItems), .array(_, layout)) where !layout.isEmpty && !items.isEmpty:
                let counterparts = Self.counterparts(items, oursItems)
                let (firstBefore, laterBefore, between, closing) = spacing(layout.map(\.before), layout.map(\.after))
                var output: [UInt8] = [UInt8(ascii: "[")]
                for (index, item) in items.enumerated() {
                    let before = index == 0 ? firstBefore : laterBefore
                    output += before
                    let lineIndent = Self.lineIndent(before, otherwise: indent)
                    output += write(item, ours: counterparts[index].map { (oursItems[$0], layout[$0].value) },
                                    indent: lineIndent)
                    output += index == items.count - 1 ? closing : between + [UInt8(ascii: ",")]
                }
                return output + [UInt8(ascii: "]")]
            default:
                return fresh(value, indent: indent)
            }
        }

        /// The whitespace before the first member, before the others, before each comma, and
        /// before the closing bracket, as ours has them.
        private func spacing(_ befores: [Range<Int>], _ afters: [Range<Int>])
            -> (first: [UInt8], later: [UInt8], between: [UInt8], closing: [UInt8]) {
            let first = Array(bytes[befores[0]])
            // One member shows no spacing between members: on its own line, the next goes on
            // another; on one line, a space follows the comma where one follows the colon.
            let inline: [UInt8] = style.colon.last == UInt8(ascii: " ") ? [UInt8(ascii: " ")] : []
            let later = befores.count > 1 ? Array(bytes[befores[1]]) : first.contains(0x0A) ? first : inline
            let between = afters.count > 1 ? Array(bytes[afters[0]]) : []
            return (first, later, between, Array(bytes[afters[afters.count - 1]]))
        }

        /// For each merged element, the ours element whose layout it takes: equal ends matched,
        /// the middle position by position.
        static func counterparts(_ items: [JSONValue], _ ours: [JSONValue]) -> [Int?] {
            var result = [Int?](repeating: nil, count: items.count)
            var prefix = 0
            while prefix < items.count, prefix < ours.count, items[prefix] == ours[prefix] {
                result[prefix] = prefix
                prefix += 1
            }
            var suffix = 0
            while suffix < items.count - prefix, suffix < ours.count - prefix,
                  items[items.count - 1 - suffix] == ours[ours.count - 1 - suffix] {
                result[items.count - 1 - suffix] = ours.count - 1 - suffix
                suffix += 1
            }
            for offset in 0..<max(0, items.count - prefix - suffix) where prefix + offset < ours.count - suffix {
                result[prefix + offset] = prefix + offset
            }
            return result
        }

        /// The indentation of the line a member starts on: what follows the last line break
        /// before it, or the enclosing line's when it shares that line.
        static func lineIndent(_ before: [UInt8], otherwise: [UInt8]) -> [UInt8] {
            guard let line = before.lastIndex(of: 0x0A) else { return otherwise }
            return Array(before[(line + 1)...])
        }

        /// A value ours does not have, in ours' style.
        func fresh(_ value: JSONValue, indent: [UInt8]) -> [UInt8] {
            switch value {
            case let .object(members) where !members.isEmpty:
                return container("{", "}", indent: indent, members.map { member in
                    { inner in
                        var key = ""
                        JSONWriter.writeString(member.key, into: &key)
                        return Array(key.utf8) + style.colon + fresh(member.value, indent: inner)
                    }
                })
            case let .array(items) where !items.isEmpty:
                return container("[", "]", indent: indent, items.map { item in { inner in fresh(item, indent: inner) } })
            default:
                return Array(JSONWriter.render(value).utf8)
            }
        }

        private func container(_ open: Character, _ close: Character, indent: [UInt8],
                               _ parts: [([UInt8]) -> [UInt8]]) -> [UInt8] {
            var output = [open.asciiValue!]
            guard let unit = style.unit else {
                for (index, part) in parts.enumerated() {
                    if index > 0 { output += style.comma }
                    output += part(indent)
                }
                return output + [close.asciiValue!]
            }
            let inner = indent + unit
            for (index, part) in parts.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                output += style.newline + inner + part(inner)
            }
            return output + style.newline + indent + [close.asciiValue!]
        }
    }
}

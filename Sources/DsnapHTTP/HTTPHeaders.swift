/// A request's header fields, in the order received, looked up by name without regard to case
/// (field names are ASCII tokens, so ASCII case folding is the whole rule).
public struct HTTPHeaders: Sendable, Sequence {
    private var fields: [(name: String, value: String)]
    /// Each field's name folded to lower case, beside `fields`, so a look-up folds only its key.
    private var foldedNames: [String]

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
        self.foldedNames = fields.map { Self.fold($0.name) }
    }

    /// Every value of the field `name`, in the order received.
    public func values(_ name: String) -> [String] {
        let key = Self.fold(name)
        return foldedNames.indices.filter { foldedNames[$0] == key }.map { fields[$0].value }
    }

    /// The field's value; a field sent more than once gives its values joined by ", " (RFC 9110
    /// 5.3), never just the first, so a duplicated `Authorization` cannot pass as the first one.
    public subscript(name: String) -> String? {
        let all = values(name)
        return all.isEmpty ? nil : all.joined(separator: ", ")
    }

    public var count: Int { fields.count }

    public mutating func append(name: String, value: String) {
        fields.append((name, value))
        foldedNames.append(Self.fold(name))
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// Whether the comma-separated list in field `name` holds `token`, compared without case
    /// (`Connection: keep-alive, Upgrade`).
    public func contains(token: String, in name: String) -> Bool {
        let wanted = Self.fold(token)
        return values(name).contains { value in
            value.split(separator: ",").contains { Self.fold(String($0).trimmingWhitespace()) == wanted }
        }
    }

    static func fold(_ name: String) -> String {
        String(decoding: name.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingWhitespace() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

import DsnapCore

/// A request's JSON body, checked against the fields an endpoint takes: anything else is a 400
/// that names the field, so a misspelt `"descripton"` is never silently ignored.
struct RequestBody {
    private let members: [(key: String, value: JSONValue)]

    /// Parses `bytes` (an empty body is an empty object) and refuses fields not in `allowed`.
    init(_ bytes: [UInt8], allowed: [String]) throws(APIFailure) {
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            members = []
            return
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw APIFailure(400, "the request body is not JSON: \((error as? DsnapError)?.message ?? "\(error)")",
                             hint: "send a JSON object, e.g. {\"name\": \"baseline\"}")
        }
        guard case let .object(members) = value else {
            throw APIFailure(400, "the request body must be a JSON object")
        }
        for (key, _) in members where !allowed.contains(key) {
            throw APIFailure(400, "unknown field '\(key)'",
                             hint: "this endpoint takes " + allowed.map { "'\($0)'" }.joined(separator: ", "))
        }
        var seen = Set<String>()
        for (key, _) in members where !seen.insert(key).inserted {
            throw APIFailure(400, "field '\(key)' appears twice")
        }
        self.members = members
    }

    /// The string field `key`; nil when absent. A JSON null counts as absent only when `nullable`.
    func string(_ key: String, nullable: Bool = false) throws(APIFailure) -> String? {
        guard let value = members.first(where: { $0.key == key })?.value else { return nil }
        if case let .string(text) = value { return text }
        if nullable, case .null = value { return nil }
        throw APIFailure(400, "field '\(key)' must be a string" + (nullable ? " or null" : ""))
    }

    var isEmpty: Bool { members.isEmpty }
}

/// A request the API refuses before any operation runs: a status, a message, maybe a hint.
struct APIFailure: Error {
    let status: Int
    let detail: String
    let hint: String?

    init(_ status: Int, _ detail: String, hint: String? = nil) {
        self.status = status
        self.detail = detail
        self.hint = hint
    }
}

/// A JSON text nested deeper than the parser follows (`JSONParser.maximumDepth`). It may well be
/// valid JSON: callers say so, instead of calling it malformed.
public struct JSONTooDeepError: Error, Sendable, Equatable {
    public let line: Int
    public let column: Int
    public let limit: Int
}

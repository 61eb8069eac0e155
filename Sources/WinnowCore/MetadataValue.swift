/// A JSON-like value kept in a document's metadata.
///
/// Numbers read from JSON keep their value: integers that fit in 64 bits are ``int``, numbers
/// of at most 17 significant digits within a `Double`'s normal range are ``double`` (written back
/// in the shortest spelling that reads as the same `Double`), and any other number (a 30-digit
/// integer, `1e400`, a decimal with more digits than a `Double` keeps) is ``number`` with its
/// source text, written back verbatim.
public enum MetadataValue: Sendable, Hashable {
    /// A string.
    case string(String)
    /// An integer.
    case int(Int64)
    /// A floating-point number (written as `null` when not finite: JSON has no NaN or infinity).
    case double(Double)
    /// A JSON number kept as its source text (valid JSON number syntax), because neither `Int64`
    /// nor `Double` holds it.
    case number(String)
    /// A Boolean.
    case bool(Bool)
    /// JSON null.
    case null
    /// An array.
    case array([MetadataValue])
    /// An object.
    case object([String: MetadataValue])

    /// The string payload, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The numeric payload as a Double, if this is a number (for ``number``, the nearest
    /// Double, or nil when the value is beyond a Double's range).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .number(let text):
            guard let d = Double(text), d.isFinite else { return nil }
            return d
        default: return nil
        }
    }

    /// The value as a finite Double when that Double is exactly the value (``int`` within
    /// ±2^53, finite ``double``); nil otherwise. Scores are read through this.
    public var exactDoubleValue: Double? {
        switch self {
        case .int(let i): return i.magnitude <= 1 << 53 ? Double(i) : nil
        case .double(let d): return d.isFinite ? d : nil
        default: return nil
        }
    }

    /// The integer payload, if this is an integer.
    public var intValue: Int64? {
        if case .int(let i) = self { return i }
        return nil
    }
}

extension MetadataValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral
{
    /// A string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer value.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// A floating-point value.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A Boolean value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

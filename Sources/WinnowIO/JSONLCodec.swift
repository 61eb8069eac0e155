import WinnowCore
internal import CICUShim

/// Turns JSONL records into documents and documents into JSONL records.
///
/// Records are objects; the text and id keys are configurable (`text`, `id` by default). Every
/// other field is kept: a `metadata` object is merged into the document's metadata, a `scores`
/// object of numbers that Doubles hold exactly becomes its scores (any other `scores` value is
/// kept as metadata, as written), and any other field becomes a metadata entry.
///
/// Numbers pass through losslessly (``MetadataValue/number`` keeps the text of those neither
/// Int64 nor Double holds) and the output is strict JSON: NaN and infinities, which Python's
/// `json` writes and this codec reads, are written as `null`.
public struct JSONLCodec: Sendable {
    /// The key holding the document text.
    public var textKey: String
    /// The key holding the document id.
    public var idKey: String
    private let textKeyBytes: [UInt8]
    private let idKeyBytes: [UInt8]

    /// Creates a codec for the given keys.
    public init(textKey: String = "text", idKey: String = "id") {
        self.textKey = textKey
        self.idKey = idKey
        textKeyBytes = Array(textKey.utf8)
        idKeyBytes = Array(idKey.utf8)
    }

    /// Why a record could not become a document.
    public enum RecordError: Error {
        /// The bytes are not valid JSON (or not valid UTF-8).
        case syntax(JSONSyntaxError)
        /// Valid JSON without a usable text field.
        case schema(String)
    }

    /// Decodes one record. `fallbackID` is used when the record has no id.
    public func decode(_ bytes: UnsafeRawBufferPointer, fallbackID: () -> String) throws(RecordError) -> Document {
        var s = JSONScanner(bytes)
        do {
            try s.expect(0x7B, "'{' (each line must be a JSON object)")
            var text: String?
            var id: String?
            var metadata: [String: MetadataValue] = [:]
            var scores: [String: Double] = [:]
            if s.peek() == 0x7D {
                s.pos += 1
            } else {
                while true {
                    let (keyRange, keyEscaped) = try s.rawString()
                    try s.expect(0x3A, "':'")
                    if !keyEscaped && matches(s, keyRange, textKeyBytes) {
                        guard s.peek() == 0x22 else {
                            throw RecordError.schema("'\(textKey)' must be a string")
                        }
                        text = try s.string()
                    } else if !keyEscaped && matches(s, keyRange, idKeyBytes) {
                        if s.peek() == 0x22 {
                            id = try s.string()
                        } else if s.peek() == 0x6E {
                            _ = try s.value()
                        } else {
                            id = try s.rawValueText()
                        }
                    } else {
                        let key = try s.decode(keyRange, escaped: keyEscaped)
                        let v = try s.value()
                        if key == "metadata", case .object(let obj) = v {
                            // The usual record: no top-level extras before it, so the parsed
                            // object becomes the metadata as it is (no second dictionary).
                            if metadata.isEmpty {
                                metadata = obj
                            } else {
                                for (k, x) in obj { metadata[k] = x }
                            }
                        } else if key == "scores", case .object(let obj) = v,
                            obj.values.allSatisfy({ $0.exactDoubleValue != nil })
                        {
                            for (k, x) in obj { scores[k] = x.exactDoubleValue }
                        } else {
                            metadata[key] = v
                        }
                    }
                    guard let d = s.peek() else { throw s.fail("unterminated object") }
                    s.pos += 1
                    if d == 0x2C { continue }
                    if d == 0x7D { break }
                    s.pos -= 1
                    throw s.fail("expected ',' or '}', found '\(JSONScanner.show(d))'")
                }
            }
            guard s.atEnd() else { throw s.fail("unexpected data after the JSON object") }
            guard let text else { throw RecordError.schema("no '\(textKey)' field") }
            return Document(id: id ?? fallbackID(), text: text, metadata: metadata, scores: scores)
        } catch let e as JSONSyntaxError {
            throw .syntax(e)
        } catch let e as RecordError {
            throw e
        } catch {
            throw .schema("\(error)")
        }
    }

    @inline(__always) private func matches(_ s: JSONScanner, _ r: Range<Int>, _ key: [UInt8]) -> Bool {
        guard r.count == key.count else { return false }
        for i in 0..<key.count where s.base[r.lowerBound + i] != key[i] { return false }
        return true
    }

    /// Appends one document as a JSON line (with the trailing newline) to `out`.
    ///
    /// Key order is fixed (id, text, metadata, scores) and metadata keys are sorted, so equal
    /// documents give equal bytes.
    public func encode(_ doc: Document, into out: inout [UInt8]) {
        out.append(0x7B)
        Self.appendString(idKey, to: &out)
        out.append(0x3A)
        Self.appendString(doc.id, to: &out)
        out.append(0x2C)
        Self.appendString(textKey, to: &out)
        out.append(0x3A)
        Self.appendString(doc.text, to: &out)
        if !doc.metadata.isEmpty {
            out.append(contentsOf: Self.metadataField)
            Self.appendObject(doc.metadata, to: &out)
        }
        if !doc.scores.isEmpty {
            out.append(contentsOf: Self.scoresField)
            out.append(0x7B)
            var first = true
            for key in doc.scores.keys.sorted(by: Self.byteOrder) {
                if !first { out.append(0x2C) }
                first = false
                Self.appendString(key, to: &out)
                out.append(0x3A)
                Self.appendDouble(doc.scores[key] ?? 0, to: &out)
            }
            out.append(0x7D)
        }
        out.append(0x7D)
        out.append(0x0A)
    }

    private static let metadataField: [UInt8] = Array(",\"metadata\":".utf8)
    private static let scoresField: [UInt8] = Array(",\"scores\":".utf8)

    static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Appends a metadata value as JSON.
    public static func appendValue(_ v: MetadataValue, to out: inout [UInt8]) {
        switch v {
        case .string(let s): appendString(s, to: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): appendDouble(d, to: &out)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .array(let a):
            out.append(0x5B)
            for (i, x) in a.enumerated() {
                if i > 0 { out.append(0x2C) }
                appendValue(x, to: &out)
            }
            out.append(0x5D)
        case .object(let o): appendObject(o, to: &out)
        }
    }

    static func appendObject(_ o: [String: MetadataValue], to out: inout [UInt8]) {
        out.append(0x7B)
        var first = true
        // Sorting the keys alone, not (key, value) pairs: an array of tuples makes the runtime
        // look its type metadata up on every call (2 % of a read -> write run in `perf`).
        for key in o.keys.sorted(by: byteOrder) {
            guard let value = o[key] else { continue }
            if !first { out.append(0x2C) }
            first = false
            appendString(key, to: &out)
            out.append(0x3A)
            appendValue(value, to: &out)
        }
        out.append(0x7D)
    }

    /// Appends a Double as a JSON number: its shortest spelling that reads back as the same
    /// Double, or `null` for NaN and the infinities, which JSON cannot spell (so the output is
    /// always strict JSON).
    static func appendDouble(_ d: Double, to out: inout [UInt8]) {
        guard d.isFinite else {
            out.append(contentsOf: "null".utf8)
            return
        }
        out.append(contentsOf: d.description.utf8)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends a JSON string literal (UTF-8 kept as is; quotes, backslashes and control
    /// characters escaped).
    public static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(0x22)
        var s = string
        s.withUTF8 { u in
            guard let base = u.baseAddress else { return }
            let n = u.count
            var i = 0
            while i < n {
                // The run that needs no escape, found 32 or 16 bytes at a time (cicu_json.c).
                let k = cicu_json_plain_prefix(base + i, n - i)
                if k > 0 { out.append(contentsOf: UnsafeBufferPointer(start: base + i, count: k)) }
                i += k
                if i == n { break }
                let c = u[i]
                switch c {
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x0A: out.append(0x5C); out.append(0x6E)
                case 0x0D: out.append(0x5C); out.append(0x72)
                case 0x09: out.append(0x5C); out.append(0x74)
                case 0x08: out.append(0x5C); out.append(0x62)
                case 0x0C: out.append(0x5C); out.append(0x66)
                default:
                    out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hexDigits[Int(c >> 4)], hexDigits[Int(c & 15)]])
                }
                i += 1
            }
        }
        out.append(0x22)
    }

    /// Chooses the string writer's scan code (tests): 0 portable C, 1 SSE2, 2 AVX2, -1 the best.
    static func setEscapeScanISA(_ isa: Int32) { cicu_json_set_isa(isa) }
}

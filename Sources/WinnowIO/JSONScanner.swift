#if canImport(Glibc)
import Glibc
#endif
import WinnowCore

/// A JSON syntax error at a byte column of one record.
public struct JSONSyntaxError: Error, Hashable {
    /// 0-based byte position in the record.
    public var position: Int
    /// What is wrong.
    public var message: String
}

/// A field-extracting JSON parser over raw UTF-8 bytes.
///
/// It parses one JSON text (a JSONL record) without building an intermediate tree for the
/// fields it is asked to extract: strings are unescaped straight into Swift `String`s and other
/// values become ``MetadataValue``s. Invalid UTF-8 and lone surrogates are reported; numbers
/// follow strict JSON syntax and are kept: Int64 when integral and in range, Double when one
/// holds them (at most 17 significant digits in the normal range), else their source text
/// (``MetadataValue/number``).
/// `NaN`, `Infinity` and `-Infinity`, which Python's `json` writes, are read as Doubles (and
/// written back as `null`).
public struct JSONScanner {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let count: Int
    /// The current position.
    public var pos = 0

    /// Scans a buffer (which must outlive the scanner).
    public init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        count = bytes.count
    }

    @inline(__always) func fail(_ message: String) -> JSONSyntaxError {
        JSONSyntaxError(position: pos, message: message)
    }

    /// Skips spaces, tabs, CR and LF.
    @inline(__always) public mutating func skipWhitespace() {
        while pos < count {
            let c = base[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { break }
        }
    }

    /// Expects a byte (after whitespace).
    @inline(__always) public mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
        skipWhitespace()
        guard pos < count, base[pos] == byte else {
            throw fail(pos < count ? "expected \(what), found '\(Self.show(base[pos]))'" : "expected \(what), found end of line")
        }
        pos += 1
    }

    static func show(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7f ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
    }

    /// Peeks at the next non-space byte.
    @inline(__always) public mutating func peek() -> UInt8? {
        skipWhitespace()
        return pos < count ? base[pos] : nil
    }

    /// Whether only whitespace remains.
    public mutating func atEnd() -> Bool {
        skipWhitespace()
        return pos >= count
    }

    /// Reads a string's raw (still escaped) byte range; the position moves past the closing quote.
    /// Returns the range and whether it contains escapes.
    @inline(__always) public mutating func rawString() throws(JSONSyntaxError) -> (Range<Int>, Bool) {
        try expect(0x22, "a string")
        let start = pos
        var escaped = false
        let raw = UnsafeRawPointer(base)
        while pos < count {
            // Skip eight plain bytes at a time (no quote, backslash or control byte).
            while pos + 8 <= count {
                let x = raw.loadUnaligned(fromByteOffset: pos, as: UInt64.self)
                let m = SWAR.equal(x, 0x22) | SWAR.equal(x, 0x5C) | SWAR.less(x, 0x20)
                if m != 0 {
                    pos += SWAR.firstIndex(m)
                    break
                }
                pos += 8
            }
            if pos >= count { break }
            let c = base[pos]
            if c == 0x22 { pos += 1; return (start..<(pos - 1), escaped) }
            if c == 0x5C {
                escaped = true
                pos += 2
                continue
            }
            if c < 0x20 { throw fail("unescaped control character 0x\(String(c, radix: 16)) in a string") }
            pos += 1
        }
        pos = start
        throw fail("unterminated string")
    }

    /// Whether a raw string range equals an ASCII key.
    @inline(__always) public func equals(_ range: Range<Int>, _ key: StaticString) -> Bool {
        guard range.count == key.utf8CodeUnitCount else { return false }
        let k = key.utf8Start
        for i in 0..<range.count where base[range.lowerBound + i] != k[i] { return false }
        return true
    }

    /// Reads a string value into a Swift String (validating UTF-8, resolving escapes).
    public mutating func string() throws(JSONSyntaxError) -> String {
        let (range, escaped) = try rawString()
        return try decode(range, escaped: escaped)
    }

    /// Decodes a raw string range.
    public func decode(_ range: Range<Int>, escaped: Bool) throws(JSONSyntaxError) -> String {
        let raw = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        if !escaped {
            guard let s = String(validating: raw, as: UTF8.self) else {
                throw JSONSyntaxError(position: range.lowerBound + Self.firstInvalidUTF8(raw), message: "invalid UTF-8 in a string")
            }
            return s
        }
        var out = [UInt8]()
        out.reserveCapacity(range.count)
        var i = 0
        let n = raw.count
        while i < n {
            let c = raw[i]
            if c != 0x5C {
                // Copy a run of plain bytes.
                var j = n
                if let bs = memchr(raw.baseAddress! + i + 1, 0x5C, n - i - 1) {
                    j = raw.baseAddress!.distance(to: bs.assumingMemoryBound(to: UInt8.self))
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: raw[i..<j]))
                i = j
                continue
            }
            guard i + 1 < n else { throw JSONSyntaxError(position: range.lowerBound + i, message: "bad escape") }
            let e = raw[i + 1]
            i += 2
            switch e {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x2F: out.append(0x2F)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                guard let u = Self.hex4(raw, i) else {
                    throw JSONSyntaxError(position: range.lowerBound + i - 2, message: "bad \\u escape")
                }
                i += 4
                var scalar = u
                if u >= 0xD800 && u < 0xDC00 {
                    // A high surrogate must be followed by \uDC00–\uDFFF.
                    if i + 6 <= n, raw[i] == 0x5C, raw[i + 1] == 0x75, let lo = Self.hex4(raw, i + 2), lo >= 0xDC00,
                        lo < 0xE000
                    {
                        scalar = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                        i += 6
                    } else {
                        scalar = 0xFFFD  // lone surrogate: replaced (Python's json can emit these)
                    }
                } else if u >= 0xDC00 && u < 0xE000 {
                    scalar = 0xFFFD
                }
                Self.appendUTF8(scalar, to: &out)
            default:
                throw JSONSyntaxError(position: range.lowerBound + i - 2, message: "bad escape '\\\(Self.show(e))'")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            let bad = out.withUnsafeBufferPointer { Self.firstInvalidUTF8($0) }
            throw JSONSyntaxError(position: range.lowerBound + min(bad, range.count - 1), message: "invalid UTF-8 in a string")
        }
        return s
    }

    @inline(__always) static func hex4(_ raw: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32? {
        guard i + 4 <= raw.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = raw[i + k]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    @inline(__always) static func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
        switch s {
        case 0..<0x80: out.append(UInt8(s))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (s >> 6)))
            out.append(UInt8(0x80 | (s & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (s >> 12)))
            out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (s & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (s >> 18)))
            out.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (s & 0x3F)))
        }
    }

    /// The index of the first byte of the first invalid UTF-8 sequence (count if valid).
    public static func firstInvalidUTF8(_ b: UnsafeBufferPointer<UInt8>) -> Int {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            var need = 0
            var minScalar: UInt32 = 0
            var scalar: UInt32 = 0
            if c & 0xE0 == 0xC0 { need = 1; minScalar = 0x80; scalar = UInt32(c & 0x1F) }
            else if c & 0xF0 == 0xE0 { need = 2; minScalar = 0x800; scalar = UInt32(c & 0x0F) }
            else if c & 0xF8 == 0xF0 { need = 3; minScalar = 0x10000; scalar = UInt32(c & 0x07) }
            else { return i }
            for k in 1...need {
                guard i + k < n, b[i + k] & 0xC0 == 0x80 else { return i }
                scalar = scalar << 6 | UInt32(b[i + k] & 0x3F)
            }
            if scalar < minScalar || scalar > 0x10FFFF || (scalar >= 0xD800 && scalar < 0xE000) { return i }
            i += need + 1
        }
        return n
    }

    /// Reads any JSON value as a ``MetadataValue``.
    public mutating func value(depth: Int = 0) throws(JSONSyntaxError) -> MetadataValue {
        guard depth < 512 else { throw fail("nesting deeper than 512") }
        guard let c = peek() else { throw fail("expected a value, found end of line") }
        switch c {
        case 0x22: return .string(try string())
        case 0x7B:
            pos += 1
            if peek() == 0x7D { pos += 1; return .object([:]) }
            var obj = [String: MetadataValue](minimumCapacity: 4)  // no regrowth for the usual few keys
            while true {
                let key = try string()
                try expect(0x3A, "':'")
                obj[key] = try value(depth: depth + 1)
                guard let d = peek() else { throw fail("unterminated object") }
                pos += 1
                if d == 0x2C { continue }
                if d == 0x7D { return .object(obj) }
                pos -= 1
                throw fail("expected ',' or '}', found '\(Self.show(d))'")
            }
        case 0x5B:
            pos += 1
            var arr: [MetadataValue] = []
            if peek() == 0x5D { pos += 1; return .array(arr) }
            while true {
                arr.append(try value(depth: depth + 1))
                guard let d = peek() else { throw fail("unterminated array") }
                pos += 1
                if d == 0x2C { continue }
                if d == 0x5D { return .array(arr) }
                pos -= 1
                throw fail("expected ',' or ']', found '\(Self.show(d))'")
            }
        case 0x74: try literal("true"); return .bool(true)
        case 0x66: try literal("false"); return .bool(false)
        case 0x6E: try literal("null"); return .null
        case 0x2D, 0x30...0x39: return try number()
        case 0x4E:  // NaN, as Python's json writes it
            try literal("NaN"); return .double(.nan)
        case 0x49:
            try literal("Infinity"); return .double(.infinity)
        default:
            throw fail("unexpected '\(Self.show(c))'")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let n = word.utf8CodeUnitCount
        guard pos + n <= count else { throw fail("unexpected end of line") }
        for i in 0..<n where base[pos + i] != word.utf8Start[i] { throw fail("invalid literal") }
        pos += n
    }

    /// Reads a number token (strict JSON syntax) as a value that keeps it: ``MetadataValue/int``
    /// when it is an integer within 64 bits, ``MetadataValue/double`` when it has at most 17
    /// significant digits within the normal range (or a Double names exactly its decimal
    /// value), else ``MetadataValue/number`` with the source text (more digits than a Double
    /// keeps, or beyond its range: `1e400`, a 30-digit integer).
    mutating func number() throws(JSONSyntaxError) -> MetadataValue {
        let start = pos
        var i = pos
        let base = self.base
        let count = self.count
        @inline(__always) func isDigit(_ i: Int) -> Bool { i < count && base[i] &- 0x30 < 10 }
        let negative = base[i] == 0x2D
        if negative {
            i += 1
            if i < count && base[i] == 0x49 {
                pos = i
                try literal("Infinity")
                return .double(-.infinity)
            }
        }
        // Integer part: 0 or [1-9][0-9]*.
        guard isDigit(i) else { throw invalidNumber(start, i) }
        var leadingZeros = 0  // zeros before the first non-zero digit (integer and fraction)
        var digits = 0
        var intDigits = 0  // integer digits after leading zeros
        var magnitude: UInt64 = 0
        if base[i] == 0x30 {
            i += 1
            leadingZeros = 1
            digits = 1
            if isDigit(i) { throw invalidNumber(start, i) }  // no leading zeros in JSON
        } else {
            while isDigit(i) {
                if digits < 19 { magnitude = magnitude &* 10 &+ UInt64(base[i] &- 0x30) }
                digits += 1
                i += 1
            }
            intDigits = digits
        }
        var isInt = true
        if i < count && base[i] == 0x2E {
            isInt = false
            i += 1
            guard isDigit(i) else { throw invalidNumber(start, i) }
            while isDigit(i) {
                if digits == leadingZeros && base[i] == 0x30 { leadingZeros += 1 }
                digits += 1
                i += 1
            }
        }
        var exponent = 0
        if i < count && (base[i] == 0x65 || base[i] == 0x45) {
            isInt = false
            i += 1
            var expNegative = false
            if i < count && (base[i] == 0x2B || base[i] == 0x2D) {
                expNegative = base[i] == 0x2D
                i += 1
            }
            guard isDigit(i) else { throw invalidNumber(start, i) }
            while isDigit(i) {
                exponent = min(exponent * 10 + Int(base[i] &- 0x30), 1_000_000)
                i += 1
            }
            if expNegative { exponent = -exponent }
        }
        pos = i
        let raw = UnsafeBufferPointer(start: base + start, count: i - start)
        if isInt {
            if digits <= 18 {
                let v = Int64(magnitude)
                return .int(negative ? -v : v)
            }
            if let v = Int64(String(decoding: raw, as: UTF8.self)) { return .int(v) }
            return .number(String(decoding: raw, as: UTF8.self))
        }
        let text = String(decoding: raw, as: UTF8.self)
        guard let d = Double(text) else { throw invalidNumber(start, i) }
        let significant = digits - leadingZeros
        if significant == 0 { return .double(d) }  // a zero
        // At most 17 significant digits (what Python's repr and %.17g write), well inside the
        // normal range: the number is a Double, and the Double's shortest spelling, written
        // back, reads as the same Double.
        let scale = (intDigits > 0 ? intDigits : -(leadingZeros - 1)) + exponent
        if significant <= 17 && scale > -300 && scale < 300 { return .double(d) }
        // More digits, or near the ends of the range: a Double only when it names exactly the
        // same decimal value (`0.50000000000000000000`, `5e-324`); else the text is kept.
        if d.isFinite && d != 0 && Self.sameDecimalValue(raw, Array(d.description.utf8)) { return .double(d) }
        return .number(text)
    }

    private func invalidNumber(_ start: Int, _ at: Int) -> JSONSyntaxError {
        var end = max(at, start)
        while end < count && end - start < 40 && !(base[end] == 0x2C || base[end] == 0x7D || base[end] == 0x5D || base[end] <= 0x20) {
            end += 1
        }
        if end == start && end < count { end += 1 }
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
        return JSONSyntaxError(position: start, message: "invalid number '\(text)'")
    }

    /// Whether two decimal spellings (JSON or Swift `description` syntax) name the same value.
    static func sameDecimalValue<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard let x = decimalParts(a), let y = decimalParts(b) else { return false }
        return x.negative == y.negative && x.digits == y.digits && x.exponent == y.exponent
    }

    /// A decimal spelling as sign, significant digits (no leading or trailing zeros) and the
    /// exponent `e` such that the value is 0.digits × 10^e.
    static func decimalParts<C: Collection<UInt8>>(_ text: C) -> (negative: Bool, digits: [UInt8], exponent: Int)? {
        var negative = false
        var digits: [UInt8] = []
        var pointAt: Int?
        var exponent = 0
        var it = text.makeIterator()
        var c = it.next()
        if c == 0x2D { negative = true; c = it.next() }
        var count = 0
        while let d = c, d &- 0x30 < 10 || d == 0x2E {
            if d == 0x2E { pointAt = count } else { digits.append(d); count += 1 }
            c = it.next()
        }
        if let e = c, e == 0x65 || e == 0x45 {
            c = it.next()
            var expNegative = false
            if c == 0x2B || c == 0x2D { expNegative = c == 0x2D; c = it.next() }
            while let d = c, d &- 0x30 < 10 {
                exponent = min(exponent * 10 + Int(d &- 0x30), 1_000_000)
                c = it.next()
            }
            if expNegative { exponent = -exponent }
        } else if c != nil {
            return nil
        }
        var e = (pointAt ?? count) + exponent
        var first = 0
        while first < digits.count && digits[first] == 0x30 { first += 1; e -= 1 }
        var last = digits.count
        while last > first && digits[last - 1] == 0x30 { last -= 1 }
        if first == last { return (false, [], 0) }
        return (negative, Array(digits[first..<last]), e)
    }

    /// The raw bytes of the next value (skipped, validated), as a string: for ids given as numbers.
    public mutating func rawValueText() throws(JSONSyntaxError) -> String {
        skipWhitespace()
        let start = pos
        _ = try value()
        return String(decoding: UnsafeBufferPointer(start: base + start, count: pos - start), as: UTF8.self)
    }
}

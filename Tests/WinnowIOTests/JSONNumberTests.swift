import Foundation
import Testing
import WinnowCore
import WinnowIO

/// Numbers pass through the JSONL codec without losing a digit, and what it writes is always
/// strict JSON (no NaN, no Infinity).
@Suite("JSONL codec: lossless numbers, strict output")
struct JSONNumberTests {
    func roundTrip(_ line: String) throws -> String {
        var l = line
        let doc = try l.withUTF8 { u in try JSONLCodec().decode(UnsafeRawBufferPointer(u)) { "id" } }
        var out: [UInt8] = []
        JSONLCodec().encode(doc, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether the text (one line, newline at the end) is strict JSON by RFC 8259's grammar. A
    /// checker of its own: Foundation's parser refuses numbers a Double cannot hold, which
    /// JSON allows.
    func isStrictJSON(_ s: String) -> Bool {
        var b = Array(s.utf8)
        if b.last == 0x0A { b.removeLast() }
        var i = 0
        func ws() { while i < b.count && [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 } }
        func digits() -> Int {
            let s = i
            while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            return i - s
        }
        func value() -> Bool {
            ws()
            guard i < b.count else { return false }
            switch b[i] {
            case 0x7B:  // {
                i += 1; ws()
                if i < b.count && b[i] == 0x7D { i += 1; return true }
                while true {
                    ws()
                    guard i < b.count, b[i] == 0x22, string() else { return false }
                    ws()
                    guard i < b.count, b[i] == 0x3A else { return false }
                    i += 1
                    guard value() else { return false }
                    ws()
                    guard i < b.count else { return false }
                    if b[i] == 0x2C { i += 1; continue }
                    if b[i] == 0x7D { i += 1; return true }
                    return false
                }
            case 0x5B:  // [
                i += 1; ws()
                if i < b.count && b[i] == 0x5D { i += 1; return true }
                while true {
                    guard value() else { return false }
                    ws()
                    guard i < b.count else { return false }
                    if b[i] == 0x2C { i += 1; continue }
                    if b[i] == 0x5D { i += 1; return true }
                    return false
                }
            case 0x22: return string()
            case 0x74: return word("true")
            case 0x66: return word("false")
            case 0x6E: return word("null")
            default:
                if b[i] == 0x2D { i += 1 }
                guard i < b.count else { return false }
                if b[i] == 0x30 { i += 1 } else if digits() == 0 { return false }
                if i < b.count && b[i] == 0x2E { i += 1; if digits() == 0 { return false } }
                if i < b.count && (b[i] == 0x65 || b[i] == 0x45) {
                    i += 1
                    if i < b.count && (b[i] == 0x2B || b[i] == 0x2D) { i += 1 }
                    if digits() == 0 { return false }
                }
                return true
            }
        }
        func word(_ w: String) -> Bool {
            let u = Array(w.utf8)
            guard i + u.count <= b.count, Array(b[i..<(i + u.count)]) == u else { return false }
            i += u.count
            return true
        }
        func string() -> Bool {
            i += 1
            while i < b.count {
                if b[i] == 0x22 { i += 1; return true }
                if b[i] < 0x20 { return false }
                if b[i] == 0x5C { i += 2; continue }
                i += 1
            }
            return false
        }
        guard value() else { return false }
        ws()
        return i == b.count && String(validating: b, as: UTF8.self) != nil
    }

    @Test("the issue's record: 1e400 and a 30-digit integer come back as written, in strict JSON")
    func issueRecord() throws {
        let out = try roundTrip(#"{"text":"x","exp":1e400,"big":123456789012345678901234567890}"#)
        #expect(out == #"{"id":"id","text":"x","metadata":{"big":123456789012345678901234567890,"exp":1e400}}"# + "\n")
        #expect(isStrictJSON(out))
    }

    @Test("each number is written back with the same value", arguments: [
        // (written, written back)
        ("0", "0"), ("-0", "0"), ("42", "42"), ("-17", "-17"),
        ("9223372036854775807", "9223372036854775807"), ("-9223372036854775808", "-9223372036854775808"),
        ("9223372036854775808", "9223372036854775808"), ("-123456789012345678901234567890", "-123456789012345678901234567890"),
        ("0.5", "0.5"), ("0.1", "0.1"), ("2.5e-3", "0.0025"), ("1e5", "100000.0"), ("1E+2", "100.0"),
        ("0.30000000000000004", "0.30000000000000004"), ("0.10000000000000001", "0.1"), ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ("5e-324", "5e-324"),
        ("1e400", "1e400"), ("-1e400", "-1e400"), ("4.9e-324", "4.9e-324"), ("1e-400", "1e-400"),
        ("1.00000000000000000001", "1.00000000000000000001"), ("3.14159265358979323846264338327950288", "3.14159265358979323846264338327950288"),
    ])
    func numbers(written: String, back: String) throws {
        let out = try roundTrip(#"{"text":"x","v":"# + written + "}")
        #expect(out == #"{"id":"id","text":"x","metadata":{"v":"# + back + "}}\n")
        #expect(isStrictJSON(out))
    }

    @Test("numbers that are not JSON are refused", arguments: ["01", "1.", ".5", "-", "1e", "1e+", "--1", "0x10", "1.5.2", "+1"])
    func invalidNumbers(text: String) {
        #expect(throws: JSONLCodec.RecordError.self) { _ = try roundTrip(#"{"text":"x","v":"# + text + "}") }
    }

    @Test("NaN and Infinity (as Python writes them) are read and written as null")
    func pythonSpecials() throws {
        let out = try roundTrip(#"{"text":"x","a":NaN,"b":Infinity,"c":-Infinity,"d":[NaN,1]}"#)
        #expect(out == #"{"id":"id","text":"x","metadata":{"a":null,"b":null,"c":null,"d":[null,1]}}"# + "\n")
        #expect(isStrictJSON(out))
        // The checker itself refuses what the old codec wrote.
        #expect(!isStrictJSON(#"{"a":NaN}"#) && !isStrictJSON(#"{"a":Infinity}"#) && !isStrictJSON(#"{"a":-Infinity}"#))
        #expect(!isStrictJSON(#"{"a":01}"#) && isStrictJSON(#"{"a":[1e400,-0.5E-3,"N\"aN"]}"#))
    }

    @Test("scores a Double cannot hold stay metadata, as written; non-finite computed scores are written as null")
    func scores() throws {
        let kept = try roundTrip(#"{"text":"x","scores":{"a":0.25,"b":2}}"#)
        #expect(kept == #"{"id":"id","text":"x","scores":{"a":0.25,"b":2.0}}"# + "\n")
        let raw = try roundTrip(#"{"text":"x","scores":{"a":0.25,"b":1e400}}"#)
        #expect(raw == #"{"id":"id","text":"x","metadata":{"scores":{"a":0.25,"b":1e400}}}"# + "\n")
        #expect(isStrictJSON(raw))
        var out: [UInt8] = []
        JSONLCodec().encode(Document(id: "d", text: "t", scores: ["inf": .infinity, "nan": .nan, "ok": 1.5]), into: &out)
        let s = String(decoding: out, as: UTF8.self)
        #expect(s == #"{"id":"d","text":"t","scores":{"inf":null,"nan":null,"ok":1.5}}"# + "\n")
        #expect(isStrictJSON(s))
    }

    @Test("a number id keeps its text")
    func numberID() throws {
        let out = try roundTrip(#"{"id":123456789012345678901234567890,"text":"x"}"#)
        #expect(out == #"{"id":"123456789012345678901234567890","text":"x"}"# + "\n")
    }
}

import Foundation
import Testing
@testable import WinnowIO

/// The JSON string writer's scan (cicu_json.c) in each of its block codes against the plain
/// definition: '"', '\\' and bytes below 0x20 escaped, everything else copied.
@Suite("JSON string writer", .serialized)
struct JSONEscapeTests {
    /// The plain definition, one byte at a time.
    static func reference(_ s: String) -> [UInt8] {
        var out: [UInt8] = [0x22]
        let hex = Array("0123456789abcdef".utf8)
        for c in s.utf8 {
            switch c {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x08: out += [0x5C, 0x62]
            case 0x0C: out += [0x5C, 0x66]
            case ..<0x20: out += [0x5C, 0x75, 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 15)]]
            default: out.append(c)
            }
        }
        out.append(0x22)
        return out
    }

    @Test("escapes as the plain definition at every offset of long plain runs", arguments: [Int32(0), 1, 2])
    func everyOffset(isa: Int32) {
        JSONLCodec.setEscapeScanISA(isa)
        defer { JSONLCodec.setEscapeScanISA(-1) }
        let marks: [String] = ["\"", "\\", "\n", "\u{0}", "\u{1F}", "\t", "\u{7F}", " ", "é", "\u{2028}", "!", "#", "]", "^"]
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100] {
            for at in 0..<max(1, length) {
                for m in marks {
                    var s = String(repeating: "a", count: length)
                    if at < length {
                        let i = s.index(s.startIndex, offsetBy: at)
                        s.replaceSubrange(i...i, with: m)
                    }
                    var out: [UInt8] = []
                    JSONLCodec.appendString(s, to: &out)
                    #expect(out == Self.reference(s), "length \(length), \(m.debugDescription) at \(at)")
                }
            }
        }
    }

    @Test("seeded random strings round-trip through the reader", arguments: [Int32(0), 1, 2])
    func random(isa: Int32) throws {
        JSONLCodec.setEscapeScanISA(isa)
        defer { JSONLCodec.setEscapeScanISA(-1) }
        var state: UInt64 = 0xC0FFEE
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let pieces = ["word", " ", "\n", "\"quoted\"", "back\\slash", "\t", "\r\n", "\u{1}", "\u{1B}[0m", "ü", "東京", "🙂",
                      String(repeating: "x", count: 40), "\u{7F}", "{}", "</script>"]
        for _ in 0..<2000 {
            var s = ""
            for _ in 0..<next(30) { s += pieces[next(pieces.count)] }
            var out: [UInt8] = []
            JSONLCodec.appendString(s, to: &out)
            #expect(out == Self.reference(s), "\(s.debugDescription)")
            let back = try JSONSerialization.jsonObject(with: Data(out), options: [.fragmentsAllowed]) as? String
            #expect(back == s)
        }
    }
}

import Testing
import WinnowCore
@testable import WinnowText

/// The spaCy tokenizer's character sets are range sets with an ASCII bitmap and its special
/// cases an open-addressing table over their xxHash (no SipHash per lookup on the rule stages'
/// hot path). These tests pin both against the plain sets they replace.
@Suite("spaCy tokenizer tables: range sets and the special-case table")
struct SpacyTableLookupTests {
    @Test("a range set built from values has exactly their members, over every code point")
    func rangeSetsEqualSets() {
        let sources: [(String, [UInt32])] = [
            ("punctSingles", SpacyEnglishTables.punctSingles),
            ("sentencePunct", SpacyEnglishTables.sentencePunct),
            ("currency", SpacyEnglishTables.currency.compactMap { $0.unicodeScalars.count == 1 ? $0.unicodeScalars.first?.value : nil }),
            ("unit last", (SpacyEnglishTables.units + SpacyEnglishTables.currency).compactMap { $0.unicodeScalars.last?.value }),
            ("runs and gaps", [5, 3, 4, 4, 10, 63, 64, 65, 127, 128, 200, 0x10FFFF, 0xFFFF, 0x1_0000]),
        ]
        for (name, values) in sources {
            let plain = Set(values)
            let ranges = ScalarSet(values: values)
            var wrong: [UInt32] = []
            for v in UInt32(0)...0x11_0000 where ranges.contains(v) != plain.contains(v) { wrong.append(v) }
            #expect(wrong.isEmpty, "\(name): \(wrong.prefix(5))")
        }
        #expect(!ScalarSet(values: []).contains(0))
    }

    @Test("every special case is found by its bytes; a byte changed or cut is not")
    func specialCasesFound() {
        let t = SpacyEnglishTokenizer.tables
        var missed = 0
        var falseHits = 0
        for (k, key) in t.specialKeys.enumerated() {
            key.withUnsafeBufferPointer { u in
                if t.special(u, 0, u.count) != k { missed += 1 }
            }
            var changed = key
            changed[changed.count - 1] ^= 0x01
            changed.withUnsafeBufferPointer { u in
                if let j = t.special(u, 0, u.count), t.specialKeys[j] != changed { falseHits += 1 }
            }
            if key.count > 1 {
                key.withUnsafeBufferPointer { u in
                    if let j = t.special(u, 0, u.count - 1), t.specialKeys[j] != Array(key.dropLast()) { falseHits += 1 }
                }
            }
        }
        #expect(t.specialKeys.count > 1000)
        #expect(missed == 0)
        #expect(falseHits == 0)
        // Inside a larger buffer: offsets, not only whole buffers.
        let text = Array("x don't y".utf8)
        text.withUnsafeBufferPointer { u in
            #expect(t.special(u, 2, 7).map { t.specialKeys[$0] } == Array("don't".utf8))
            #expect(t.special(u, 2, 6) == nil || t.specialKeys[t.special(u, 2, 6)!] == Array("don'".utf8))
        }
    }
}

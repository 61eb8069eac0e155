import Foundation
import Testing
import WinnowCore
import WinnowIO

@Suite("JSONL codec")
struct JSONLTests {
    struct Ref: Decodable {
        var id: String
        var text: String
    }

    func decode(_ line: String) throws -> Document {
        var l = line
        return try l.withUTF8 { u in
            try JSONLCodec().decode(UnsafeRawBufferPointer(u)) { "fallback" }
        }
    }

    /// Hand-written records that stress the scanner.
    static let tricky: [String] = [
        #"{"id": "a", "text": "plain"}"#,
        #"{"text":"esc \" \\ \/ \b \f \n \r \t","id":"b"}"#,
        #"{"id":"c","text":"\u00e9\u00E8 \u6771\u4eac \ud83d\ude42 snowman \u2603"}"#,
        #"{"id":"d","text":"raw UTF-8: Crème brûlée 東京 🙂"}"#,
        #"  { "id" : "e" , "text" : "spaces" , "n": [1, 2.5, -3e2, {"x": null}], "b": true }  "#,
        #"{"id":"f","text":"","metadata":{"url":"http://x","nested":{"k":[1,2]}}}"#,
    ]

    @Test("top-level extra fields and the metadata object merge, the later one winning a shared key")
    func metadataMerge() throws {
        let before = try decode(#"{"id":"a","url":"top","lang":"en","metadata":{"url":"meta","x":1},"text":"t"}"#)
        #expect(before.metadata == ["url": .string("meta"), "lang": .string("en"), "x": .int(1)])
        let after = try decode(#"{"id":"a","metadata":{"url":"meta","x":1},"url":"top","text":"t"}"#)
        #expect(after.metadata == ["url": .string("top"), "x": .int(1)])
        let only = try decode(#"{"id":"a","text":"t","metadata":{"a":{},"b":[]}}"#)
        #expect(only.metadata == ["a": .object([:]), "b": .array([])])
    }

    @Test("agrees with JSONDecoder on tricky records", arguments: tricky)
    func agreesWithFoundation(line: String) throws {
        let ref = try JSONDecoder().decode(Ref.self, from: Data(line.utf8))
        let doc = try decode(line)
        #expect(doc.id == ref.id)
        #expect(doc.text == ref.text)
    }

    @Test("agrees with JSONDecoder on 2,000 generated records")
    func generated() throws {
        var rng = SplitMix(state: 7)
        let pieces = ["a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "é", "東", "🙂", "\u{2028}", "x y", "{", "}", ","]
        for i in 0..<2000 {
            var text = ""
            for _ in 0..<(Int(rng.next() % 40)) { text += pieces[Int(rng.next() % UInt64(pieces.count))] }
            let obj: [String: Any] = ["id": "doc-\(i)", "text": text, "score": Double(i) / 7, "tags": ["t\(i % 3)"]]
            let data = try JSONSerialization.data(withJSONObject: obj, options: i % 2 == 0 ? [.sortedKeys] : [])
            let line = String(decoding: data, as: UTF8.self)
            let ref = try JSONDecoder().decode(Ref.self, from: data)
            let doc = try decode(line)
            #expect(doc.id == ref.id && doc.text == ref.text)
            #expect(doc.metadata["tags"] == .array([.string("t\(i % 3)")]))
        }
    }

    @Test("encode then decode gives the same document")
    func roundTrip() throws {
        let doc = Document(
            id: "x/1", text: "line\none \"q\" \\ \u{0}\u{1f} é 東 🙂",
            metadata: ["url": "http://a", "n": 3, "f": 0.5, "ok": true, "none": .null, "list": .array([1, "two"]),
                       "obj": .object(["k": "v"])],
            scores: ["ppl": 123.25, "lang": 0.99])
        var out: [UInt8] = []
        JSONLCodec().encode(doc, into: &out)
        #expect(out.last == 0x0A)
        let back = try out.dropLast().withUnsafeBytes { raw in
            try JSONLCodec().decode(raw) { "" }
        }
        #expect(back == doc)
        // Foundation can parse what we write.
        #expect((try? JSONSerialization.jsonObject(with: Data(out))) != nil)
    }

    @Test("re-encoding a canonical record gives the same bytes")
    func canonicalIsStable() throws {
        var rng = SplitMix(state: 11)
        let values: [MetadataValue] = [1, -7, 0.1, 1e-5, 3.0, 1e300, .double(.nan), "é\u{1}\"", true, .null, .array([1, 2.5, "x"]),
                                       .object(["b": 1, "a": "z"])]
        for i in 0..<500 {
            var meta: [String: MetadataValue] = [:]
            for k in 0..<Int(rng.next() % 4) { meta["k\(k)-\(rng.next() % 9)"] = values[Int(rng.next() % UInt64(values.count))] }
            let doc = Document(id: "d\(i)", text: "text \(i) \u{7f} 🙂 \\ \n", metadata: meta, scores: i % 3 == 0 ? ["s": Double(i) / 3] : [:])
            var first: [UInt8] = []
            JSONLCodec().encode(doc, into: &first)
            let back = try first.dropLast().withUnsafeBytes { raw in try JSONLCodec().decode(raw) { "" } }
            var second: [UInt8] = []
            JSONLCodec().encode(back, into: &second)
            #expect(first == second)
        }
    }

    @Test("ids: string, number, or the fallback")
    func ids() throws {
        #expect(try decode(#"{"text":"t","id":17}"#).id == "17")
        #expect(try decode(#"{"text":"t"}"#).id == "fallback")
        #expect(try decode(#"{"text":"t","id":null}"#).id == "fallback")
    }

    @Test("configurable keys")
    func keys() throws {
        let line = #"{"content":"hello","doc_id":"z","text":"other"}"#
        var l = line
        let doc = try l.withUTF8 { u in
            try JSONLCodec(textKey: "content", idKey: "doc_id").decode(UnsafeRawBufferPointer(u)) { "" }
        }
        #expect(doc.text == "hello" && doc.id == "z")
        #expect(doc.metadata["text"] == "other")
    }

    @Test("malformed records are rejected", arguments: [
        #"{"text": "unterminated}"#, #"{"text": "a",}"#, #"["text"]"#, #"{"text": 5}"#, #"{"id": "x"}"#,
        #"{"text": "a"} trailing"#, #"{"text": "bad \q escape"}"#, "{\"text\": \"ctrl \u{1} char\"}", #"{"text": tru}"#,
    ])
    func malformed(line: String) {
        #expect(throws: JSONLCodec.RecordError.self) { _ = try decode(line) }
    }

    @Test("invalid UTF-8 inside a string is rejected")
    func invalidUTF8() {
        let bytes: [UInt8] = Array(#"{"text": "ok "#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: JSONLCodec.RecordError.self) {
            _ = try bytes.withUnsafeBytes { raw in try JSONLCodec().decode(raw) { "" } }
        }
    }

    @Test("a lone surrogate escape becomes U+FFFD")
    func loneSurrogate() throws {
        #expect(try decode(#"{"text":"a\ud800b"}"#).text == "a\u{FFFD}b")
    }
}

@Suite("JSON string fast paths")
struct JSONStringFastPathTests {
    @Test("strings of every length round-trip with specials at every position")
    func positions() throws {
        for length in 0..<40 {
            for position in 0..<max(1, length) {
                for special in ["\"", "\\", "\n", "\u{1}", "é", "🙂"] {
                    var chars = Array(repeating: "a", count: length)
                    if length > 0 { chars[position] = special }
                    let text = chars.joined()
                    var out: [UInt8] = []
                    JSONLCodec().encode(Document(id: "x", text: text), into: &out)
                    let back = try out.dropLast().withUnsafeBytes { raw in try JSONLCodec().decode(raw) { "" } }
                    #expect(back.text == text)
                    let ref = try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any]
                    #expect(ref?["text"] as? String == text)
                }
            }
        }
    }
}

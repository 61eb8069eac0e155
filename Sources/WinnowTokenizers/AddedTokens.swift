/// A `tokenizer.json`'s added tokens (`<s>`, `</s>`, `<|endoftext|>`, `[CLS]` …), matched in the
/// raw text before normalisation, leftmost and longest first, as `tokenizers` does by default
/// (`split_special_tokens: false`): the text between them is tokenized on its own.
struct AddedTokens: Sendable {
    struct Entry: Sendable {
        var bytes: [UInt8]
        var id: Int32
        /// Whitespace before the token belongs to it.
        var lstrip: Bool
        /// Whitespace after the token belongs to it.
        var rstrip: Bool
    }

    /// What the text is cut into.
    enum Segment {
        /// Text to tokenize; `first` when it starts the whole text (Metaspace's `first` scheme).
        case text(Substring, first: Bool)
        /// An added token's id.
        case token(Int32)
    }

    /// Entries by their first byte, longest first.
    private let byFirstByte: [[Entry]]
    let isEmpty: Bool

    init(_ entries: [Entry]) {
        var buckets = [[Entry]](repeating: [], count: 256)
        for e in entries where !e.bytes.isEmpty { buckets[Int(e.bytes[0])].append(e) }
        for k in buckets.indices { buckets[k].sort { $0.bytes.count > $1.bytes.count } }
        byFirstByte = buckets
        isEmpty = entries.isEmpty
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09 ... 0x0D).contains(b) }

    /// Calls `body` with the segments of `text` in order.
    func forEachSegment(of text: Substring, _ body: (Segment) -> Void) {
        if isEmpty {
            if !text.isEmpty { body(.text(text, first: true)) }
            return
        }
        let utf8 = text.utf8
        let bytes = Array(utf8)
        let n = bytes.count
        var segmentStart = 0
        var i = 0
        func emitText(_ from: Int, _ to: Int) {
            guard to > from else { return }
            let a = utf8.index(text.startIndex, offsetBy: from)
            let b = utf8.index(text.startIndex, offsetBy: to)
            body(.text(text[a ..< b], first: from == 0))
        }
        while i < n {
            var matched: Entry?
            for e in byFirstByte[Int(bytes[i])] where i + e.bytes.count <= n {
                var same = true
                for k in 1 ..< e.bytes.count where bytes[i + k] != e.bytes[k] {
                    same = false
                    break
                }
                if same {
                    matched = e
                    break
                }
            }
            guard let e = matched else {
                i += 1
                continue
            }
            var textEnd = i
            if e.lstrip { while textEnd > segmentStart, AddedTokens.isSpace(bytes[textEnd - 1]) { textEnd -= 1 } }
            emitText(segmentStart, textEnd)
            body(.token(e.id))
            i += e.bytes.count
            if e.rstrip { while i < n, AddedTokens.isSpace(bytes[i]) { i += 1 } }
            segmentStart = i
        }
        emitText(segmentStart, n)
    }
}

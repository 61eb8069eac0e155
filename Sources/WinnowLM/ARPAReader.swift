import WinnowCore
import WinnowIO

/// Reads an ARPA backoff model (`\data\`, `ngram N=count`, `\N-grams:` sections of
/// `log10p <tab> w1 … wn [<tab> log10backoff]`, `\end\`) as KenLM does: fields may be separated by
/// tabs or spaces, a missing backoff is 0, a missing `<unk>` gets log10 p = −100 (KenLM's
/// substitute), `<s>` and `</s>` must be present.
enum ARPAReader {
    static func read(path: String) throws -> ModelContents {
        let reader = LineReader(source: try openByteSource(path: path), path: path)
        var lineNumber = 0
        func fail(_ message: String) -> InputError {
            InputError(message, at: SourceLocation(file: path, line: lineNumber))
        }
        /// The next line's fields (split on spaces and tabs), skipping blank lines; nil at the end.
        func nextFields() throws -> [Substring]? {
            while let line = try reader.next() {
                lineNumber = line.number
                let text = String(decoding: line.bytes, as: UTF8.self)
                let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
                if !fields.isEmpty { return fields }
            }
            return nil
        }
        // Header.
        guard let first = try nextFields() else { throw fail("empty file: expected \\data\\") }
        guard first == ["\\data\\"] else { throw fail("expected \\data\\, found '\(first.joined(separator: " "))'") }
        var counts: [Int] = []
        var fields = try nextFields()
        while let f = fields, f.count >= 1, f[0].hasPrefix("ngram") {
            let spec = f.count == 1 ? f[0].dropFirst(5) : f.dropFirst().joined(separator: "")[...]
            let parts = spec.split(separator: "=")
            guard parts.count == 2, let n = Int(parts[0]), let c = Int(parts[1]), n == counts.count + 1, c >= 0 else {
                throw fail("malformed count line '\(f.joined(separator: " "))' (expected 'ngram \(counts.count + 1)=<count>')")
            }
            counts.append(c)
            fields = try nextFields()
        }
        guard !counts.isEmpty else { throw fail("no 'ngram 1=<count>' lines after \\data\\") }
        let order = counts.count
        var words: [[UInt8]] = [Array("<unk>".utf8), Array("<s>".utf8), Array("</s>".utf8)]
        var ids: [String: UInt32] = ["<unk>": 0, "<s>": 1, "</s>": 2]
        var seenSpecial = [false, false, false]
        var unigramProb: [Float] = [-100, 0, 0]
        var unigramBackoff: [Float] = [0, 0, 0]
        var ngrams: [[NGramEntry]] = Array(repeating: [], count: order - 1)
        var gram = [UInt32](repeating: 0, count: order)
        for n in 1...order {
            guard let f = fields, f == ["\\\(n)-grams:"] else {
                throw fail("expected \\\(n)-grams:, found '\(fields?.joined(separator: " ") ?? "end of file")'")
            }
            if n > 1 { ngrams[n - 2].reserveCapacity(counts[n - 1]) }
            var seen = 0
            while true {
                guard let f = try nextFields() else { throw fail("unexpected end of file in \\\(n)-grams: (expected \\end\\)") }
                if f[0].hasPrefix("\\") {
                    fields = f
                    break
                }
                guard f.count == n + 1 || f.count == n + 2 else {
                    throw fail("\(n)-gram line has \(f.count) fields, expected \(n + 1) or \(n + 2) (log10p, \(n) word\(n == 1 ? "" : "s"), optional backoff)")
                }
                guard let p = Float(f[0]), !p.isNaN, p <= 0 else { throw fail("bad log10 probability '\(f[0])'") }
                var b: Float = 0
                if f.count == n + 2 {
                    guard let v = Float(f[n + 1]), v.isFinite else { throw fail("bad log10 backoff '\(f[n + 1])'") }
                    b = v
                }
                if n == 1 {
                    let w = String(f[1])
                    if let id = ids[w] {
                        guard id <= 2 && !seenSpecial[Int(id)] else { throw fail("duplicate unigram '\(w)'") }
                        seenSpecial[Int(id)] = true
                        unigramProb[Int(id)] = p
                        unigramBackoff[Int(id)] = b
                    } else {
                        ids[w] = UInt32(words.count)
                        words.append(Array(w.utf8))
                        unigramProb.append(p)
                        unigramBackoff.append(b)
                    }
                } else {
                    for k in 0..<n {
                        guard let id = ids[String(f[1 + k])] else { throw fail("word '\(f[1 + k])' of a \(n)-gram is not among the unigrams") }
                        gram[k] = id
                    }
                    let key = gram.withUnsafeBufferPointer { NGramHash.key(of: UnsafeBufferPointer(rebasing: $0[0..<n])) }
                    ngrams[n - 2].append(NGramEntry(key: key, prob: p, backoff: n == order ? 0 : b))
                }
                seen += 1
            }
            guard seen == counts[n - 1] else {
                throw fail("\\\(n)-grams: has \(seen) entries but the header says ngram \(n)=\(counts[n - 1])")
            }
        }
        guard fields == ["\\end\\"] else { throw fail("expected \\end\\, found '\(fields?.joined(separator: " ") ?? "")'") }
        guard seenSpecial[1] && seenSpecial[2] else { throw fail("the unigrams lack <s> or </s>") }
        return ModelContents(words: words, unigramProb: unigramProb, unigramBackoff: unigramBackoff, ngrams: ngrams)
    }
}

#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO

/// Reads an ARPA backoff model (`\data\`, `ngram N=count`, `\N-grams:` sections of
/// `log10p <tab> w1 … wn [<tab> log10backoff]`, `\end\`) as KenLM does: fields may be separated by
/// tabs or spaces, a missing backoff is 0, a missing `<unk>` gets log10 p = −100 (KenLM's
/// substitute), `<s>` and `</s>` must be present. Lines are parsed as bytes, without Strings.
enum ARPAReader {
    /// Splits a line into [start, end) byte ranges of fields separated by spaces, tabs or CR.
    static func fields(_ b: UnsafeRawBufferPointer, into out: inout [Range<Int>]) {
        out.removeAll(keepingCapacity: true)
        var i = 0
        let n = b.count
        while i < n {
            while i < n && (b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D) { i += 1 }
            if i == n { break }
            let start = i
            while i < n && b[i] != 0x20 && b[i] != 0x09 && b[i] != 0x0D { i += 1 }
            out.append(start..<i)
        }
    }

    /// Parses a float field (strtof on a NUL-terminated copy); nil unless the whole field parses.
    static func float(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> Float? {
        guard r.count > 0, r.count < 63 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf -> Float? in
            for (k, i) in r.enumerated() { buf[k] = CChar(bitPattern: b[i]) }
            buf[r.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtof(buf.baseAddress!, &end)
            guard let end, end - buf.baseAddress! == r.count, !v.isNaN else { return nil }
            return v
        }
    }

    static func read(path: String) throws -> ModelContents {
        let reader = LineReader(source: try openByteSource(path: path), path: path)
        var lineNumber = 0
        var line: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
        var f: [Range<Int>] = []
        func fail(_ message: String) -> InputError {
            InputError(message, at: SourceLocation(file: path, line: lineNumber))
        }
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: line[r]), as: UTF8.self) }
        func lineText() -> String { f.map(text).joined(separator: " ") }
        /// Advances to the next non-blank line; false at the end.
        func next() throws -> Bool {
            while let l = try reader.next() {
                lineNumber = l.number
                line = l.bytes
                fields(line, into: &f)
                if !f.isEmpty { return true }
            }
            f.removeAll()
            return false
        }
        func isLine(_ s: String) -> Bool { f.count == 1 && text(f[0]) == s }
        // Header.
        guard try next() else { throw fail("empty file: expected \\data\\") }
        guard isLine("\\data\\") else { throw fail("expected \\data\\, found '\(lineText())'") }
        var counts: [Int] = []
        var more = try next()
        while more, text(f[0]).hasPrefix("ngram") {
            let joined = lineText()
            let spec = joined.dropFirst(5).filter { $0 != " " }
            let parts = spec.split(separator: "=")
            guard parts.count == 2, let n = Int(parts[0]), let c = Int(parts[1]), n == counts.count + 1, c >= 0 else {
                throw fail("malformed count line '\(joined)' (expected 'ngram \(counts.count + 1)=<count>')")
            }
            counts.append(c)
            more = try next()
        }
        guard !counts.isEmpty else { throw fail("no 'ngram 1=<count>' lines after \\data\\") }
        let order = counts.count
        var vocab = WordTable()
        var seenSpecial = [false, false, false]
        var unigramProb: [Float] = [-100, 0, 0]
        var unigramBackoff: [Float] = [0, 0, 0]
        unigramProb.reserveCapacity(counts[0] + 3)
        unigramBackoff.reserveCapacity(counts[0] + 3)
        var ngrams: [[NGramEntry]] = Array(repeating: [], count: order - 1)
        var gram = [UInt32](repeating: 0, count: order)
        for n in 1...order {
            guard more, isLine("\\\(n)-grams:") else {
                throw fail("expected \\\(n)-grams:, found '\(more ? lineText() : "end of file")'")
            }
            if n > 1 { ngrams[n - 2].reserveCapacity(counts[n - 1]) }
            var seen = 0
            while true {
                guard try next() else { throw fail("unexpected end of file in \\\(n)-grams: (expected \\end\\)") }
                if line[f[0].lowerBound] == UInt8(ascii: "\\") { break }
                guard f.count == n + 1 || f.count == n + 2 else {
                    throw fail("\(n)-gram line has \(f.count) fields, expected \(n + 1) or \(n + 2) (log10p, \(n) word\(n == 1 ? "" : "s"), optional backoff)")
                }
                guard let p = float(line, f[0]), p <= 0 else { throw fail("bad log10 probability '\(text(f[0]))'") }
                var b: Float = 0
                if f.count == n + 2 {
                    guard let v = float(line, f[n + 1]), v.isFinite else { throw fail("bad log10 backoff '\(text(f[n + 1]))'") }
                    b = v
                }
                if n == 1 {
                    let before = vocab.count
                    let id = vocab.id(UnsafeRawBufferPointer(rebasing: line[f[1]]))
                    if Int(id) < before {
                        guard id <= 2 && !seenSpecial[Int(id)] else { throw fail("duplicate unigram '\(text(f[1]))'") }
                        seenSpecial[Int(id)] = true
                        unigramProb[Int(id)] = p
                        unigramBackoff[Int(id)] = b
                    } else {
                        unigramProb.append(p)
                        unigramBackoff.append(b)
                    }
                } else {
                    for k in 0..<n {
                        guard let id = vocab.find(UnsafeRawBufferPointer(rebasing: line[f[1 + k]])) else {
                            throw fail("word '\(text(f[1 + k]))' of a \(n)-gram is not among the unigrams")
                        }
                        gram[k] = id
                    }
                    let key = gram.withUnsafeBufferPointer { NGramHash.key(of: UnsafeBufferPointer(rebasing: $0[0..<n])) }
                    ngrams[n - 2].append(NGramEntry(key: key, prob: p, backoff: n == order ? 0 : b))
                }
                seen += 1
            }
            more = true
            guard seen == counts[n - 1] else {
                throw fail("\\\(n)-grams: has \(seen) entries but the header says ngram \(n)=\(counts[n - 1])")
            }
        }
        guard isLine("\\end\\") else { throw fail("expected \\end\\, found '\(lineText())'") }
        guard seenSpecial[1] && seenSpecial[2] else { throw fail("the unigrams lack <s> or </s>") }
        var words: [[UInt8]] = []
        words.reserveCapacity(vocab.count)
        for i in 0..<vocab.count { words.append(Array(vocab.word(i))) }
        return ModelContents(words: words, unigramProb: unigramProb, unigramBackoff: unigramBackoff, ngrams: ngrams)
    }
}

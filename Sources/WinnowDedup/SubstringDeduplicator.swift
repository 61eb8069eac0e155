import WinnowCore
import WinnowIO

/// Exact-substring dedup (Lee et al. 2022) on bytes: every span of at least `min_bytes` bytes
/// that already occurred earlier in the corpus (input order) is cut out of the later document.
///
/// Observe saves each shard's texts; resolve joins every document (each followed by a unique
/// separator that no UTF-8 text contains), builds the suffix array (SA-IS), the LCP array and
/// the longest-previous-factor array, and marks every position whose longest earlier match is
/// at least `min_bytes` long; decide cuts the marked spans (never splitting a character).
///
/// Memory of the resolve step: about 21 bytes per input byte (text as 32-bit symbols, suffix
/// array, LCP and LPF arrays); the whole corpus is resolved at once.
public struct SubstringDeduplicator: CorpusStage, RegisteredStage {
    /// The stage name.
    public var name: String { "substring_dedup" }
    /// The shortest repeated span removed, in bytes.
    public var minBytes: Int
    /// Documents left with fewer words are dropped.
    public var minWords: Int

    /// Creates the stage.
    public init(minBytes: Int = 100, minWords: Int = 1) {
        self.minBytes = minBytes
        self.minWords = minWords
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "substring_dedup", kind: .corpus,
        summary: "Exact-substring dedup (Lee et al. 2022) on bytes: cuts every span of at least min_bytes bytes that occurred earlier in the corpus (input order), found with a suffix array; documents left with fewer than min_words words are dropped. Needs about 21 bytes of memory per input byte in its resolve step.",
        parameters: [
            ParameterSpec("min_bytes", "int", default: "100", "shortest repeated span removed, in bytes"),
            ParameterSpec("min_words", "int", default: "1", "drop documents left with fewer words"),
        ],
        dropReasons: ["substring_dedup_too_short"],
        make: { p in
            SubstringDeduplicator(
                minBytes: try p.int("min_bytes", default: 100, min: 8)!, minWords: try p.int("min_words", default: 1, min: 0)!)
        })

    static func textFile(_ shard: Int) -> String { "text-\(shard).bin" }
    static func lengthFile(_ shard: Int) -> String { "lengths-\(shard).u64" }
    static func decisionFile(_ shard: Int) -> String { "cuts-\(shard).tsv" }

    final class Observer: CorpusObserver {
        let context: CorpusContext
        var bytes: [UInt8] = []
        var lengths: [UInt64] = []
        init(context: CorpusContext) { self.context = context }

        func observe(_ document: Document, index: Int) throws {
            var t = document.text
            t.withUTF8 { bytes.append(contentsOf: $0) }
            lengths.append(UInt64(t.utf8.count))
        }

        func finish() throws {
            try FileSystem.writeAll(context.path(SubstringDeduplicator.textFile(context.shard)), bytes)
            try writeWords(context.path(SubstringDeduplicator.lengthFile(context.shard)), lengths)
        }
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        Observer(context: context)
    }

    /// The separator after document `d`: 0xFF then the number in base 7 as bytes 0xF8…0xFE
    /// (bytes no UTF-8 text contains), so no two separators are equal.
    static func separator(_ d: Int) -> [UInt8] {
        var out: [UInt8] = [0xFF]
        var v = d
        repeat {
            out.append(0xF8 + UInt8(v % 7))
            v /= 7
        } while v > 0
        return out
    }

    /// Builds the suffix array over the whole corpus and writes each shard's cuts.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        var symbols: [Int32] = []
        var docStarts: [(shard: Int, index: Int, start: Int, length: Int)] = []
        var d = 0
        for shard in 0..<context.shardCount {
            let bytes = try FileSystem.readAll(context.path(Self.textFile(shard)))
            let lengths = try readWords(context.path(Self.lengthFile(shard)))
            var offset = 0
            for (i, len) in lengths.enumerated() {
                docStarts.append((shard, i, symbols.count, Int(len)))
                for b in bytes[offset..<(offset + Int(len))] { symbols.append(Int32(b)) }
                for b in Self.separator(d) { symbols.append(Int32(b)) }
                offset += Int(len)
                d += 1
            }
        }
        let sa = SuffixArray.build(symbols, alphabet: 256)
        let lcp = SuffixArray.lcp(symbols, sa)
        let lpf = SuffixArray.longestPreviousFactor(sa: sa, lcp: lcp)
        var out = [String](repeating: "", count: context.shardCount)
        for doc in docStarts {
            var cuts: [(Int, Int)] = []
            var covered = doc.start
            var runStart = -1
            let end = doc.start + doc.length
            for p in doc.start..<end {
                if Int(lpf[p]) >= minBytes { covered = max(covered, min(end, p + Int(lpf[p]))) }
                let marked = p < covered
                if marked && runStart < 0 { runStart = p }
                if !marked && runStart >= 0 {
                    cuts.append((runStart, p))
                    runStart = -1
                }
            }
            if runStart >= 0 { cuts.append((runStart, end)) }
            if cuts.isEmpty { continue }
            // Never split a character: move each edge to a character boundary inside the cut.
            func isContinuation(_ p: Int) -> Bool { p < end && symbols[p] & 0xC0 == 0x80 }
            let fixed = cuts.compactMap { (a, b) -> (Int, Int)? in
                var s = a
                var e = b
                while s < e && isContinuation(s) { s += 1 }
                while e > s && isContinuation(e) { e -= 1 }
                return s < e ? (s - doc.start, e - doc.start) : nil
            }
            if fixed.isEmpty { continue }
            out[doc.shard] += "\(doc.index)\t" + fixed.map { "\($0.0)-\($0.1)" }.joined(separator: ",") + "\n"
        }
        for shard in 0..<context.shardCount {
            try FileSystem.writeAll(context.path(Self.decisionFile(shard)), Array(out[shard].utf8))
        }
    }

    final class Decider: CorpusDecider {
        let cuts: [Int: [(Int, Int)]]
        let minWords: Int
        init(cuts: [Int: [(Int, Int)]], minWords: Int) {
            self.cuts = cuts
            self.minWords = minWords
        }

        func quickVerdict(index: Int) -> Verdict? { cuts[index] == nil ? .keep : nil }

        func decide(_ document: inout Document, index: Int) throws -> Verdict {
            guard let ranges = cuts[index] else { return .keep }
            let bytes = Array(document.text.utf8)
            var kept: [UInt8] = []
            kept.reserveCapacity(bytes.count)
            var p = 0
            var removed = 0
            for (a, b) in ranges where a >= p && b <= bytes.count {
                kept += bytes[p..<a]
                removed += b - a
                p = b
            }
            kept += bytes[p...]
            document.text = String(decoding: kept, as: UTF8.self)
            document.metadata["substring_bytes_removed"] = .int(Int64(removed))
            let words = document.text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).count
            return words < minWords ? .drop(reason: "substring_dedup_too_short") : .keep
        }
    }

    /// Creates the per-shard decider.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        let text = String(decoding: try FileSystem.readAll(context.path(Self.decisionFile(context.shard))), as: UTF8.self)
        var map: [Int: [(Int, Int)]] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t")
            guard f.count == 2, let d = Int(f[0]) else { continue }
            map[d] = f[1].split(separator: ",").compactMap { r in
                let ab = r.split(separator: "-")
                guard ab.count == 2, let a = Int(ab[0]), let b = Int(ab[1]) else { return nil }
                return (a, b)
            }
        }
        return Decider(cuts: map, minWords: minWords)
    }
}

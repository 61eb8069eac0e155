import WinnowCore
import WinnowIO

/// A tokenizer as the token mode of ``SubstringDeduplicator`` needs it: text to ids. The
/// pipeline layer makes it from a tokenizer name (WinnowDedup does not depend on the tokenizers).
public struct SubstringTokenEncoder: Sendable {
    /// The tokenizer's name (for messages).
    public var name: String
    /// Appends the ids of a text.
    public var encode: @Sendable (Substring, inout [Int32]) -> Void

    /// Creates the encoder.
    public init(name: String, encode: @escaping @Sendable (Substring, inout [Int32]) -> Void) {
        self.name = name
        self.encode = encode
    }
}

/// Exact-substring dedup (Lee et al. 2022): every span of at least `min_bytes` bytes (or, in
/// token mode, `min_tokens` tokens) that already occurred earlier in the corpus (input order)
/// is cut out of the later document.
///
/// Observe streams each shard's texts (token mode: their token ids) to the work folder. Resolve
/// joins every document into one sequence file, each followed by a separator that no document
/// contains (bytes: 0xFF and the document number in base 7 as bytes 0xF8…0xFE; tokens: one
/// symbol per document above every id), maps it, and marks every position whose window of
/// `min_bytes` symbols occurred at an earlier position (``RepeatFinder``: equal windows are
/// neighbours in suffix order). The union of the marked windows is what is cut — the same spans
/// as the positions whose longest previous factor is at least `min_bytes`. Decide cuts the spans
/// (bytes: never splitting a character; tokens: whole whitespace-led pieces whose every token is
/// covered, each piece tokenized on its own).
///
/// Memory of the resolve step, for N = input bytes + separators (2–9 bytes per document):
/// - bytes, whole build (5.2·N + 8·names + 64 KiB ≤ the step's `memory:` budget): the mapped
///   sequence (N) + the 32-bit suffix array (4N) + SA-IS's type bits (N/8, freed before the
///   marks) + the marks (N/8) + SA-IS's recursion (≤ N/16): about **5.2 bytes per input byte**
///   by this count (docs/benchmarks.md, `bench/substring_memory.py`: 6.07 on 1 GB before the
///   recursion's buckets moved into the suffix array, ≈ 5.3 on 100 MB after);
/// - past the budget: suffix arrays per block and a merge (see ``RepeatFinder``): the mapped
///   sequence (page cache) + the marks (N/8) + one block's 4.25 bytes per position, within the
///   budget (unless the budget is below N/8 + one 4,096-position block, or more than 256 blocks
///   would be needed); the same cuts, byte for byte.
/// - tokens: the same with 4 bytes per symbol (T tokens + one separator per document), about
///   8.2 bytes per token whole, i.e. about 2 bytes per input byte at 4 bytes per token.
/// Observe holds one document at a time; decide holds one shard's cut list.
public struct SubstringDeduplicator: CorpusStage, RegisteredStage {
    /// The stage name.
    public var name: String { "substring_dedup" }
    /// The shortest repeated span removed, in bytes (byte mode).
    public var minBytes: Int
    /// Documents left with fewer words are dropped.
    public var minWords: Int
    /// Token mode: the tokenizer; nil: byte mode.
    public var tokenizer: SubstringTokenEncoder?
    /// The shortest repeated span removed, in tokens (token mode).
    public var minTokens: Int

    /// Creates the stage (byte mode unless a tokenizer is given).
    public init(minBytes: Int = 100, minWords: Int = 1, tokenizer: SubstringTokenEncoder? = nil, minTokens: Int = 50) {
        self.minBytes = minBytes
        self.minWords = minWords
        self.tokenizer = tokenizer
        self.minTokens = minTokens
    }

    /// The registry entry without token mode (it needs ``makeDescriptor(tokenizers:)``).
    public static let descriptor = makeDescriptor(tokenizers: nil)

    /// The registry entry; `tokenizers` makes a token mode encoder from a tokenizer name.
    public static func makeDescriptor(tokenizers: (@Sendable (String) throws -> SubstringTokenEncoder)?) -> StageDescriptor {
        StageDescriptor(
            name: "substring_dedup", kind: .corpus,
            summary: "Exact-substring dedup (Lee et al. 2022) on bytes or tokens: cuts every span of at least min_bytes bytes (mode tokens: min_tokens token ids) that occurred earlier in the corpus (input order), found with a 32-bit suffix array; documents left with fewer than min_words words are dropped. Resolve needs about 5.2 bytes of memory per input byte (bytes) or 8.2 per token; past the memory budget it builds suffix arrays per block and merges them, with the same cuts.",
            parameters: [
                ParameterSpec("min_bytes", "int", default: "100", "shortest repeated span removed, in bytes (mode bytes)"),
                ParameterSpec("min_words", "int", default: "1", "drop documents left with fewer words"),
                ParameterSpec("mode", "string", default: "bytes", "bytes, or tokens: match spans of token ids and cut whole whitespace-led pieces"),
                ParameterSpec("tokenizer", "string", default: "gpt2", "mode tokens: gpt2, tiktoken:<path>, hf:<tokenizer.json>, wordpiece[:<folder>]"),
                ParameterSpec("min_tokens", "int", default: "50", "shortest repeated span removed, in tokens (mode tokens)"),
            ],
            dropReasons: ["substring_dedup_too_short"],
            make: { p in
                var stage = SubstringDeduplicator(
                    minBytes: try p.int("min_bytes", default: 100, min: 8) ?? 100, minWords: try p.int("min_words", default: 1, min: 0) ?? 1,
                    minTokens: try p.int("min_tokens", default: 50, min: 2) ?? 50)
                if try p.string("mode", default: "bytes", choices: ["bytes", "tokens"]) == "tokens" {
                    let spec = try p.string("tokenizer", default: "gpt2") ?? "gpt2"
                    guard let tokenizers else {
                        throw ConfigError("stage 'substring_dedup': mode tokens needs the tokenizers (the standard stage registry)", at: p.location(of: "mode"))
                    }
                    do {
                        stage.tokenizer = try tokenizers(spec)
                    } catch {
                        throw ConfigError("stage 'substring_dedup': \(error)", at: p.location(of: "tokenizer") ?? p.location)
                    }
                }
                return stage
            })
    }

    static func textFile(_ shard: Int) -> String { "text-\(shard).bin" }
    static func lengthFile(_ shard: Int) -> String { "lengths-\(shard).u64" }
    static func tokenFile(_ shard: Int) -> String { "tokens-\(shard).u32" }
    static func pieceFile(_ shard: Int) -> String { "pieces-\(shard).u32" }
    static func decisionFile(_ shard: Int) -> String { "cuts-\(shard).tsv" }
    static let sequenceFile = "sequence.bin"

    // MARK: - Observe

    final class Observer: CorpusObserver {
        let context: CorpusContext
        let tokenizer: SubstringTokenEncoder?
        let text: AtomicFileWriter
        let pieces: AtomicFileWriter?
        /// Per document: its length in bytes (byte mode) or its number of pieces (token mode).
        var lengths: [UInt64] = []
        var ids: [Int32] = []
        var words: [UInt32] = []
        var pieceWords: [UInt32] = []

        init(context: CorpusContext, tokenizer: SubstringTokenEncoder?) throws {
            self.context = context
            self.tokenizer = tokenizer
            if tokenizer == nil {
                text = try AtomicFileWriter(path: context.path(SubstringDeduplicator.textFile(context.shard)))
                pieces = nil
            } else {
                text = try AtomicFileWriter(path: context.path(SubstringDeduplicator.tokenFile(context.shard)))
                pieces = try AtomicFileWriter(path: context.path(SubstringDeduplicator.pieceFile(context.shard)))
            }
        }

        func observe(_ document: Document, index: Int) throws {
            var t = document.text
            guard let tokenizer, let pieces else {
                try t.withUTF8 { try text.write(UnsafeRawBufferPointer($0)) }
                lengths.append(UInt64(t.utf8.count))
                return
            }
            // Pieces: each run of ASCII whitespace starts one (with the word after it), so every
            // piece boundary is a character boundary; each piece is tokenized on its own.
            words.removeAll(keepingCapacity: true)
            pieceWords.removeAll(keepingCapacity: true)
            var count: UInt64 = 0
            let utf8 = t.utf8
            var start = utf8.startIndex
            var previousSpace = true
            var length = 0
            func emit(_ end: String.Index) {
                ids.removeAll(keepingCapacity: true)
                tokenizer.encode(t[start..<end], &ids)
                for id in ids { words.append(UInt32(bitPattern: id)) }
                pieceWords.append(UInt32(length))
                pieceWords.append(UInt32(ids.count))
                count += 1
            }
            var i = utf8.startIndex
            while i != utf8.endIndex {
                let b = utf8[i]
                let space = b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D
                if space && !previousSpace && length > 0 {
                    emit(i)
                    start = i
                    length = 0
                }
                previousSpace = space
                length += 1
                i = utf8.index(after: i)
            }
            if length > 0 { emit(utf8.endIndex) }
            try words.withUnsafeBytes { try text.write($0) }
            try pieceWords.withUnsafeBytes { try pieces.write($0) }
            lengths.append(count)
        }

        func finish() throws {
            try text.commit()
            try pieces?.commit()
            try writeWords(context.path(SubstringDeduplicator.lengthFile(context.shard)), lengths)
        }
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        try Observer(context: context, tokenizer: tokenizer)
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

    // MARK: - Resolve

    /// Builds the sequence, marks the repeated windows and writes each shard's cuts.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        let sequencePath = context.path(Self.sequenceFile)
        defer { try? FileSystem.remove(sequencePath) }
        if tokenizer == nil {
            try resolveBytes(context: context, sequencePath: sequencePath)
        } else {
            try resolveTokens(context: context, sequencePath: sequencePath)
        }
    }

    /// Copies `count` bytes from `source` to `sink` through `buffer`.
    static func copy(_ count: Int, from source: FileSource, to sink: AtomicFileWriter, buffer: inout [UInt8], path: String) throws {
        var left = count
        while left > 0 {
            let want = min(left, buffer.count)
            let n = try buffer.withUnsafeMutableBytes { raw in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]))
            }
            if n == 0 { throw FileError(path: path, "ends \(left) bytes early") }
            try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            left -= n
        }
    }

    func resolveBytes(context: CorpusContext, sequencePath: String) throws {
        let sink = try AtomicFileWriter(path: sequencePath)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var d = 0
        for shard in 0..<context.shardCount {
            let path = context.path(Self.textFile(shard))
            let source = try FileSource(path: path)
            for len in try readWords(context.path(Self.lengthFile(shard))) {
                try Self.copy(Int(len), from: source, to: sink, buffer: &buffer, path: path)
                try Self.separator(d).withUnsafeBytes { try sink.write($0) }
                d += 1
            }
        }
        try sink.commit()
        buffer = []
        let map = try MappedFile(path: sequencePath)
        let t = map.buffer(of: UInt8.self)
        let marks = try RepeatFinder.marks(t, alphabet: 256, length: minBytes, budget: context.memoryBudget, workDirectory: context.workDirectory)

        var start = 0
        var document = 0
        for shard in 0..<context.shardCount {
            let out = try AtomicFileWriter(path: context.path(Self.decisionFile(shard)))
            for (index, len) in try readWords(context.path(Self.lengthFile(shard))).enumerated() {
                let end = start + Int(len)
                defer {
                    start = end + Self.separator(document).count
                    document += 1
                }
                var cuts: [(Int, Int)] = []
                var covered = start
                var runStart = -1
                for p in start..<end {
                    if marks[p] { covered = max(covered, p + minBytes) }
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
                func isContinuation(_ p: Int) -> Bool { p < end && t[p] & 0xC0 == 0x80 }
                let fixed = cuts.compactMap { (a, b) -> (Int, Int)? in
                    var s = a
                    var e = b
                    while s < e && isContinuation(s) { s += 1 }
                    while e > s && isContinuation(e) { e -= 1 }
                    return s < e ? (s - start, e - start) : nil
                }
                if fixed.isEmpty { continue }
                try Self.writeCuts(index, fixed, to: out)
            }
            try out.commit()
        }
    }

    /// One line of a cut file: `index<TAB>a-b,c-d` (byte offsets in the document).
    static func writeCuts(_ index: Int, _ cuts: [(Int, Int)], to out: AtomicFileWriter) throws {
        let line = "\(index)\t" + cuts.map { "\($0.0)-\($0.1)" }.joined(separator: ",") + "\n"
        var s = line
        try s.withUTF8 { try out.write(UnsafeRawBufferPointer($0)) }
    }

    func resolveTokens(context: CorpusContext, sequencePath: String) throws {
        // The separators are the symbols above the largest id.
        var maxID: UInt32 = 0
        var documents = 0
        for shard in 0..<context.shardCount {
            documents += try readWords(context.path(Self.lengthFile(shard))).count
            let s = try U32Stream(path: context.path(Self.tokenFile(shard)), bufferWords: 1 << 16)
            while let v = try s.next() { maxID = max(maxID, v) }
        }
        let separatorBase = Int(maxID) + 1
        guard separatorBase + documents < Int(Int32.max) else {
            throw FileError(path: context.workDirectory, "token mode: ids up to \(maxID) and \(documents) documents exceed 2^31 symbols")
        }
        let sink = try AtomicFileWriter(path: sequencePath)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var d = 0
        for shard in 0..<context.shardCount {
            let path = context.path(Self.tokenFile(shard))
            let source = try FileSource(path: path)
            let pieces = try U32Stream(path: context.path(Self.pieceFile(shard)), bufferWords: 1 << 16)
            for count in try readWords(context.path(Self.lengthFile(shard))) {
                var tokens = 0
                for _ in 0..<count {
                    _ = try pieces.next()
                    tokens += Int(try pieces.next() ?? 0)
                }
                try Self.copy(4 * tokens, from: source, to: sink, buffer: &buffer, path: path)
                var sep = UInt32(separatorBase + d)
                try withUnsafeBytes(of: &sep) { try sink.write($0) }
                d += 1
            }
        }
        try sink.commit()
        buffer = []
        let map = try MappedFile(path: sequencePath)
        let t = map.buffer(of: UInt32.self)
        let marks = try RepeatFinder.marks(
            t, alphabet: separatorBase + documents, length: minTokens, budget: context.memoryBudget, workDirectory: context.workDirectory)

        var position = 0
        for shard in 0..<context.shardCount {
            let out = try AtomicFileWriter(path: context.path(Self.decisionFile(shard)))
            let pieces = try U32Stream(path: context.path(Self.pieceFile(shard)), bufferWords: 1 << 16)
            for (index, count) in try readWords(context.path(Self.lengthFile(shard))).enumerated() {
                var cuts: [(Int, Int)] = []
                var byte = 0
                var covered = position
                for _ in 0..<count {
                    let bytes = Int(try pieces.next() ?? 0)
                    let tokens = Int(try pieces.next() ?? 0)
                    var whole = tokens > 0
                    for p in position..<(position + tokens) {
                        if marks[p] { covered = max(covered, p + minTokens) }
                        if p >= covered { whole = false }
                    }
                    if whole {
                        if let last = cuts.last, last.1 == byte {
                            cuts[cuts.count - 1].1 = byte + bytes
                        } else {
                            cuts.append((byte, byte + bytes))
                        }
                    }
                    position += tokens
                    byte += bytes
                }
                position += 1  // the separator
                if !cuts.isEmpty { try Self.writeCuts(index, cuts, to: out) }
            }
            try out.commit()
        }
    }

    // MARK: - Decide

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

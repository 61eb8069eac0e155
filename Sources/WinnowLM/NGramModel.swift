#if canImport(Glibc)
import Glibc
#endif
import WinnowCore
import WinnowIO
import WinnowText

/// A backoff n-gram language model (ARPA semantics, as KenLM queries it): log10 probabilities of
/// words, sentences and documents, and perplexity.
///
/// Load one with ``load(path:)`` (ARPA, plain or gzip, or the Winnow binary format, told apart
/// by the magic bytes) or train one with ``KneserNeyTrainer``. Immutable and safe to share
/// between threads.
public final class NGramModel: @unchecked Sendable {
    let storage: ModelStorage
    let layout: ModelLayout
    private let base: UnsafeRawPointer
    private let vocab: UnsafePointer<VocabEntry>
    private let vocabMask: Int
    private let unigramProb: UnsafePointer<Float>
    private let unigramBackoff: UnsafePointer<Float>
    /// Index n−2: the order-n table and its slot mask.
    private let tables: [(entries: UnsafePointer<NGramEntry>, mask: Int)]

    /// The id of `<unk>`.
    public static let unknownID: UInt32 = 0
    /// The id of `<s>`.
    public static let bosID: UInt32 = 1
    /// The id of `</s>`.
    public static let eosID: UInt32 = 2

    init(storage: ModelStorage, layout: ModelLayout) {
        self.storage = storage
        self.layout = layout
        let base = storage.base
        self.base = base
        vocab = (base + layout.vocabTableAt).assumingMemoryBound(to: VocabEntry.self)
        vocabMask = layout.vocabSlots - 1
        unigramProb = (base + layout.unigramProbAt).assumingMemoryBound(to: Float.self)
        unigramBackoff = (base + layout.unigramBackoffAt).assumingMemoryBound(to: Float.self)
        tables = stride(from: 2, through: layout.order, by: 1).map {
            ((base + layout.tableAt($0)).assumingMemoryBound(to: NGramEntry.self), layout.slots[$0 - 2] - 1)
        }
    }

    convenience init(contents: ModelContents) {
        let storage = contents.buildStorage()
        // The layout was just written by buildStorage; reading it back cannot fail.
        let layout = try! ModelLayout.read(storage.base, size: storage.size, path: "<memory>")
        self.init(storage: storage, layout: layout)
    }

    // MARK: - Loading and saving

    /// Loads a model: the Winnow binary format (memory-mapped) or ARPA (plain, gzip or zstd).
    /// - Parameter path: the model file.
    /// - Throws: ``FileError`` for an unreadable or invalid binary file, ``InputError`` naming
    ///   file:line for malformed ARPA.
    public static func load(path: String) throws -> NGramModel {
        let head = try FileSource.peek(path: path, count: 8)
        if head == ModelLayout.magic {
            let storage = try ModelStorage.map(path: path)
            let layout = try ModelLayout.read(storage.base, size: storage.size, path: path)
            return NGramModel(storage: storage, layout: layout)
        }
        return NGramModel(contents: try ARPAReader.read(path: path))
    }

    /// Writes the model in the Winnow binary format (see ``ModelLayout``), atomically.
    /// - Throws: ``FileError`` when the file cannot be written.
    public func writeBinary(to path: String) throws {
        let out = try AtomicFileWriter(path: path)
        try out.write(UnsafeRawBufferPointer(start: base, count: layout.totalSize))
        try out.commit()
    }

    // MARK: - Vocabulary

    /// The n-gram order.
    public var order: Int { layout.order }

    /// The number of words in the vocabulary, including `<unk>`, `<s>` and `</s>`.
    public var vocabularySize: Int { layout.vocabSize }

    /// The word with vocabulary id `id`.
    public func word(_ id: UInt32) -> String {
        let b = wordBytes(Int(id))
        return String(decoding: b, as: UTF8.self)
    }

    private func wordBytes(_ id: Int) -> UnsafeRawBufferPointer {
        let lo = Int(base.loadUnaligned(fromByteOffset: layout.wordOffsetsAt + 8 * id, as: UInt64.self))
        let hi = Int(base.loadUnaligned(fromByteOffset: layout.wordOffsetsAt + 8 * id + 8, as: UInt64.self))
        return UnsafeRawBufferPointer(start: base + layout.wordBytesAt + lo, count: hi - lo)
    }

    /// The vocabulary id of a word given as UTF-8 bytes; `<unk>`'s id (0) when absent.
    @inline(__always) func id(bytes: UnsafeRawBufferPointer) -> UInt32 {
        let key = NGramHash.word(bytes)
        var slot = Int(truncatingIfNeeded: key) & vocabMask
        while true {
            let e = vocab[slot]
            if e.key == 0 { return Self.unknownID }
            if e.key == key {
                let w = wordBytes(Int(e.id))
                if w.count == bytes.count && (w.count == 0 || memcmp(w.baseAddress!, bytes.baseAddress!, w.count) == 0) {
                    return e.id
                }
            }
            slot = (slot + 1) & vocabMask
        }
    }

    /// The vocabulary id of `word`; 0 (`<unk>`) when absent.
    public func id(of word: Substring) -> UInt32 {
        if let r = word.utf8.withContiguousStorageIfAvailable({ id(bytes: UnsafeRawBufferPointer($0)) }) { return r }
        var s = String(word)
        return s.withUTF8 { id(bytes: UnsafeRawBufferPointer($0)) }
    }

    @inline(__always) private func find(order n: Int, key: UInt64) -> NGramEntry? {
        let t = tables[n - 2]
        var slot = Int(truncatingIfNeeded: key) & t.mask
        while true {
            let e = t.entries[slot]
            if e.key == key { return e }
            if e.key == 0 { return nil }
            slot = (slot + 1) & t.mask
        }
    }

    // MARK: - Scoring

    /// The query state: the words before the next one, and the log10 backoffs of the n-grams
    /// ending at the previous word that the model holds (lengths 1…`length`, at most N−1).
    struct State {
        var history: [UInt32]    // history[0] = previous word
        var backoffs: [Float]    // backoffs[k−1]: n-gram of length k ending at the previous word
        var scratch: [Float]     // the next backoffs, filled while scoring
        var length = 0
    }

    func beginState(bos: Bool) -> State {
        let n = max(1, order)
        var s = State(history: [UInt32](repeating: 0, count: n), backoffs: [Float](repeating: 0, count: n),
                      scratch: [Float](repeating: 0, count: n))
        if bos && order > 1 {
            s.history[0] = Self.bosID
            s.backoffs[0] = unigramBackoff[Int(Self.bosID)]
            s.length = 1
        }
        return s
    }

    /// log10 p(word | state) with backoff; advances the state past `word`.
    @inline(__always) func score(_ word: UInt32, _ s: inout State) -> Float {
        var prob = unigramProb[Int(word)]
        s.scratch[0] = unigramBackoff[Int(word)]
        var h = NGramHash.start(word)
        // The longest n-gram ending at `word` that the model holds (every n-gram's context is
        // itself in the model, as in lmplz output, so it extends at most one past the state).
        var matched = 1
        while matched <= s.length {
            h = NGramHash.extend(h, s.history[matched - 1])
            guard let e = find(order: matched + 1, key: NGramHash.key(h)) else { break }
            prob = e.prob
            s.scratch[matched] = e.backoff
            matched += 1
        }
        // Back off through the contexts longer than the match.
        var k = matched
        while k <= s.length {
            prob += s.backoffs[k - 1]
            k += 1
        }
        // Advance: the n-grams ending at `word` of lengths 1…matched (at most N−1) are the next contexts.
        swap(&s.backoffs, &s.scratch)
        var i = s.history.count - 1
        while i > 0 {
            s.history[i] = s.history[i - 1]
            i -= 1
        }
        s.history[0] = word
        s.length = min(matched, order - 1)
        return prob
    }

    /// log10 p(w_i | history) for each word; with `bos` the history starts with `<s>`; with `eos`
    /// one extra final entry for `</s>` is appended. Words are matched byte for byte (normalise them
    /// first, e.g. with ``CCNetNormalizer``); unknown words score as `<unk>`.
    public func log10Probabilities(_ words: [Substring], bos: Bool, eos: Bool) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(words.count + 1)
        var state = beginState(bos: bos)
        for w in words { out.append(score(id(of: w), &state)) }
        if eos { out.append(score(Self.eosID, &state)) }
        return out
    }

    /// log10 p(w_i | history) for vocabulary ids (see ``id(of:)``).
    public func log10Probabilities(ids: [UInt32], bos: Bool, eos: Bool) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(ids.count + 1)
        var state = beginState(bos: bos)
        for w in ids { out.append(score(w < UInt32(layout.vocabSize) ? w : Self.unknownID, &state)) }
        if eos { out.append(score(Self.eosID, &state)) }
        return out
    }

    /// The log10 probability of a sentence of words, summed in Double (KenLM's `score`).
    public func sentenceLog10Probability(_ words: [Substring], bos: Bool = true, eos: Bool = true) -> Double {
        var state = beginState(bos: bos)
        var total = 0.0
        for w in words { total += Double(score(id(of: w), &state)) }
        if eos { total += Double(score(Self.eosID, &state)) }
        return total
    }

    /// A document's total log10 probability and token count, cc_net style: each line is
    /// normalised with ``CCNetNormalizer``, split on ASCII whitespace and scored as a sentence with
    /// `<s>`/`</s>`; the count is words + 1 per line (the `</s>`), empty lines included.
    public func score(document text: Substring) -> (log10Probability: Double, tokens: Int) {
        if let r = text.utf8.withContiguousStorageIfAvailable({ score(documentUTF8: $0) }) { return r }
        var s = String(text)
        return s.withUTF8 { score(documentUTF8: $0) }
    }

    /// ``score(document:)`` over UTF-8 bytes.
    public func score(documentUTF8 bytes: UnsafeBufferPointer<UInt8>) -> (log10Probability: Double, tokens: Int) {
        let normalizer = CCNetNormalizer()
        var total = 0.0
        var tokens = 0
        var state = beginState(bos: true)
        CCNetNormalizer.forEachLine(bytes) { line in
            let normalized = normalizer.normalizeUTF8(bytes: line)
            state = beginState(bos: true)
            normalized.withUnsafeBytes { raw in
                CCNetNormalizer.forEachWord(raw.bindMemory(to: UInt8.self)) { r in
                    total += Double(score(id(bytes: UnsafeRawBufferPointer(rebasing: raw[r])), &state))
                    tokens += 1
                }
            }
            total += Double(score(Self.eosID, &state))
            tokens += 1
        }
        return (total, tokens)
    }

    /// cc_net's document perplexity: 10^(−Σ log10 p / N) over ``score(document:)``.
    public func perplexity(ofDocument text: Substring) -> Double {
        let s = score(document: text)
        return Self.perplexity(log10Probability: s.log10Probability, tokens: s.tokens)
    }

    /// 10^(−log10Probability / tokens) (KenLM's and cc_net's perplexity).
    public static func perplexity(log10Probability: Double, tokens: Int) -> Double {
        tokens == 0 ? 1 : pow(10, -log10Probability / Double(tokens))
    }
}

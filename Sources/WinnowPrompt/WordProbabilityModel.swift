import Foundation
import WinnowLM
import WinnowText

/// Word probabilities for self-information (word pruning) and query likelihood (context
/// ranking). Words are lowercased terms (``BM25Index/terms(of:)`` without stop-word removal).
public protocol WordProbabilityModel: Sendable {
    /// What the model is, for logs and results (`wordfreq:<path>`, `ngram:<path>`).
    var name: String { get }
    /// Whether a word's probability depends on the words before it (an n-gram model); word
    /// pruning then re-scores after each pass.
    var isContextual: Bool { get }
    /// `log10 P(wordᵢ | words before it)` for each word, in order.
    func log10Probabilities(_ words: [Substring]) -> [Float]
}

/// A unigram model read from a `wordfreq` frequency list (`large_en.msgpack`, the cBpack
/// format of the PyPI package `wordfreq` 3.x, gunzipped): an array whose first element is a
/// header map and whose element `1 + i` lists the words of frequency `10^(−i/100)`.
/// `scripts/fetch-models.sh` puts it at `models/wordfreq-large-en.msgpack`.
public struct WordFrequencyModel: WordProbabilityModel {
    /// `wordfreq:<path>`.
    public let name: String
    /// Always false: a unigram model.
    public var isContextual: Bool { false }
    private let log10Frequency: [String: Float]
    /// The log10 probability of a word the list does not have (below its rarest bucket).
    public let unknownLog10Probability: Float

    /// The number of words listed.
    public var count: Int { log10Frequency.count }

    /// Loads a cBpack file.
    /// - Throws: ``PromptError`` naming the file and byte offset of what cannot be read.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw PromptError(path, "cannot read the word-frequency file") }
        var reader = MessagePackReader(bytes: [UInt8](data), path: path)
        let buckets = try reader.arrayHeader()
        guard buckets >= 2 else { throw PromptError(path, "byte 0: expected a header and frequency buckets") }
        try reader.skipValue()  // {"format": "cB", "version": 1}
        var table: [String: Float] = [:]
        table.reserveCapacity(600_000)
        var rarest: Float = 0
        for bucket in 0 ..< buckets - 1 {
            let words = try reader.arrayHeader()
            let value = -Float(bucket) / 100
            if words > 0 { rarest = value }
            for _ in 0 ..< words {
                let word = try reader.string()
                if table[word] == nil { table[word] = value }
            }
        }
        guard !table.isEmpty else { throw PromptError(path, "no words in the frequency list") }
        log10Frequency = table
        unknownLog10Probability = rarest - 1
        name = "wordfreq:" + path
    }

    /// The log10 frequency of each word (``unknownLog10Probability`` when unlisted).
    public func log10Probabilities(_ words: [Substring]) -> [Float] {
        words.map { log10Frequency[String($0)] ?? unknownLog10Probability }
    }
}

/// Just enough MessagePack to read wordfreq's lists: arrays, maps, strings, integers.
struct MessagePackReader {
    let bytes: [UInt8]
    let path: String
    var offset = 0

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    private mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw PromptError(path, "byte \(offset): truncated MessagePack") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func big(_ n: Int) throws -> Int {
        var v = 0
        for _ in 0 ..< n { v = v << 8 | Int(try byte()) }
        return v
    }

    mutating func arrayHeader() throws -> Int {
        let at = offset
        let t = try byte()
        switch t {
        case 0x90 ... 0x9F: return Int(t & 0x0F)
        case 0xDC: return try big(2)
        case 0xDD: return try big(4)
        default: throw PromptError(path, "byte \(at): expected a MessagePack array, found type 0x\(String(t, radix: 16))")
        }
    }

    mutating func string() throws -> String {
        let at = offset
        let t = try byte()
        let n: Int
        switch t {
        case 0xA0 ... 0xBF: n = Int(t & 0x1F)
        case 0xD9: n = try big(1)
        case 0xDA: n = try big(2)
        case 0xDB: n = try big(4)
        default: throw PromptError(path, "byte \(at): expected a MessagePack string, found type 0x\(String(t, radix: 16))")
        }
        guard offset + n <= bytes.count else { throw PromptError(path, "byte \(at): truncated MessagePack string") }
        defer { offset += n }
        return String(decoding: bytes[offset ..< offset + n], as: UTF8.self)
    }

    mutating func skipValue() throws {
        let at = offset
        let t = try byte()
        switch t {
        case 0x00 ... 0x7F, 0xE0 ... 0xFF, 0xC0, 0xC2, 0xC3: return
        case 0x80 ... 0x8F: for _ in 0 ..< 2 * Int(t & 0x0F) { try skipValue() }
        case 0x90 ... 0x9F: for _ in 0 ..< Int(t & 0x0F) { try skipValue() }
        case 0xA0 ... 0xBF: offset += Int(t & 0x1F)
        case 0xCC, 0xD0: offset += 1
        case 0xCD, 0xD1: offset += 2
        case 0xCE, 0xD2, 0xCA: offset += 4
        case 0xCF, 0xD3, 0xCB: offset += 8
        case 0xD9: offset += try big(1)
        case 0xDA: offset += try big(2)
        case 0xDB: offset += try big(4)
        case 0xDC: for _ in 0 ..< (try big(2)) { try skipValue() }
        case 0xDD: for _ in 0 ..< (try big(4)) { try skipValue() }
        case 0xDE: for _ in 0 ..< 2 * (try big(2)) { try skipValue() }
        case 0xDF: for _ in 0 ..< 2 * (try big(4)) { try skipValue() }
        default: throw PromptError(path, "byte \(at): unsupported MessagePack type 0x\(String(t, radix: 16))")
        }
        guard offset <= bytes.count else { throw PromptError(path, "byte \(at): truncated MessagePack") }
    }
}

/// A Kneser-Ney n-gram model (WinnowLM, ARPA or `.wlm`, e.g. from `winnow lm train`): each
/// word's probability given the words before it, after cc_net normalisation (the model's own).
public struct NGramWordModel: WordProbabilityModel {
    /// `ngram:<path>`.
    public let name: String
    /// True: probabilities depend on the preceding words.
    public var isContextual: Bool { true }
    private let model: NGramModel
    private let normalizer = CCNetNormalizer()

    /// Loads a model.
    /// - Throws: ``PromptError`` with the model loader's message.
    public init(path: String) throws {
        do { model = try NGramModel.load(path: path) } catch { throw PromptError(path, "\(error)") }
        name = "ngram:" + path
    }

    /// `log10 P(wordᵢ | the words before it)`, with no sentence start.
    public func log10Probabilities(_ words: [Substring]) -> [Float] {
        let normalized = words.map { w -> Substring in
            let n = normalizer.normalize(w)
            return n.isEmpty ? w : Substring(n)
        }
        return model.log10Probabilities(normalized, bos: false, eos: false)
    }
}

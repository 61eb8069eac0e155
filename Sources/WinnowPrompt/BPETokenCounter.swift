import Foundation
import Synchronization

/// Exact token counts of a byte-level BPE tokenizer (GPT-2, GPT-3.5/4's cl100k, Llama 3 …):
/// the text is cut into pre-tokens by the tokenizer's pattern, each pre-token's UTF-8 bytes are
/// merged pair by pair in rank order, and the pieces left are counted. Counts equal
/// `len(tiktoken.encode(text, disallowed_special=()))` / `len(tokenizer.encode(text).ids)`
/// without added special tokens (`<|endoftext|>` written in a text counts as ordinary text).
///
/// Pre-token counts are cached (shared by threads, bounded), so counting a long prompt costs
/// about one dictionary lookup per word.
public final class BPETokenCounter: TokenCounter, Sendable {
    /// `tiktoken:<path>` or `hf:<path>`.
    public let name: String
    private let merger: Merger
    private let splitter: PreTokenizer
    private let cache = Mutex<[Substring: Int]>([:])
    private static let cacheLimit = 200_000

    private enum Merger: Sendable {
        /// tiktoken: merge the adjacent pair whose concatenation has the lowest rank.
        case ranks([[UInt8]: Int])
        /// Hugging Face: merge the adjacent pair with the lowest merge rank.
        case merges(byteIDs: [Int32], pairs: [UInt64: MergeResult], vocabulary: [[UInt8]: Int32], ignoreMerges: Bool)
    }

    private struct MergeResult: Sendable {
        var rank: Int32
        var id: Int32
    }

    // MARK: - Loading

    /// Loads a tiktoken rank file: one `<base64 bytes> <rank>` per line (`gpt2.tiktoken`,
    /// `cl100k_base.tiktoken`). Pre-tokenisation is GPT-2's, or cl100k's when the file name
    /// contains `cl100k`.
    /// - Throws: ``PromptError`` naming the file and line of a malformed entry.
    public init(tiktokenFile path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw PromptError(path, "cannot read the tiktoken file") }
        var ranks: [[UInt8]: Int] = [:]
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 2, let bytes = Data(base64Encoded: Data(fields[0])),
                let rank = Int(String(decoding: fields[1], as: UTF8.self)), rank >= 0
            else { throw PromptError("\(path):\(lineNumber)", "expected `<base64 token> <rank>`") }
            ranks[[UInt8](bytes)] = rank
        }
        guard !ranks.isEmpty else { throw PromptError(path, "no ranks in the tiktoken file") }
        for b in 0 ... 255 where ranks[[UInt8(b)]] == nil {
            throw PromptError(path, "byte \(b) has no rank (not a byte-level BPE rank file)")
        }
        name = "tiktoken:" + path
        merger = .ranks(ranks)
        splitter = (path as NSString).lastPathComponent.contains("cl100k") ? try .regex(PreTokenizer.cl100kPattern) : .gpt2
    }

    /// Loads a Hugging Face `tokenizer.json` whose model is byte-level `BPE` and whose
    /// pre-tokenizer is `ByteLevel` (GPT-2 pattern) or a `Sequence` of a regex `Split` and a
    /// `ByteLevel` without regex.
    /// - Throws: ``PromptError`` naming the file and the unsupported or missing part.
    public init(huggingFaceTokenizerJSON path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw PromptError(path, "cannot read tokenizer.json") }
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw PromptError(path, "not a JSON object")
            }
            root = object
        } catch let e as PromptError {
            throw e
        } catch {
            throw PromptError(path, "invalid JSON: \(error.localizedDescription)")
        }
        guard let model = root["model"] as? [String: Any], (model["type"] as? String) == "BPE" else {
            throw PromptError(path, "model.type is not BPE")
        }
        guard let vocab = model["vocab"] as? [String: Any] else { throw PromptError(path, "model.vocab is missing") }
        let decode = BPETokenCounter.byteDecoder
        func bytes(_ token: String) throws -> [UInt8] {
            var out: [UInt8] = []
            for scalar in token.unicodeScalars {
                guard let b = decode[scalar] else { throw PromptError(path, "token \"\(token)\" is not byte-level (ByteLevel alphabet)") }
                out.append(b)
            }
            return out
        }
        var vocabulary: [[UInt8]: Int32] = [:]
        var idsByToken: [String: Int32] = [:]
        for (token, value) in vocab {
            guard let id = (value as? NSNumber)?.int32Value else { throw PromptError(path, "model.vocab[\"\(token)\"] is not an integer") }
            vocabulary[try bytes(token)] = id
            idsByToken[token] = id
        }
        var byteIDs = [Int32](repeating: -1, count: 256)
        for b in 0 ... 255 {
            guard let id = vocabulary[[UInt8(b)]] else { throw PromptError(path, "byte \(b) has no token in model.vocab") }
            byteIDs[b] = id
        }
        var pairs: [UInt64: MergeResult] = [:]
        for (rank, entry) in (model["merges"] as? [Any] ?? []).enumerated() {
            let parts: [String]
            if let s = entry as? String {
                parts = s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let a = entry as? [String] {
                parts = a
            } else {
                throw PromptError(path, "model.merges[\(rank)] is neither \"a b\" nor [a, b]")
            }
            guard parts.count == 2, let a = idsByToken[parts[0]], let b = idsByToken[parts[1]],
                let merged = idsByToken[parts[0] + parts[1]]
            else { throw PromptError(path, "model.merges[\(rank)]: \(parts) names a token outside model.vocab") }
            let key = UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
            if pairs[key] == nil { pairs[key] = MergeResult(rank: Int32(rank), id: merged) }
        }
        name = "hf:" + path
        merger = .merges(byteIDs: byteIDs, pairs: pairs, vocabulary: vocabulary, ignoreMerges: model["ignore_merges"] as? Bool ?? false)
        splitter = try PreTokenizer(huggingFace: root["pre_tokenizer"], path: path)
    }

    // MARK: - Counting

    /// The number of BPE tokens in `text`.
    public func count(_ text: Substring) -> Int {
        var total = 0
        splitter.forEachPiece(of: text) { piece in total += pieceCount(piece) }
        return total
    }

    private func pieceCount(_ piece: Substring) -> Int {
        if let known = cache.withLock({ $0[piece] }) { return known }
        let n = merge(Array(piece.utf8))
        cache.withLock { c in
            if c.count >= BPETokenCounter.cacheLimit { c.removeAll(keepingCapacity: true) }
            c[piece] = n
        }
        return n
    }

    /// The number of pieces `bytes` merges into.
    private func merge(_ bytes: [UInt8]) -> Int {
        if bytes.count <= 1 { return bytes.count }
        switch merger {
        case .ranks(let ranks):
            if ranks[bytes] != nil { return 1 }
            // Piece boundaries; merge the adjacent pair whose concatenation ranks lowest.
            var starts = Array(0 ..< bytes.count)
            while starts.count > 1 {
                var best = Int.max
                var at = -1
                for k in 0 ..< starts.count - 1 {
                    let end = k + 2 < starts.count ? starts[k + 2] : bytes.count
                    if let r = ranks[Array(bytes[starts[k] ..< end])], r < best {
                        best = r
                        at = k
                    }
                }
                if at < 0 { break }
                starts.remove(at: at + 1)
            }
            return starts.count
        case .merges(let byteIDs, let pairs, let vocabulary, let ignoreMerges):
            if ignoreMerges, vocabulary[bytes] != nil { return 1 }
            var ids = bytes.map { byteIDs[Int($0)] }
            while ids.count > 1 {
                var best = Int32.max
                var at = -1
                var merged: Int32 = 0
                for k in 0 ..< ids.count - 1 {
                    let key = UInt64(UInt32(bitPattern: ids[k])) << 32 | UInt64(UInt32(bitPattern: ids[k + 1]))
                    if let m = pairs[key], m.rank < best {
                        best = m.rank
                        at = k
                        merged = m.id
                    }
                }
                if at < 0 { break }
                ids[at] = merged
                ids.remove(at: at + 1)
            }
            return ids.count
        }
    }

    /// GPT-2's `bytes_to_unicode` inverted: the printable stand-in of each byte → the byte.
    static let byteDecoder: [Unicode.Scalar: UInt8] = {
        var printable = Array(33 ... 126) + Array(161 ... 172) + Array(174 ... 255)
        var table: [Unicode.Scalar: UInt8] = [:]
        for b in printable { table[Unicode.Scalar(UInt8(b))] = UInt8(b) }
        var extra: UInt32 = 256
        for b in 0 ... 255 where !printable.contains(b) {
            if let scalar = Unicode.Scalar(extra) { table[scalar] = UInt8(b) }
            printable.append(b)
            extra += 1
        }
        return table
    }()
}

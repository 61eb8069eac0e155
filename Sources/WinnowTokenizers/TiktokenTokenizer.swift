import WinnowIO

/// A tiktoken rank file (`gpt2.tiktoken`, `cl100k_base.tiktoken`): byte-level BPE whose token
/// ids are the ranks. Ids equal `tiktoken`'s `encode_ordinary` (`<|endoftext|>` written in a
/// text is ordinary text) and Hugging Face `tokenizers` with the same vocabulary.
public final class TiktokenTokenizer: Tokenizer {
    /// `tiktoken:<path>` (also for `gpt2`: the server reports it so).
    public let name: String
    let model: BPEModel
    let preTokenizer: PreTokenizer
    /// The ranks plus the end-of-text token.
    public let vocabularySize: Int
    /// `<|endoftext|>`: one past the last rank (GPT-2: 50256), or 100257 for cl100k_base.
    public let endOfTextID: Int32?
    private let tokens: [[UInt8]: Int32]

    /// Loads a tiktoken rank file: one `<base64 bytes> <rank>` per line. Pre-tokenisation is
    /// GPT-2's, or cl100k's when the file name contains `cl100k`.
    /// - Parameter name: the tokenizer's name (default `tiktoken:<path>`).
    /// - Throws: ``TokenizerError`` naming the file and line of a malformed entry.
    public init(file path: String, name: String? = nil) throws {
        let data: [UInt8]
        do { data = try FileSystem.readAll(path) } catch { throw TokenizerError(path, "cannot read the tiktoken file: \(error)") }
        var ranks: [[UInt8]: Int32] = [:]
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 2, let bytes = Base64.decode(fields[0]),
                let rank = Int32(String(decoding: fields[1], as: UTF8.self)), rank >= 0
            else { throw TokenizerError("\(path):\(lineNumber)", "expected `<base64 token> <rank>`") }
            ranks[bytes] = rank
        }
        guard !ranks.isEmpty else { throw TokenizerError(path, "no ranks in the tiktoken file") }
        var byteIDs = [Int32](repeating: 0, count: 256)
        for b in 0 ... 255 {
            guard let id = ranks[[UInt8(b)]] else { throw TokenizerError(path, "byte \(b) has no rank (not a byte-level BPE rank file)") }
            byteIDs[b] = id
        }
        // tiktoken merges two adjacent parts (each a token) when their concatenation has a rank,
        // lowest rank first: the same as a pair table holding every split of every token.
        var pairs: [UInt64: BPEModel.Merge] = [:]
        pairs.reserveCapacity(ranks.count * 4)
        for (bytes, rank) in ranks where bytes.count > 1 {
            for k in 1 ..< bytes.count {
                if let a = ranks[Array(bytes[..<k])], let b = ranks[Array(bytes[k...])] {
                    pairs[BPEModel.key(a, b)] = BPEModel.Merge(rank: rank, id: rank)
                }
            }
        }
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        let maxRank = ranks.values.max() ?? 0
        self.name = name ?? "tiktoken:" + path
        model = BPEModel(alphabet: .bytes(byteIDs: byteIDs), pairs: pairs, wholePieces: ranks)
        preTokenizer = fileName.contains("cl100k") ? try .regex(PreTokenizer.cl100kPattern) : .gpt2
        endOfTextID = fileName.contains("cl100k") ? 100_257 : maxRank + 1
        vocabularySize = Int(max(maxRank + 1, (endOfTextID ?? 0) + 1))
        tokens = ranks
    }

    /// Appends the ids of `text` to `ids`.
    public func encode(_ text: Substring, into ids: inout [Int32]) {
        preTokenizer.forEachPiece(of: text) { model.encode($0, into: &ids) }
    }

    /// The number of tokens in `text`.
    public func count(_ text: Substring) -> Int {
        var total = 0
        preTokenizer.forEachPiece(of: text) { total += model.count($0) }
        return total
    }

    /// The id of `text` as one token (`<|endoftext|>` included).
    public func tokenID(_ text: String) -> Int32? {
        text == "<|endoftext|>" ? endOfTextID : tokens[Array(text.utf8)]
    }

    /// The ids by the O(n²) rescan (tests' reference for the heap merge).
    func rescanEncode(_ text: Substring) -> [Int32] {
        var ids: [Int32] = []
        preTokenizer.forEachPiece(of: text) { ids += model.rescanEncode($0) }
        return ids
    }
}

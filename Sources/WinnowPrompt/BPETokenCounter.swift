import Foundation
import Synchronization

/// Exact token counts of a byte-level BPE tokenizer (GPT-2, GPT-3.5/4's cl100k, Llama 3 …):
/// the text is cut into pre-tokens by the tokenizer's pattern, each pre-token's UTF-8 bytes are
/// merged pair by pair in rank order, and the pieces left are counted. Counts equal
/// `len(tiktoken.encode(text, disallowed_special=()))` / `len(tokenizer.encode(text).ids)`
/// without added special tokens (`<|endoftext|>` written in a text counts as ordinary text).
///
/// Counts of pre-tokens up to 64 bytes are cached (shared by threads, bounded), so counting a
/// long prompt costs about one dictionary lookup per word; a pre-token of n bytes costs
/// O(n log n) to merge, however long (one 1 MB word included).
public final class BPETokenCounter: TokenCounter, Sendable {
    /// `tiktoken:<path>` or `hf:<path>`.
    public let name: String
    private let merger: Merger
    private let splitter: PreTokenizer
    /// The longest token's bytes (tiktoken files): longer spans are not looked up.
    private let maxTokenBytes: Int
    /// Counts of short pre-tokens. Keys are copies: a `Substring` key would keep the whole
    /// prompt it was cut from alive for as long as the entry lives.
    private let cache = Mutex<[String: Int]>([:])
    private static let cacheLimit = 200_000
    /// Longer pre-tokens are rare repeats; they are not cached.
    private static let cachedPieceBytes = 64

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
        maxTokenBytes = ranks.keys.reduce(1) { max($0, $1.count) }
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
        maxTokenBytes = Int.max
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
        guard piece.utf8.count <= BPETokenCounter.cachedPieceBytes else { return merge(Array(piece.utf8)) }
        let key = String(piece)
        if let known = cache.withLock({ $0[key] }) { return known }
        let n = merge(Array(key.utf8))
        cache.withLock { c in
            if c.count >= BPETokenCounter.cacheLimit { c.removeAll(keepingCapacity: true) }
            c[key] = n
        }
        return n
    }

    /// The number of pieces `bytes` merges into: the adjacent pair with the lowest rank merges
    /// first, the leftmost of equal ranks, as tiktoken and Hugging Face `tokenizers` do.
    ///
    /// The pieces are a linked list and the candidate pairs a binary heap ordered by (rank,
    /// position); a pair made stale by a merge is skipped when it surfaces. Each merge costs
    /// O(log n) and at most two new lookups, so a pre-token of n bytes costs O(n log n) (the
    /// former rescan of every pair after each merge cost O(n²): minutes for a 100 KB word).
    private func merge(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        if n <= 1 { return n }
        switch merger {
        case .ranks(let ranks):
            if n <= maxTokenBytes, ranks[bytes] != nil { return 1 }
            let longest = maxTokenBytes
            return bytes.withUnsafeBufferPointer { b in
                BPETokenCounter.mergeCount(n) { start, end, _, _ in
                    // No token is longer than the longest one in the file: skip the lookup.
                    guard end - start <= longest, let r = ranks[Array(b[start ..< end])] else { return nil }
                    return (r, 0)
                }
            }
        case .merges(let byteIDs, let pairs, let vocabulary, let ignoreMerges):
            if ignoreMerges, vocabulary[bytes] != nil { return 1 }
            return BPETokenCounter.mergeCount(n, firstIDs: bytes.map { byteIDs[Int($0)] }) { _, _, left, right in
                let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
                guard let m = pairs[key] else { return nil }
                return (Int(m.rank), m.id)
            }
        }
    }

    /// The count by the plain algorithm — after each merge, rescan every adjacent pair for the
    /// lowest rank — O(n²) per pre-token: the reference the heap merge is tested against.
    func rescanCount(_ text: Substring) -> Int {
        var total = 0
        splitter.forEachPiece(of: text) { piece in
            let bytes = Array(piece.utf8)
            var ids: [Int32] = []
            switch merger {
            case .ranks(let ranks):
                if ranks[bytes] != nil { total += 1; return }
            case .merges(let byteIDs, _, let vocabulary, let ignoreMerges):
                if ignoreMerges, vocabulary[bytes] != nil { total += 1; return }
                ids = bytes.map { byteIDs[Int($0)] }
            }
            var starts = Array(0 ... bytes.count)  // piece boundaries, the end included
            while starts.count > 2 {
                var best = (rank: Int.max, at: -1, id: Int32(0))
                for k in 0 ..< starts.count - 2 {
                    var found: (Int, Int32)?
                    switch merger {
                    case .ranks(let ranks):
                        found = ranks[Array(bytes[starts[k] ..< starts[k + 2]])].map { ($0, 0) }
                    case .merges(_, let pairs, _, _):
                        let key = UInt64(UInt32(bitPattern: ids[k])) << 32 | UInt64(UInt32(bitPattern: ids[k + 1]))
                        found = pairs[key].map { (Int($0.rank), $0.id) }
                    }
                    if case let (r, id)? = found, r < best.rank { best = (r, k, id) }
                }
                if best.at < 0 { break }
                if !ids.isEmpty {
                    ids[best.at] = best.id
                    ids.remove(at: best.at + 1)
                }
                starts.remove(at: best.at + 1)
            }
            total += starts.count - 1
        }
        return total
    }

    /// One candidate merge: the pieces `start ..< end` (two adjacent ones when it was pushed).
    private struct Candidate {
        var rank: Int
        var start: Int32
        var end: Int32
        var id: Int32

        func before(_ o: Candidate) -> Bool { rank != o.rank ? rank < o.rank : start < o.start }
    }

    /// Merges `n` single-byte pieces pair by pair, lowest (rank, position) first, and returns
    /// the pieces left. `lookup(start, end, leftID, rightID)` gives the rank of merging the
    /// pieces `start ..< mid` and `mid ..< end` and the merged piece's id, or nil when they do
    /// not merge. Adds the steps taken (lookups, heap pushes, pops and sift swaps) to ``WorkMeter/current``.
    static func mergeCount(
        _ n: Int, firstIDs: [Int32] = [], lookup: (Int, Int, Int32, Int32) -> (rank: Int, id: Int32)?
    ) -> Int {
        // next[i]: start of the piece after the one starting at i (n at the end); -1: i no longer starts a piece.
        var next = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0 ..< n { buffer[i] = Int32(i + 1) }
            count = n
        }
        var prev = [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0 ..< n { buffer[i] = Int32(i - 1) }
            count = n
        }
        var ids = firstIDs.isEmpty ? [Int32](repeating: 0, count: n) : firstIDs
        var heap: [Candidate] = []
        heap.reserveCapacity(n)
        var steps = 0

        func push(_ c: Candidate) {
            heap.append(c)
            var k = heap.count - 1
            while k > 0 {
                let parent = (k - 1) / 2
                guard heap[k].before(heap[parent]) else { break }
                heap.swapAt(k, parent)
                k = parent
                steps += 1
            }
            steps += 1
        }
        func pop() -> Candidate {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var k = 0
                while true {
                    let l = 2 * k + 1
                    if l >= heap.count { break }
                    let r = l + 1
                    let child = r < heap.count && heap[r].before(heap[l]) ? r : l
                    guard heap[child].before(heap[k]) else { break }
                    heap.swapAt(k, child)
                    k = child
                    steps += 1
                }
            }
            steps += 1
            return top
        }
        /// Pushes the pair of the piece at `start` and the next one, if they merge.
        func consider(_ start: Int) {
            let mid = Int(next[start])
            guard mid < n else { return }
            let end = Int(next[mid])
            steps += 1
            if case let (rank, id)? = lookup(start, end, ids[start], ids[mid]) {
                push(Candidate(rank: rank, start: Int32(start), end: Int32(end), id: id))
            }
        }

        for i in 0 ..< n - 1 { consider(i) }
        var pieces = n
        while !heap.isEmpty {
            let c = pop()
            let start = Int(c.start)
            // Stale: `start` was merged into its left neighbour, or either piece has grown since.
            guard next[start] >= 0 else { continue }
            let mid = Int(next[start])
            guard mid < n, Int(next[mid]) == Int(c.end) else { continue }
            next[start] = c.end
            if Int(c.end) < n { prev[Int(c.end)] = Int32(start) }
            next[mid] = -1
            ids[start] = c.id
            pieces -= 1
            if prev[start] >= 0 { consider(Int(prev[start])) }
            consider(start)
        }
        WorkMeter.add(steps)
        return pieces
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

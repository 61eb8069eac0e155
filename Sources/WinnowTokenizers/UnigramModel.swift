import WinnowCore

/// SentencePiece's Unigram model as `tokenizers` runs it: the segmentation of a pre-token with
/// the highest total log-probability (Viterbi over characters), a character no piece covers
/// being the unknown token (score: the lowest score − 10), consecutive unknowns fused, and
/// with `byte_fallback` an unknown run written as its UTF-8 bytes' `<0xXX>` tokens.
final class UnigramModel: Sendable {
    /// Pieces by their UTF-8 bytes: id and score.
    private let pieces: [[UInt8]: (id: Int32, score: Double)]
    /// Ids by piece text.
    let ids: [String: Int32]
    private let maxPieceBytes: Int
    private let unknownID: Int32
    private let unknownScore: Double
    private let byteFallback: [Int32]?

    /// Reads `model` of a `tokenizer.json` whose type is `Unigram`.
    init(_ model: [String: MetadataValue], path: String) throws {
        guard let vocab = model["vocab"]?.array else { throw TokenizerError(path, "model.vocab is missing") }
        var pieces: [[UInt8]: (id: Int32, score: Double)] = [:]
        var ids: [String: Int32] = [:]
        var minScore = Double.infinity
        for (k, entry) in vocab.enumerated() {
            guard let pair = entry.array, pair.count == 2, let text = pair[0].stringValue, let score = pair[1].doubleValue else {
                throw TokenizerError(path, "model.vocab[\(k)] is not [piece, score]")
            }
            if pieces[Array(text.utf8)] == nil { pieces[Array(text.utf8)] = (Int32(k), score) }
            if ids[text] == nil { ids[text] = Int32(k) }
            minScore = min(minScore, score)
        }
        guard let unk = model["unk_id"]?.intValue, unk >= 0, unk < vocab.count else { throw TokenizerError(path, "model.unk_id is missing or outside model.vocab") }
        self.pieces = pieces
        self.ids = ids
        maxPieceBytes = pieces.keys.reduce(0) { max($0, $1.count) }
        unknownID = Int32(unk)
        unknownScore = minScore - 10
        if model["byte_fallback"]?.boolValue == true {
            var table = [Int32](repeating: 0, count: 256)
            for b in 0 ... 255 {
                let name = HuggingFaceTokenizer.byteToken(UInt8(b))
                guard let id = ids[name] else { throw TokenizerError(path, "model.byte_fallback: \(name) is not in model.vocab") }
                table[b] = id
            }
            byteFallback = table
        } else {
            byteFallback = nil
        }
    }

    /// Appends the ids of one pre-token to `ids`.
    func encode(_ piece: Substring, into ids: inout [Int32]) {
        let bytes = Array(piece.utf8)
        let n = bytes.count
        if n == 0 { return }
        // best[i]: the best score of a segmentation of bytes[0 ..< i], the start of its last piece and that piece's id (-1: unknown).
        var score = [Double](repeating: -.infinity, count: n + 1)
        var from = [Int](repeating: -1, count: n + 1)
        var pieceID = [Int32](repeating: -1, count: n + 1)
        score[0] = 0
        var start = 0
        while start < n {
            let charLength = UnigramModel.utf8Length(bytes[start])
            guard score[start] > -.infinity else {
                start += charLength
                continue
            }
            var coveredChar = false
            var length = 1
            while length <= maxPieceBytes, start + length <= n {
                if let p = pieces[Array(bytes[start ..< start + length])] {
                    let candidate = score[start] + p.score
                    let end = start + length
                    if from[end] < 0 || candidate > score[end] {
                        score[end] = candidate
                        from[end] = start
                        pieceID[end] = p.id
                    }
                    if length == charLength { coveredChar = true }
                }
                length += 1
            }
            if !coveredChar {
                let end = min(n, start + charLength)
                let candidate = score[start] + unknownScore
                if from[end] < 0 || candidate > score[end] {
                    score[end] = candidate
                    from[end] = start
                    pieceID[end] = -1
                }
            }
            start += charLength
        }
        // Walk back, then emit in order, fusing unknown runs.
        var path: [(start: Int, end: Int, id: Int32)] = []
        var end = n
        while end > 0 {
            let s = from[end]
            if s < 0 { break }
            path.append((s, end, pieceID[end]))
            end = s
        }
        path.reverse()
        var k = 0
        while k < path.count {
            if path[k].id >= 0 {
                ids.append(path[k].id)
                k += 1
                continue
            }
            let runStart = path[k].start
            while k < path.count, path[k].id < 0 { k += 1 }
            let runEnd = path[k - 1].end
            if let byteFallback {
                for b in bytes[runStart ..< runEnd] { ids.append(byteFallback[Int(b)]) }
            } else {
                ids.append(unknownID)
            }
        }
    }

    @inline(__always) static func utf8Length(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }
}

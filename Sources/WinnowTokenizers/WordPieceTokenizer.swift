/// BERT's WordPiece tokenizer (a `tokenizer.json` with a `WordPiece` model, or a model folder's
/// `vocab.txt` through WinnowEmbed), producing the same ids as Hugging Face `tokenizers`.
///
/// Steps, as `BertNormalizer`, `BertPreTokenizer` and the `WordPiece` model do them:
/// 1. special tokens (`[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`, `[UNK]`) written literally in the
///    text are matched first, case-sensitively, and kept whole;
/// 2. normalisation: drop NUL, U+FFFD and control/format/private-use/unassigned characters,
///    map whitespace to a space, surround CJK ideographs with spaces, strip accents (NFD, then
///    drop non-spacing marks) and lowercase, as configured;
/// 3. split on whitespace and around every punctuation character;
/// 4. greedy longest-match-first WordPiece with `##` continuations; a word longer than
///    100 characters, or one that cannot be covered, becomes `[UNK]`;
/// 5. truncate to `maxLength − 2` pieces and add `[CLS]` and `[SEP]`.
public struct WordPieceTokenizer: Sendable {
    /// Normalisation and WordPiece settings.
    public struct Options: Sendable, Equatable {
        /// Lowercase every character (full Unicode lowercase mapping, per character).
        public var lowercase = true
        /// Strip accents: canonical decomposition, then drop non-spacing marks.
        public var stripAccents = true
        /// Drop control characters and map whitespace to spaces.
        public var cleanText = true
        /// Put spaces around CJK ideographs so each becomes its own word.
        public var splitChineseCharacters = true
        /// Words longer than this many characters (Unicode scalars) become `[UNK]`.
        public var maxInputCharactersPerWord = 100
        /// The prefix of a piece that continues a word.
        public var continuingSubwordPrefix = "##"

        /// The default BERT-uncased settings.
        public init() {}
    }

    /// Token ids by piece.
    public let vocabulary: [String: Int32]
    /// The settings in force.
    public let options: Options
    /// The most ids per text, `[CLS]` and `[SEP]` included.
    public let maxLength: Int
    /// Id of `[CLS]`, put first.
    public let classifierID: Int32
    /// Id of `[SEP]`, put last.
    public let separatorID: Int32
    /// Id of `[PAD]`, used to pad batches.
    public let paddingID: Int32
    /// Id of `[UNK]`, for words the vocabulary cannot cover.
    public let unknownID: Int32
    /// Special tokens matched literally in the raw text, as scalar arrays with their ids.
    let specialTokens: [([Unicode.Scalar], Int32)]

    // MARK: - Creating a tokenizer

    /// Creates a tokenizer from a vocabulary and settings.
    /// - Parameters:
    ///   - vocabulary: token ids by piece; must contain `[CLS]`, `[SEP]`, `[PAD]` and `[UNK]`.
    ///   - options: normalisation and WordPiece settings.
    ///   - maxLength: the most ids per text, `[CLS]` and `[SEP]` included (at least 2).
    ///   - specialTokens: tokens matched literally in raw text (default: `[PAD] [UNK] [CLS] [SEP] [MASK]`
    ///     where the vocabulary has them).
    /// - Throws: ``TokenizerError`` when a required special token is missing.
    public init(vocabulary: [String: Int32], options: Options = Options(), maxLength: Int, specialTokens: [String]? = nil) throws(TokenizerError) {
        func id(_ token: String) throws(TokenizerError) -> Int32 {
            guard let id = vocabulary[token] else { throw TokenizerError("vocabulary", "no \(token) token") }
            return id
        }
        self.vocabulary = vocabulary
        self.options = options
        self.maxLength = max(2, maxLength)
        classifierID = try id("[CLS]")
        separatorID = try id("[SEP]")
        paddingID = try id("[PAD]")
        unknownID = try id("[UNK]")
        let specials = specialTokens ?? ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        self.specialTokens = specials.compactMap { token in
            vocabulary[token].map { (Array(token.unicodeScalars), $0) }
        }.filter { !$0.0.isEmpty }.sorted { $0.0.count > $1.0.count }
    }

    // MARK: - Encoding

    /// Token ids for `text`: `[CLS]`, at most `maxLength − 2` pieces, `[SEP]`.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [classifierID]
        ids.reserveCapacity(min(maxLength, text.utf8.count / 3 + 8))
        appendPieces(of: text, to: &ids, limit: maxLength - 1)
        if ids.count > maxLength - 1 { ids.removeLast(ids.count - (maxLength - 1)) }
        ids.append(separatorID)
        return ids
    }

    /// The pieces of `text` as strings, without `[CLS]`/`[SEP]` and without truncation.
    public func tokenize(_ text: String) -> [String] {
        var names: [Int32: String] = [:]
        for (piece, id) in vocabulary { names[id] = piece }
        var ids: [Int32] = []
        appendPieces(of: text, to: &ids, limit: Int.max)
        return ids.map { names[$0] ?? "[UNK]" }
    }

    /// Appends the piece ids of `text` to `ids`, stopping once `ids.count` reaches `limit`.
    func appendPieces(of text: String, to ids: inout [Int32], limit: Int) {
        let scalars = Array(text.unicodeScalars)
        var segmentStart = 0
        var i = 0
        while i < scalars.count, ids.count < limit {
            if let (length, id) = specialToken(at: i, in: scalars) {
                appendSegment(scalars[segmentStart ..< i], to: &ids, limit: limit)
                if ids.count < limit { ids.append(id) }
                i += length
                segmentStart = i
            } else {
                i += 1
            }
        }
        if ids.count < limit { appendSegment(scalars[segmentStart ..< scalars.count], to: &ids, limit: limit) }
    }

    private func specialToken(at index: Int, in scalars: [Unicode.Scalar]) -> (Int, Int32)? {
        for (token, id) in specialTokens where token[0] == scalars[index] && index + token.count <= scalars.count {
            if scalars[index ..< index + token.count].elementsEqual(token) { return (token.count, id) }
        }
        return nil
    }

    private func appendSegment(_ segment: ArraySlice<Unicode.Scalar>, to ids: inout [Int32], limit: Int) {
        guard !segment.isEmpty else { return }
        let normalized = normalize(segment)
        var wordStart = 0
        var i = 0
        func flush(_ end: Int) {
            if end > wordStart { appendWordPieces(normalized[wordStart ..< end], to: &ids) }
        }
        while i < normalized.count, ids.count < limit {
            let scalar = normalized[i]
            if WordPieceTokenizer.isWhitespace(scalar) {
                flush(i)
                wordStart = i + 1
            } else if WordPieceTokenizer.isPunctuation(scalar) {
                flush(i)
                appendWordPieces(normalized[i ... i], to: &ids)
                wordStart = i + 1
            }
            i += 1
        }
        if ids.count < limit { flush(normalized.count) }
    }

    /// Greedy longest-match-first WordPiece of one word.
    private func appendWordPieces(_ word: ArraySlice<Unicode.Scalar>, to ids: inout [Int32]) {
        guard word.count <= options.maxInputCharactersPerWord else {
            ids.append(unknownID)
            return
        }
        let firstPiece = ids.count
        var start = word.startIndex
        while start < word.endIndex {
            var end = word.endIndex
            var found: Int32?
            while start < end {
                var candidate = start > word.startIndex ? options.continuingSubwordPrefix : ""
                candidate.unicodeScalars.append(contentsOf: word[start ..< end])
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                ids.removeLast(ids.count - firstPiece)
                ids.append(unknownID)
                return
            }
            ids.append(found)
            start = end
        }
    }
}

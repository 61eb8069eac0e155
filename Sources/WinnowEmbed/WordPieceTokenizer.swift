import Foundation

/// BERT's WordPiece tokenizer, driven by a model folder's `tokenizer.json` (or `vocab.txt` and
/// `tokenizer_config.json`), producing the same ids as Hugging Face `tokenizers`.
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
    /// - Throws: ``EmbedError`` when a required special token is missing.
    public init(vocabulary: [String: Int32], options: Options = Options(), maxLength: Int, specialTokens: [String]? = nil) throws(EmbedError) {
        func id(_ token: String) throws(EmbedError) -> Int32 {
            guard let id = vocabulary[token] else { throw EmbedError(path: "vocabulary", message: "no \(token) token") }
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

    /// Loads the tokenizer of a sentence-transformers folder: `tokenizer.json` when present
    /// (vocabulary, normaliser, WordPiece settings, special tokens), else `vocab.txt` and
    /// `tokenizer_config.json`. The token limit comes from `sentence_bert_config.json`
    /// (`max_seq_length`), else 512.
    /// - Throws: ``EmbedError`` naming the file that is missing or unsupported.
    public init(folder: ModelFolder) throws(EmbedError) {
        var options = Options()
        var vocabulary: [String: Int32] = [:]
        var specials: [String]?
        if folder.contains("tokenizer.json") {
            let file = try folder.decode(TokenizerFile.self, from: "tokenizer.json")
            let path = folder.file("tokenizer.json")
            guard file.model.type == "WordPiece" else {
                throw EmbedError(path: path, message: "model type \(file.model.type) is not WordPiece")
            }
            if let normalizer = file.normalizer {
                guard normalizer.type == "BertNormalizer" else {
                    throw EmbedError(path: path, message: "normalizer \(normalizer.type) is not BertNormalizer")
                }
                options.lowercase = normalizer.lowercase ?? true
                options.stripAccents = normalizer.stripAccents ?? options.lowercase
                options.cleanText = normalizer.cleanText ?? true
                options.splitChineseCharacters = normalizer.handleChineseChars ?? true
            }
            if let type = file.preTokenizer?.type, type != "BertPreTokenizer" {
                throw EmbedError(path: path, message: "pre_tokenizer \(type) is not BertPreTokenizer")
            }
            options.maxInputCharactersPerWord = file.model.maxInputCharsPerWord ?? 100
            options.continuingSubwordPrefix = file.model.continuingSubwordPrefix ?? "##"
            vocabulary = file.model.vocab.mapValues { Int32(truncatingIfNeeded: $0) }
            specials = file.addedTokens?.filter { $0.special && !$0.normalized }.map(\.content)
        } else {
            let text = String(decoding: try folder.data("vocab.txt"), as: UTF8.self)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
            if lines.last?.isEmpty == true { lines.removeLast() }
            for (index, line) in lines.enumerated() where vocabulary[String(line)] == nil {
                vocabulary[String(line)] = Int32(index)
            }
            if folder.contains("tokenizer_config.json") {
                let config = try folder.decode(TokenizerConfigFile.self, from: "tokenizer_config.json")
                options.lowercase = config.doLowerCase ?? true
                options.stripAccents = config.stripAccents ?? options.lowercase
                options.splitChineseCharacters = config.tokenizeChineseChars ?? true
            }
        }
        var maxLength = 512
        if folder.contains("sentence_bert_config.json") {
            maxLength = try folder.decode(SentenceBertConfiguration.self, from: "sentence_bert_config.json").maxSequenceLength
        }
        do {
            try self.init(vocabulary: vocabulary, options: options, maxLength: maxLength, specialTokens: specials)
        } catch {
            throw EmbedError(path: folder.path, message: error.message)
        }
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

// MARK: - tokenizer.json and tokenizer_config.json

/// The parts of Hugging Face `tokenizer.json` a BERT WordPiece tokenizer needs.
struct TokenizerFile: Decodable {
    struct AddedToken: Decodable {
        var content: String
        var special: Bool
        var normalized: Bool
    }
    struct Normalizer: Decodable {
        var type: String
        var cleanText: Bool?
        var handleChineseChars: Bool?
        var stripAccents: Bool?
        var lowercase: Bool?
        enum CodingKeys: String, CodingKey {
            case type, lowercase
            case cleanText = "clean_text"
            case handleChineseChars = "handle_chinese_chars"
            case stripAccents = "strip_accents"
        }
    }
    struct PreTokenizer: Decodable {
        var type: String
    }
    struct Model: Decodable {
        var type: String
        var continuingSubwordPrefix: String?
        var maxInputCharsPerWord: Int?
        var vocab: [String: Int]
        enum CodingKeys: String, CodingKey {
            case type, vocab
            case continuingSubwordPrefix = "continuing_subword_prefix"
            case maxInputCharsPerWord = "max_input_chars_per_word"
        }
    }
    var addedTokens: [AddedToken]?
    var normalizer: Normalizer?
    var preTokenizer: PreTokenizer?
    var model: Model
    enum CodingKeys: String, CodingKey {
        case normalizer, model
        case addedTokens = "added_tokens"
        case preTokenizer = "pre_tokenizer"
    }
}

/// The parts of `tokenizer_config.json` used when there is no `tokenizer.json`.
struct TokenizerConfigFile: Decodable {
    var doLowerCase: Bool?
    var stripAccents: Bool?
    var tokenizeChineseChars: Bool?
    enum CodingKeys: String, CodingKey {
        case doLowerCase = "do_lower_case"
        case stripAccents = "strip_accents"
        case tokenizeChineseChars = "tokenize_chinese_chars"
    }
}

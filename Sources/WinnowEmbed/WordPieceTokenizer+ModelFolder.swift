import Foundation
import WinnowTokenizers

// MARK: - A sentence-transformers folder

extension WordPieceTokenizer {
    /// Loads the tokenizer of a sentence-transformers folder: `tokenizer.json` when present
    /// (vocabulary, normaliser, WordPiece settings, special tokens), else `vocab.txt` and
    /// `tokenizer_config.json`. The token limit comes from `sentence_bert_config.json`
    /// (`max_seq_length`), else 512.
    /// - Throws: ``EmbedError`` naming the file that is missing or unsupported.
    public init(folder: ModelFolder) throws(EmbedError) {
        var options = Options()
        var vocabulary: [String: Int32] = [:]
        var maxLength = 512
        if folder.contains("sentence_bert_config.json") {
            maxLength = try folder.decode(SentenceBertConfiguration.self, from: "sentence_bert_config.json").maxSequenceLength
        }
        if folder.contains("tokenizer.json") {
            do {
                self = try WordPieceTokenizer(file: folder.file("tokenizer.json"), maxLength: maxLength)
                return
            } catch {
                throw EmbedError(path: error.location, message: error.message)
            }
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
        do {
            try self.init(vocabulary: vocabulary, options: options, maxLength: maxLength, specialTokens: nil)
        } catch {
            throw EmbedError(path: folder.path, message: error.message)
        }
    }
}

// MARK: - tokenizer_config.json

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

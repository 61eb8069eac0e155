/// Counts the tokens of a text in some tokenizer. The prompt compressor's budgets, the
/// server's `origin_tokens` / `compressed_tokens` and the `tokenize` stage's
/// `metadata.token_count` are counted with one of these.
///
/// Implementations are immutable and safe to share between threads.
public protocol TokenCounter: Sendable {
    /// The counter's name as ``TokenCounters/named(_:modelsDirectory:)`` accepts it
    /// (`whitespace`, `wordpiece`, `gpt2`, `tiktoken:<path>`, `hf:<path>`).
    var name: String { get }
    /// The number of tokens in `text`.
    func count(_ text: Substring) -> Int
}

extension TokenCounter {
    /// The number of tokens in `text`.
    public func count(_ text: String) -> Int { count(text[...]) }
}

/// A tokenizer: text to token ids, without added special tokens (no BOS/EOS, no `[CLS]`).
///
/// Implementations are immutable and safe to share between threads.
public protocol Tokenizer: TokenCounter {
    /// Appends the ids of `text` to `ids`.
    func encode(_ text: Substring, into ids: inout [Int32])
    /// One more than the largest id (the width a token file's dtype must hold).
    var vocabularySize: Int { get }
    /// The id of a token written as `text` (a special token such as `</s>` or
    /// `<|endoftext|>`, or any vocabulary entry), nil when there is none.
    func tokenID(_ text: String) -> Int32?
    /// The end-of-text token appended after each document in token shards (`</s>`,
    /// `<|endoftext|>`, `<eos>`, `[SEP]`), nil when the tokenizer has none.
    var endOfTextID: Int32? { get }
}

extension Tokenizer {
    /// The ids of `text`.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        encode(text[...], into: &ids)
        return ids
    }

    /// The number of ids of `text`.
    public func count(_ text: Substring) -> Int {
        var ids: [Int32] = []
        encode(text, into: &ids)
        return ids.count
    }

    /// The first of the usual end-of-text spellings that is a token.
    static func findEndOfText(_ lookup: (String) -> Int32?) -> Int32? {
        for name in ["<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>", "[SEP]"] {
            if let id = lookup(name) { return id }
        }
        return nil
    }
}

/// Tokens are maximal runs of non-whitespace characters (Unicode `White_Space`).
public struct WhitespaceTokenCounter: TokenCounter {
    /// `whitespace`.
    public var name: String { "whitespace" }

    /// Creates the counter.
    public init() {}

    /// The number of whitespace-separated words in `text`.
    public func count(_ text: Substring) -> Int {
        var n = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            let space = scalar.properties.isWhitespace
            if !space && !inWord { n += 1 }
            inWord = !space
        }
        return n
    }
}

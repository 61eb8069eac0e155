import Foundation
import WinnowCore
import WinnowEmbed

/// Counts the tokens of a text in some tokenizer. Budgets (`rate`, `target_tokens`) and the
/// LLMLingua-compatible `origin_tokens` / `compressed_tokens` are counted with one of these.
///
/// Implementations are immutable and safe to share between threads.
public protocol TokenCounter: Sendable {
    /// The counter's name as ``TokenCounters/named(_:modelsDirectory:)`` accepts it
    /// (`whitespace`, `wordpiece`, `tiktoken:<path>`, `hf:<path>`).
    var name: String { get }
    /// The number of tokens in `text`.
    func count(_ text: Substring) -> Int
}

extension TokenCounter {
    /// The number of tokens in `text`.
    public func count(_ text: String) -> Int { count(text[...]) }
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

/// BERT WordPiece pieces (all-MiniLM-L6-v2's tokenizer), without `[CLS]`/`[SEP]` and without
/// truncation.
public struct WordPieceTokenCounter: TokenCounter {
    /// `wordpiece`.
    public var name: String { "wordpiece" }
    private let tokenizer: WordPieceTokenizer

    /// Wraps a tokenizer (its length limit is lifted for counting).
    /// - Throws: ``PromptError`` when the vocabulary lacks a BERT special token.
    public init(tokenizer: WordPieceTokenizer) throws {
        do {
            self.tokenizer = try WordPieceTokenizer(
                vocabulary: tokenizer.vocabulary, options: tokenizer.options, maxLength: Int(Int32.max))
        } catch {
            throw PromptError("wordpiece", error.message)
        }
    }

    /// Loads the tokenizer of a sentence-transformers folder.
    /// - Throws: ``PromptError`` naming the file at fault.
    public init(folder: String) throws {
        do {
            try self.init(tokenizer: try WordPieceTokenizer(folder: ModelFolder(path: folder)))
        } catch let e as EmbedError {
            throw PromptError(folder, e.message)
        }
    }

    /// The number of WordPiece pieces in `text`.
    public func count(_ text: Substring) -> Int { tokenizer.encode(String(text)).count - 2 }
}

/// Makes token counters from their names.
public enum TokenCounters {
    /// The counter named by `spec`:
    /// - `whitespace`: whitespace-separated words;
    /// - `wordpiece`: all-MiniLM-L6-v2's WordPiece (the model folder is looked up in
    ///   `modelsDirectory`, then as ``ModelLocator`` does);
    /// - `wordpiece:<folder>`: the WordPiece tokenizer of that sentence-transformers folder;
    /// - `gpt2`: GPT-2's byte-level BPE from `gpt2.tiktoken` (looked up like a model);
    /// - `tiktoken:<path>`: a tiktoken rank file (`<base64 token> <rank>` lines) with GPT-2's
    ///   pre-tokenisation (or cl100k's when the file name contains `cl100k`);
    /// - `hf:<path>`: a Hugging Face `tokenizer.json` with a byte-level BPE model.
    /// - Throws: ``PromptError`` for an unknown name or a file that cannot be read or parsed.
    public static func named(_ spec: String, modelsDirectory: String? = nil) throws -> any TokenCounter {
        func locate(_ name: String) throws -> String {
            if let dir = modelsDirectory {
                let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                if FileManager.default.fileExists(atPath: path) { return path }
            }
            do { return try ModelLocator.locate(name) } catch let e as FileError { throw PromptError(name, e.message) }
        }
        let (kind, argument) = spec.firstIndex(of: ":").map { (String(spec[..<$0]), String(spec[spec.index(after: $0)...])) } ?? (spec, "")
        switch kind {
        case "whitespace" where argument.isEmpty:
            return WhitespaceTokenCounter()
        case "wordpiece":
            return try WordPieceTokenCounter(folder: argument.isEmpty ? locate("all-MiniLM-L6-v2") : argument)
        case "gpt2" where argument.isEmpty:
            return try BPETokenCounter(tiktokenFile: locate("gpt2.tiktoken"))
        case "tiktoken" where !argument.isEmpty:
            return try BPETokenCounter(tiktokenFile: argument)
        case "hf" where !argument.isEmpty:
            return try BPETokenCounter(huggingFaceTokenizerJSON: argument)
        default:
            throw PromptError(
                "tokenizer", "unknown token counter \"\(spec)\" (use whitespace, wordpiece[:<folder>], gpt2, tiktoken:<path> or hf:<path>)")
        }
    }
}

import WinnowCore
import WinnowIO

/// BERT WordPiece pieces (all-MiniLM-L6-v2's tokenizer), without `[CLS]`/`[SEP]` and without
/// truncation.
public struct WordPieceTokenCounter: Tokenizer {
    /// `wordpiece`.
    public var name: String { "wordpiece" }
    private let tokenizer: WordPieceTokenizer

    /// Wraps a tokenizer (its length limit is lifted).
    /// - Throws: ``TokenizerError`` when the vocabulary lacks a BERT special token.
    public init(tokenizer: WordPieceTokenizer) throws {
        self.tokenizer = try WordPieceTokenizer(
            vocabulary: tokenizer.vocabulary, options: tokenizer.options, maxLength: Int(Int32.max),
            specialTokens: tokenizer.specialTokens.map { String(String.UnicodeScalarView($0.0)) })
    }

    /// Loads the `tokenizer.json` of a sentence-transformers folder.
    /// - Throws: ``TokenizerError`` naming the file at fault.
    public init(folder: String) throws {
        tokenizer = try WordPieceTokenizer(file: folder + "/tokenizer.json", maxLength: Int(Int32.max))
    }

    /// Appends the piece ids of `text` to `ids`.
    public func encode(_ text: Substring, into ids: inout [Int32]) {
        tokenizer.appendPieces(of: String(text), to: &ids, limit: Int.max)
    }

    /// One more than the largest id.
    public var vocabularySize: Int { Int((tokenizer.vocabulary.values.max() ?? -1) + 1) }

    /// The id of a vocabulary entry.
    public func tokenID(_ text: String) -> Int32? { tokenizer.vocabulary[text] }

    /// `[SEP]`.
    public var endOfTextID: Int32? { tokenizer.separatorID }
}

/// Makes tokenizers and token counters from their names.
public enum TokenCounters {
    /// The tokenizer named by `spec`:
    /// - `wordpiece`: all-MiniLM-L6-v2's WordPiece (the model folder is looked up in
    ///   `modelsDirectory`, then as ``ModelLocator`` does);
    /// - `wordpiece:<folder>`: the WordPiece tokenizer of that sentence-transformers folder;
    /// - `gpt2`: GPT-2's byte-level BPE from `gpt2.tiktoken` (looked up like a model);
    /// - `tiktoken:<path>`: a tiktoken rank file (`<base64 token> <rank>` lines) with GPT-2's
    ///   pre-tokenisation (or cl100k's when the file name contains `cl100k`);
    /// - `hf:<path>`: a Hugging Face `tokenizer.json` (BPE, Unigram or WordPiece; see
    ///   ``HuggingFaceTokenizer``).
    /// - Throws: ``TokenizerError`` for an unknown name or a file that cannot be read or parsed.
    public static func tokenizer(_ spec: String, modelsDirectory: String? = nil) throws -> any Tokenizer {
        func locate(_ name: String) throws -> String {
            if let dir = modelsDirectory {
                let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                if FileSystem.exists(path) { return path }
            }
            do { return try ModelLocator.locate(name) } catch let e as FileError { throw TokenizerError(name, e.message) }
        }
        let (kind, argument) = spec.firstIndex(of: ":").map { (String(spec[..<$0]), String(spec[spec.index(after: $0)...])) } ?? (spec, "")
        switch kind {
        case "wordpiece":
            return try WordPieceTokenCounter(folder: argument.isEmpty ? locate("all-MiniLM-L6-v2") : argument)
        case "gpt2" where argument.isEmpty:
            return try TiktokenTokenizer(file: locate("gpt2.tiktoken"))
        case "tiktoken" where !argument.isEmpty:
            return try TiktokenTokenizer(file: argument)
        case "hf" where !argument.isEmpty:
            return try HuggingFaceTokenizer(file: argument)
        default:
            throw TokenizerError(
                "tokenizer", "unknown tokenizer \"\(spec)\" (use wordpiece[:<folder>], gpt2, tiktoken:<path> or hf:<path>)")
        }
    }

    /// The counter named by `spec`: `whitespace` (whitespace-separated words) or any
    /// tokenizer ``tokenizer(_:modelsDirectory:)`` makes.
    /// - Throws: ``TokenizerError`` for an unknown name or a file that cannot be read or parsed.
    public static func named(_ spec: String, modelsDirectory: String? = nil) throws -> any TokenCounter {
        if spec == "whitespace" { return WhitespaceTokenCounter() }
        do {
            return try tokenizer(spec, modelsDirectory: modelsDirectory)
        } catch let e as TokenizerError where e.location == "tokenizer" {
            throw TokenizerError(
                "tokenizer", "unknown token counter \"\(spec)\" (use whitespace, wordpiece[:<folder>], gpt2, tiktoken:<path> or hf:<path>)")
        }
    }
}

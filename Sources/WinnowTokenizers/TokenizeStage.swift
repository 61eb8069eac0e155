import WinnowCore
import WinnowIO

/// The `tokenize` stage: every document's token count in `metadata.token_count` (any
/// tokenizer), and optionally the corpus as training-ready token shards in the run folder's
/// `tokens/`: Megatron-LM's indexed dataset (`.bin` + `.idx`) and/or datatrove/nanotron's
/// (`.ds` + `.ds.index` + `.ds.metadata`), each document followed by the end-of-text token,
/// documents shuffled by the run's seed.
///
/// Observe tokenizes each shard's documents and streams their ids (uint32) and lengths to the
/// stage's work folder. Resolve, when shards are asked for, orders all documents by a stable
/// hash of (seed, global index) — the same order for any worker count, since shards and the
/// indices within them do not depend on it — and copies each document's ids, read back by
/// position, into the shard files. Decide writes `metadata.token_count` (without the end-of-text
/// token) and keeps every document.
public struct TokenizeStage: CorpusStage, RegisteredStage {
    /// The stage name.
    public var name: String { "tokenize" }
    /// The tokenizer.
    public let tokenizer: any Tokenizer
    /// Which shards to write.
    public var format: TokenShardFormat
    /// The width of ids in the shards.
    public var dtype: TokenDType
    /// The id appended after each document in the shards; nil: none.
    public var endOfText: Int32?
    /// Whether shards list documents in a seeded random order (else input order).
    public var shuffle: Bool
    /// File name stem under `tokens/`.
    public var prefix: String

    /// Creates the stage.
    public init(tokenizer: any Tokenizer, format: TokenShardFormat = .none, dtype: TokenDType? = nil, endOfText: Int32?, shuffle: Bool = true, prefix: String = "tokens") {
        self.tokenizer = tokenizer
        self.format = format
        self.dtype = dtype ?? (tokenizer.vocabularySize <= 65_536 ? .uint16 : .uint32)
        self.endOfText = endOfText
        self.shuffle = shuffle
        self.prefix = prefix
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "tokenize", kind: .corpus,
        summary: "Counts every document's tokens into metadata.token_count (gpt2, tiktoken:<file>, hf:<tokenizer.json> — BPE, SentencePiece BPE/Unigram, WordPiece — or wordpiece) and, with format, writes the corpus as token shards in the run folder's tokens/: Megatron-LM .bin/.idx (megatron-core IndexedDataset) and/or datatrove .ds/.ds.index, end-of-text after each document, shuffled by the run's seed (same bytes for any worker count). Keeps every document.",
        parameters: [
            ParameterSpec("tokenizer", "string", default: "gpt2", "gpt2, tiktoken:<path>, hf:<tokenizer.json>, wordpiece[:<folder>]"),
            ParameterSpec("format", "string", default: "none", "none (counts only), megatron, datatrove or both"),
            ParameterSpec("dtype", "string", default: "auto", "token width in shards: uint16, uint32 (Megatron: int32), auto = uint16 when the vocabulary fits"),
            ParameterSpec("eos", "bool", default: "true", "append the end-of-text token after each document in shards"),
            ParameterSpec("eos_token", "string", default: nil, "the end-of-text token's text (default: <|endoftext|>, </s>, <eos>, <|end_of_text|> or [SEP], the first the tokenizer has)"),
            ParameterSpec("shuffle", "bool", default: "true", "shards list documents in a seeded random order (false: input order)"),
            ParameterSpec("prefix", "string", default: "tokens", "file name stem under tokens/ (tokens/<prefix>.bin …)"),
        ],
        dropReasons: [],
        make: { p in
            let spec = try p.string("tokenizer", default: "gpt2") ?? "gpt2"
            let tokenizer: any Tokenizer
            do {
                tokenizer = try TokenCounters.tokenizer(spec)
            } catch let e as TokenizerError {
                throw ConfigError("stage 'tokenize': \(e.description)", at: p.location(of: "tokenizer") ?? p.location)
            }
            let format = TokenShardFormat(rawValue: try p.string("format", default: "none", choices: TokenShardFormat.allCases.map(\.rawValue)) ?? "none") ?? .none
            let dtypeName = try p.string("dtype", default: "auto", choices: ["auto"] + TokenDType.allCases.map(\.rawValue)) ?? "auto"
            var endOfText: Int32?
            if try p.bool("eos", default: true) {
                if let text = try p.string("eos_token") {
                    guard let id = tokenizer.tokenID(text) else {
                        throw ConfigError("stage 'tokenize': eos_token \(text) is not a token of \(spec)", at: p.location(of: "eos_token"))
                    }
                    endOfText = id
                } else {
                    endOfText = tokenizer.endOfTextID
                    if endOfText == nil && format != .none {
                        throw ConfigError("stage 'tokenize': \(spec) has no end-of-text token; give eos_token or eos: false", at: p.location)
                    }
                }
            }
            let stage = TokenizeStage(
                tokenizer: tokenizer, format: format, dtype: TokenDType(rawValue: dtypeName), endOfText: endOfText,
                shuffle: try p.bool("shuffle", default: true), prefix: try p.string("prefix", default: "tokens") ?? "tokens")
            guard !stage.prefix.isEmpty, !stage.prefix.contains("/"), !stage.prefix.hasPrefix(".") else {
                throw ConfigError("stage 'tokenize': prefix must be a plain file name", at: p.location(of: "prefix"))
            }
            if stage.dtype == .uint16, tokenizer.vocabularySize > 65_536 {
                throw ConfigError("stage 'tokenize': \(spec) has \(tokenizer.vocabularySize) ids; uint16 holds 65,536", at: p.location(of: "dtype"))
            }
            return stage
        })

    static func tokenFile(_ shard: Int) -> String { "tokens-\(shard).u32" }
    static func lengthFile(_ shard: Int) -> String { "lengths-\(shard).u32" }

    // MARK: - Observe

    final class Observer: CorpusObserver {
        let stage: TokenizeStage
        let tokens: AtomicFileWriter
        let lengthsPath: String
        var lengths: [UInt32] = []
        var ids: [Int32] = []
        var buffer: [UInt32] = []

        init(stage: TokenizeStage, context: CorpusContext) throws {
            self.stage = stage
            tokens = try AtomicFileWriter(path: context.path(TokenizeStage.tokenFile(context.shard)))
            lengthsPath = context.path(TokenizeStage.lengthFile(context.shard))
        }

        func observe(_ document: Document, index: Int) throws {
            ids.removeAll(keepingCapacity: true)
            stage.tokenizer.encode(document.text[...], into: &ids)
            guard ids.count <= Int(UInt32.max) else { throw InputError("document of more than 2^32 tokens", at: SourceLocation(file: "document \(document.id)")) }
            lengths.append(UInt32(ids.count))
            guard stage.format != .none else { return }
            for id in ids { buffer.append(UInt32(bitPattern: id)) }
            if buffer.count >= 1 << 18 { try flush() }
        }

        func flush() throws {
            try buffer.map(\.littleEndian).withUnsafeBytes { try tokens.write($0) }
            buffer.removeAll(keepingCapacity: true)
        }

        func finish() throws {
            try flush()
            try tokens.commit()
            let w = try AtomicFileWriter(path: lengthsPath)
            try lengths.map(\.littleEndian).withUnsafeBytes { try w.write($0) }
            try w.commit()
        }
    }

    /// Creates the per-shard observer.
    public func makeObserver(context: CorpusContext) throws -> any CorpusObserver {
        try Observer(stage: self, context: context)
    }

    // MARK: - Resolve

    static func readLengths(_ path: String) throws -> [UInt32] {
        let bytes = try FileSystem.readAll(path)
        guard bytes.count % 4 == 0 else { throw FileError(path: path, "corrupt lengths file (rerun without --resume)") }
        var out = [UInt32]()
        out.reserveCapacity(bytes.count / 4)
        var k = 0
        while k < bytes.count {
            let b0 = UInt32(bytes[k]), b1 = UInt32(bytes[k + 1]) << 8
            let b2 = UInt32(bytes[k + 2]) << 16, b3 = UInt32(bytes[k + 3]) << 24
            out.append(b0 | b1 | b2 | b3)
            k += 4
        }
        return out
    }

    /// The order documents go into the shards: (shard, index within shard, first id in the
    /// shard's token file) sorted by a stable hash of (seed, global index) when shuffling.
    static func order(lengths: [[UInt32]], seed: UInt64, shuffle: Bool) -> [(shard: Int, start: Int, count: Int)] {
        var all: [(key: UInt64, shard: Int, start: Int, count: Int)] = []
        var global: UInt64 = 0
        for (shard, ls) in lengths.enumerated() {
            var start = 0
            for n in ls {
                var words = (global, seed)
                let key = shuffle ? withUnsafeBytes(of: &words) { StableHash.xxh64($0, seed: 0x746F_6B65_6E69_7A65) } : global
                all.append((key, shard, start, Int(n)))
                start += Int(n)
                global += 1
            }
        }
        if shuffle { all.sort { $0.key != $1.key ? $0.key < $1.key : ($0.shard, $0.start) < ($1.shard, $1.start) } }
        return all.map { ($0.shard, $0.start, $0.count) }
    }

    /// Writes the shards into `<run>/tokens/` when a format is asked for.
    public func resolve(step: Int, partition: Int, context: CorpusContext) throws {
        guard format != .none, !context.runDirectory.isEmpty else { return }
        let lengths = try (0 ..< context.shardCount).map { try Self.readLengths(context.path(Self.lengthFile($0))) }
        let readers = try (0 ..< context.shardCount).map { try TokenFileReader(path: context.path(Self.tokenFile($0))) }
        let writer = try TokenShardWriter(
            prefix: context.runDirectory + "/tokens/" + prefix, format: format, dtype: dtype, tokenizerName: tokenizer.name)
        var ids: [UInt32] = []
        for doc in Self.order(lengths: lengths, seed: context.seed, shuffle: shuffle) {
            try readers[doc.shard].read(start: doc.start, count: doc.count, into: &ids)
            if let endOfText { ids.append(UInt32(bitPattern: endOfText)) }
            try ids.withUnsafeBufferPointer { try writer.append($0) }
        }
        try writer.finish()
    }

    // MARK: - Decide

    final class Decider: CorpusDecider {
        let lengths: [UInt32]
        init(lengths: [UInt32]) { self.lengths = lengths }

        func decide(_ document: inout Document, index: Int) throws -> Verdict {
            guard index < lengths.count else { throw InputError("tokenize: no token count for document \(index) (rerun without --resume)", at: SourceLocation(file: "document \(document.id)")) }
            document.metadata["token_count"] = .int(Int64(lengths[index]))
            return .keep
        }

        func measure(_ document: Document, index: Int, into measures: inout PendingMeasures) {
            if index < lengths.count { measures.add("token_count", Double(lengths[index])) }
        }
    }

    /// Creates the per-shard decider.
    public func makeDecider(context: CorpusContext) throws -> any CorpusDecider {
        Decider(lengths: try Self.readLengths(context.path(Self.lengthFile(context.shard))))
    }
}

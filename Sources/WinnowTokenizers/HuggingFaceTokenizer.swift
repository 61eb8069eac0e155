internal import CICUShim
import WinnowCore
import WinnowIO

/// A Hugging Face `tokenizer.json`: added tokens, normalizer, pre-tokenizer and model, with
/// ids equal to `tokenizers`' `encode(text, add_special_tokens=False)`.
///
/// Supported: models `BPE` (byte-level as GPT-2/Llama 3, or character-level with
/// `byte_fallback` as SentencePiece-derived Llama/Mistral files), `Unigram` (Viterbi, with
/// `byte_fallback`) and `WordPiece` (with `BertNormalizer`/`BertPreTokenizer`); normalizers
/// `Sequence`, `Prepend`, `Replace`, `NFC`/`NFD`/`NFKC`/`NFKD`, `Lowercase`, `Strip`,
/// `StripAccents`; pre-tokenizers `ByteLevel`, `Split`, `Metaspace`, `Whitespace`,
/// `WhitespaceSplit`, `Punctuation`, `Digits`, `BertPreTokenizer`, `Sequence`. Anything else
/// (a `Precompiled` normalizer, BPE `dropout`, a `continuing_subword_prefix` on BPE) is
/// refused with the file and key, never silently approximated.
public final class HuggingFaceTokenizer: Tokenizer {
    enum Model: Sendable {
        case bpe(BPEModel)
        case unigram(UnigramModel)
        /// BERT's normaliser, pre-tokenizer and WordPiece together.
        case wordPiece(WordPieceTokenizer)
    }

    /// `hf:<path>`.
    public let name: String
    let model: Model
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer
    let added: AddedTokens
    /// Vocabulary and added tokens, by their text (added tokens' spellings win).
    private let ids: [String: Int32]
    /// One more than the largest id.
    public let vocabularySize: Int
    /// The first of `<|endoftext|>`, `</s>`, `<eos>`, `<|end_of_text|>`, `[SEP]` that is a token.
    public let endOfTextID: Int32?

    // MARK: - Loading

    /// Loads `tokenizer.json`.
    /// - Parameter name: the tokenizer's name (default `hf:<path>`).
    /// - Throws: ``TokenizerError`` naming the file and the missing, malformed or unsupported key.
    public init(file path: String, name: String? = nil) throws {
        let root = try HuggingFaceTokenizer.readJSON(path)
        guard let model = root["model"]?.object, let type = model["type"]?.stringValue else {
            throw TokenizerError(path, "model.type is missing")
        }
        self.name = name ?? "hf:" + path
        let preTokenizer = try HuggingFaceTokenizer.preTokenizer(root["pre_tokenizer"], path: path, key: "pre_tokenizer")
        let byteLevel = HuggingFaceTokenizer.hasByteLevel(root["pre_tokenizer"])

        var ids: [String: Int32] = [:]
        var entries: [AddedTokens.Entry] = []
        var specials: [String] = []  // WordPiece: special tokens not normalised
        for (k, token) in (root["added_tokens"]?.array ?? []).enumerated() {
            guard let t = token.object, let content = t["content"]?.stringValue, let id = t["id"]?.intValue else {
                throw TokenizerError(path, "added_tokens[\(k)] lacks content or id")
            }
            if t["single_word"]?.boolValue == true { throw TokenizerError(path, "added_tokens[\(k)] (\(content)): single_word is not supported") }
            entries.append(.init(bytes: Array(content.utf8), id: Int32(id), lstrip: t["lstrip"]?.boolValue ?? false, rstrip: t["rstrip"]?.boolValue ?? false))
            ids[content] = Int32(id)
            if t["special"]?.boolValue == true && t["normalized"]?.boolValue != true { specials.append(content) }
        }
        switch type {
        case "BPE":
            let (bpe, vocabulary) = try HuggingFaceTokenizer.bpe(model, byteLevel: byteLevel, path: path)
            self.model = .bpe(bpe)
            for (token, id) in vocabulary where ids[token] == nil { ids[token] = id }
            normalizer = try HuggingFaceTokenizer.normalizer(root["normalizer"], path: path, key: "normalizer")
            self.preTokenizer = preTokenizer
        case "Unigram":
            let unigram = try UnigramModel(model, path: path)
            self.model = .unigram(unigram)
            for (token, id) in unigram.ids where ids[token] == nil { ids[token] = id }
            normalizer = try HuggingFaceTokenizer.normalizer(root["normalizer"], path: path, key: "normalizer")
            self.preTokenizer = preTokenizer
        case "WordPiece":
            let wordPiece = try HuggingFaceTokenizer.wordPiece(root, model: model, specials: specials, path: path)
            self.model = .wordPiece(wordPiece)
            for (token, id) in wordPiece.vocabulary where ids[token] == nil { ids[token] = id }
            normalizer = nil
            self.preTokenizer = .none
            entries = []  // WordPieceTokenizer matches its special tokens itself.
        default:
            throw TokenizerError(path, "model.type \(type) is not supported (BPE, Unigram or WordPiece)")
        }
        added = AddedTokens(entries)
        self.ids = ids
        vocabularySize = Int((ids.values.max() ?? -1) + 1)
        endOfTextID = HuggingFaceTokenizer.findEndOfText { ids[$0] }
    }

    // MARK: - Encoding

    /// Appends the ids of `text` to `ids` (no special tokens added).
    public func encode(_ text: Substring, into ids: inout [Int32]) {
        if case .wordPiece(let w) = model {
            w.appendPieces(of: String(text), to: &ids, limit: Int.max)
            return
        }
        added.forEachSegment(of: text) { segment in
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let s, let first):
                if normalizer == nil && preTokenizer.onlyCuts {
                    preTokenizer.forEachPiece(of: s, first: first) { encodePiece($0, into: &ids) }
                } else {
                    let normalized = normalizer?.apply(String(s)) ?? String(s)
                    for piece in preTokenizer.pieces(of: [normalized[...]], first: first) { encodePiece(piece, into: &ids) }
                }
            }
        }
    }

    @inline(__always) private func encodePiece(_ piece: Substring, into ids: inout [Int32]) {
        switch model {
        case .bpe(let m): m.encode(piece, into: &ids)
        case .unigram(let m): m.encode(piece, into: &ids)
        case .wordPiece: break
        }
    }

    /// The id of `text` as one token (an added token or a vocabulary entry).
    public func tokenID(_ text: String) -> Int32? { ids[text] }

    /// The ids by the O(n²) rescan for BPE models (tests' reference for the heap merge).
    func rescanEncode(_ text: Substring) -> [Int32] {
        guard case .bpe(let m) = model else { return encode(String(text)) }
        var out: [Int32] = []
        added.forEachSegment(of: text) { segment in
            switch segment {
            case .token(let id): out.append(id)
            case .text(let s, let first):
                let normalized = normalizer?.apply(String(s)) ?? String(s)
                for piece in preTokenizer.pieces(of: [normalized[...]], first: first) { out += m.rescanEncode(piece) }
            }
        }
        return out
    }
}

// MARK: - Reading tokenizer.json

extension MetadataValue {
    var object: [String: MetadataValue]? {
        if case .object(let o) = self { return o }
        return nil
    }
    var array: [MetadataValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension HuggingFaceTokenizer {
    /// The top-level object of a JSON file.
    static func readJSON(_ path: String) throws -> [String: MetadataValue] {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readAll(path) } catch { throw TokenizerError(path, "cannot read tokenizer.json: \(error)") }
        let parsed: Result<(MetadataValue, Bool), JSONSyntaxError> = bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            do throws(JSONSyntaxError) {
                let v = try scanner.value()
                return .success((v, scanner.atEnd()))
            } catch {
                return .failure(error)
            }
        }
        switch parsed {
        case .success(let (value, atEnd)):
            guard atEnd else { throw TokenizerError(path, "text after the JSON value") }
            guard let object = value.object else { throw TokenizerError(path, "not a JSON object") }
            return object
        case .failure(let error):
            let line = 1 + bytes.prefix(error.position).lazy.filter { $0 == UInt8(ascii: "\n") }.count
            throw TokenizerError("\(path):\(line)", "invalid JSON: \(error.message)")
        }
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

    static func hasByteLevel(_ value: MetadataValue?) -> Bool {
        guard let o = value?.object else { return false }
        if o["type"]?.stringValue == "ByteLevel" { return true }
        return (o["pretokenizers"]?.array ?? []).contains { hasByteLevel($0) }
    }

    /// A `model` of type `BPE` and its vocabulary by token text.
    static func bpe(_ model: [String: MetadataValue], byteLevel: Bool, path: String) throws -> (BPEModel, [String: Int32]) {
        if let d = model["dropout"], !d.isNull, d.doubleValue != 0 { throw TokenizerError(path, "model.dropout is not supported") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let v = model[key]?.stringValue, !v.isEmpty { throw TokenizerError(path, "model.\(key) is not supported on BPE") }
        }
        guard let vocab = model["vocab"]?.object else { throw TokenizerError(path, "model.vocab is missing") }
        var idsByToken: [String: Int32] = [:]
        idsByToken.reserveCapacity(vocab.count)
        for (token, value) in vocab {
            guard let id = value.intValue, id >= 0, id < Int64(Int32.max) else { throw TokenizerError(path, "model.vocab[\"\(token)\"] is not an id") }
            idsByToken[token] = Int32(id)
        }
        var pairs: [UInt64: BPEModel.Merge] = [:]
        let merges = model["merges"]?.array ?? []
        pairs.reserveCapacity(merges.count)
        for (rank, entry) in merges.enumerated() {
            let parts: [String]
            if let s = entry.stringValue {
                parts = s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let a = entry.array?.compactMap(\.stringValue) {
                parts = a
            } else {
                throw TokenizerError(path, "model.merges[\(rank)] is neither \"a b\" nor [a, b]")
            }
            guard parts.count == 2, let a = idsByToken[parts[0]], let b = idsByToken[parts[1]], let merged = idsByToken[parts[0] + parts[1]] else {
                throw TokenizerError(path, "model.merges[\(rank)]: \(parts) names a token outside model.vocab")
            }
            let key = BPEModel.key(a, b)
            if pairs[key] == nil { pairs[key] = BPEModel.Merge(rank: Int32(rank), id: merged) }
        }
        let ignoreMerges = model["ignore_merges"]?.boolValue ?? false
        if byteLevel {
            let decode = byteDecoder
            var vocabulary: [[UInt8]: Int32] = [:]
            for (token, id) in idsByToken {
                var out: [UInt8] = []
                for scalar in token.unicodeScalars {
                    guard let b = decode[scalar] else { throw TokenizerError(path, "model.vocab: token \"\(token)\" is not byte-level (ByteLevel alphabet)") }
                    out.append(b)
                }
                vocabulary[out] = id
            }
            var byteIDs = [Int32](repeating: -1, count: 256)
            for b in 0 ... 255 {
                guard let id = vocabulary[[UInt8(b)]] else { throw TokenizerError(path, "byte \(b) has no token in model.vocab") }
                byteIDs[b] = id
            }
            return (BPEModel(alphabet: .bytes(byteIDs: byteIDs), pairs: pairs, wholePieces: ignoreMerges ? vocabulary : nil), idsByToken)
        }
        var charIDs: [UInt32: Int32] = [:]
        for (token, id) in idsByToken {
            let scalars = token.unicodeScalars
            if scalars.count == 1, let s = scalars.first { charIDs[s.value] = id }
        }
        var byteFallback: [Int32]?
        if model["byte_fallback"]?.boolValue == true {
            var table = [Int32](repeating: 0, count: 256)
            for b in 0 ... 255 {
                guard let id = idsByToken[byteToken(UInt8(b))] else { throw TokenizerError(path, "model.byte_fallback: \(byteToken(UInt8(b))) is not in model.vocab") }
                table[b] = id
            }
            byteFallback = table
        }
        var unknownID: Int32?
        if let unk = model["unk_token"]?.stringValue {
            guard let id = idsByToken[unk] else { throw TokenizerError(path, "model.unk_token \(unk) is not in model.vocab") }
            unknownID = id
        }
        var whole: [[UInt8]: Int32]?
        if ignoreMerges { whole = Dictionary(idsByToken.map { (Array($0.key.utf8), $0.value) }, uniquingKeysWith: { a, _ in a }) }
        let alphabet = BPEModel.Alphabet.characters(
            charIDs: charIDs, byteFallback: byteFallback, unknownID: unknownID, fuseUnknown: model["fuse_unk"]?.boolValue ?? false)
        return (BPEModel(alphabet: alphabet, pairs: pairs, wholePieces: whole), idsByToken)
    }

    /// `<0xXX>`: SentencePiece's byte token (upper-case hex).
    static func byteToken(_ b: UInt8) -> String {
        let hex = Array("0123456789ABCDEF".unicodeScalars)
        var s = "<0x"
        s.unicodeScalars.append(hex[Int(b >> 4)])
        s.unicodeScalars.append(hex[Int(b & 15)])
        return s + ">"
    }

    /// A `model` of type `WordPiece` under BERT's normaliser and pre-tokenizer.
    static func wordPiece(
        _ root: [String: MetadataValue], model: [String: MetadataValue], specials: [String], path: String, maxLength: Int = Int(Int32.max)
    ) throws -> WordPieceTokenizer {
        var options = WordPieceTokenizer.Options()
        if let n = root["normalizer"]?.object {
            guard n["type"]?.stringValue == "BertNormalizer" else {
                throw TokenizerError(path, "normalizer \(n["type"]?.stringValue ?? "?") is not supported with WordPiece (BertNormalizer)")
            }
            options.lowercase = n["lowercase"]?.boolValue ?? true
            options.stripAccents = n["strip_accents"]?.boolValue ?? options.lowercase
            options.cleanText = n["clean_text"]?.boolValue ?? true
            options.splitChineseCharacters = n["handle_chinese_chars"]?.boolValue ?? true
        }
        if let t = root["pre_tokenizer"]?.object?["type"]?.stringValue, t != "BertPreTokenizer" {
            throw TokenizerError(path, "pre_tokenizer \(t) is not supported with WordPiece (BertPreTokenizer)")
        }
        options.maxInputCharactersPerWord = Int(model["max_input_chars_per_word"]?.intValue ?? 100)
        options.continuingSubwordPrefix = model["continuing_subword_prefix"]?.stringValue ?? "##"
        guard let vocab = model["vocab"]?.object else { throw TokenizerError(path, "model.vocab is missing") }
        var vocabulary: [String: Int32] = [:]
        for (token, value) in vocab {
            guard let id = value.intValue else { throw TokenizerError(path, "model.vocab[\"\(token)\"] is not an id") }
            vocabulary[token] = Int32(truncatingIfNeeded: id)
        }
        do {
            return try WordPieceTokenizer(vocabulary: vocabulary, options: options, maxLength: maxLength, specialTokens: specials)
        } catch {
            throw TokenizerError(path, error.message)
        }
    }

    // MARK: - Normalizers and pre-tokenizers

    static func pattern(_ value: MetadataValue?, path: String, key: String) throws -> (String?, String?) {
        guard let o = value?.object else { throw TokenizerError(path, "\(key).pattern is missing") }
        if let s = o["String"]?.stringValue { return (s, nil) }
        if let r = o["Regex"]?.stringValue { return (nil, r) }
        throw TokenizerError(path, "\(key).pattern is neither String nor Regex")
    }

    static func normalizer(_ value: MetadataValue?, path: String, key: String) throws -> Normalizer? {
        guard let value, !value.isNull else { return nil }
        guard let o = value.object, let type = o["type"]?.stringValue else { throw TokenizerError(path, "\(key).type is missing") }
        switch type {
        case "Sequence":
            let steps = try (o["normalizers"]?.array ?? []).enumerated().compactMap { k, v in
                try normalizer(v, path: path, key: "\(key).normalizers[\(k)]")
            }
            return .sequence(steps)
        case "NFC": return .unicode(Int32(CICU_NFC))
        case "NFD": return .unicode(Int32(CICU_NFD))
        case "NFKC": return .unicode(Int32(CICU_NFKC))
        case "NFKD": return .unicode(Int32(CICU_NFKD))
        case "Lowercase": return .lowercase
        case "StripAccents": return .stripAccents
        case "Strip": return .strip(left: o["strip_left"]?.boolValue ?? true, right: o["strip_right"]?.boolValue ?? true)
        case "Prepend":
            guard let p = o["prepend"]?.stringValue else { throw TokenizerError(path, "\(key).prepend is missing") }
            return .prepend(p)
        case "Replace":
            let content = o["content"]?.stringValue ?? ""
            let (literal, regex) = try pattern(o["pattern"], path: path, key: key)
            if let literal { return .replaceLiteral(literal, with: content) }
            do {
                return .replaceRegex(try Regex(regex ?? "").matchingSemantics(.unicodeScalar), with: content)
            } catch {
                throw TokenizerError(path, "\(key).pattern does not compile: \(error)")
            }
        default:
            throw TokenizerError(path, "\(key): normalizer \(type) is not supported")
        }
    }

    static func behavior(_ value: MetadataValue?, path: String, key: String) throws -> PreTokenizer.SplitBehavior {
        switch value?.stringValue ?? "Isolated" {
        case "Removed": return .removed
        case "Isolated": return .isolated
        case "MergedWithPrevious": return .mergedWithPrevious
        case "MergedWithNext": return .mergedWithNext
        case "Contiguous": return .contiguous
        case let other: throw TokenizerError(path, "\(key).behavior \(other) is not known")
        }
    }

    static func preTokenizer(_ value: MetadataValue?, path: String, key: String) throws -> PreTokenizer {
        guard let value, !value.isNull else { return .none }
        guard let o = value.object, let type = o["type"]?.stringValue else { throw TokenizerError(path, "\(key).type is missing") }
        switch type {
        case "Sequence":
            let steps = try (o["pretokenizers"]?.array ?? []).enumerated().map { k, v in
                try preTokenizer(v, path: path, key: "\(key).pretokenizers[\(k)]")
            }.filter { if case .none = $0 { return false } else { return true } }
            return steps.count == 1 ? steps[0] : (steps.isEmpty ? .none : .sequence(steps))
        case "ByteLevel":
            let regex = o["use_regex"]?.boolValue ?? true
            let prefix = o["add_prefix_space"]?.boolValue ?? false
            switch (prefix, regex) {
            case (false, true): return .gpt2
            case (false, false): return .none
            case (true, true): return .sequence([.prefixSpace, .gpt2])
            case (true, false): return .prefixSpace
            }
        case "Split":
            let b = try behavior(o["behavior"], path: path, key: key)
            let invert = o["invert"]?.boolValue ?? false
            let (literal, regex) = try pattern(o["pattern"], path: path, key: key)
            if let literal { return .literal(literal, b, invert: invert) }
            return try .regex(regex ?? "", b, invert: invert, location: "\(path): \(key)")
        case "Metaspace":
            let replacement = (o["replacement"]?.stringValue ?? "\u{2581}").unicodeScalars
            guard replacement.count == 1, let r = replacement.first else { throw TokenizerError(path, "\(key).replacement is not one character") }
            var scheme = PreTokenizer.PrependScheme.always
            if let s = o["prepend_scheme"]?.stringValue {
                guard let known = PreTokenizer.PrependScheme(rawValue: s) else { throw TokenizerError(path, "\(key).prepend_scheme \(s) is not known") }
                scheme = known
            } else if o["add_prefix_space"]?.boolValue == false {
                scheme = .never
            }
            return .metaspace(replacement: r, prepend: scheme, split: o["split"]?.boolValue ?? true)
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "BertPreTokenizer": return .bert
        case "Punctuation": return .punctuation(try behavior(o["behavior"], path: path, key: key))
        case "Digits": return .digits(individual: o["individual_digits"]?.boolValue ?? false)
        default:
            throw TokenizerError(path, "\(key): pre-tokenizer \(type) is not supported")
        }
    }
}

extension WordPieceTokenizer {
    /// Loads a `tokenizer.json` whose model is `WordPiece` (BERT's normaliser and
    /// pre-tokenizer; its special tokens that are not normalised are matched in the text).
    /// - Parameter maxLength: the most ids per ``encode(_:)``, `[CLS]` and `[SEP]` included.
    /// - Throws: ``TokenizerError`` naming the file and the missing or unsupported key.
    public init(file path: String, maxLength: Int) throws(TokenizerError) {
        do {
            let root = try HuggingFaceTokenizer.readJSON(path)
            guard let model = root["model"]?.object, model["type"]?.stringValue == "WordPiece" else {
                throw TokenizerError(path, "model type \(root["model"]?.object?["type"]?.stringValue ?? "?") is not WordPiece")
            }
            var specials: [String] = []
            for token in root["added_tokens"]?.array ?? [] {
                if let t = token.object, t["special"]?.boolValue == true, t["normalized"]?.boolValue != true, let c = t["content"]?.stringValue {
                    specials.append(c)
                }
            }
            self = try HuggingFaceTokenizer.wordPiece(root, model: model, specials: specials, path: path, maxLength: maxLength)
        } catch let e as TokenizerError {
            throw e
        } catch {
            throw TokenizerError(path, "\(error)")
        }
    }
}

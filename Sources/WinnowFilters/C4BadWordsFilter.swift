import Foundation
import WinnowCore
import WinnowText

/// C4's bad-words page filter, as datatrove's `C4BadWordsFilter`: drops a page whose lowercased
/// text contains a word of the LDNOOBW list for its language (`metadata.language`, else
/// `default_language`), flanked by non-word characters (`(?:\W|^)(w1|w2|…)(?:\W|$)`); for
/// `ja`, `th` and `zh` any occurrence counts. datatrove's allow-list (`sm`, `グロ`, `女の子`, `性`)
/// is removed from every list.
///
/// The lists are read from `lists` (a folder with one file per language code, e.g. the LDNOOBW
/// repository). `keep_fraction` keeps that share of pages with bad words, chosen by a stable hash
/// of the document id and the seed (datatrove draws from numpy's generator instead).
public struct C4BadWordsFilter: Filter, RegisteredStage {
    /// The stage name.
    public var name: String { "c4_badwords" }
    /// Share of pages with bad words to keep anyway.
    public var keepFraction: Double
    /// Fail on a language without a list (else keep the page and count it).
    public var failOnMissingLanguage: Bool
    /// Language of documents without `metadata.language`.
    public var defaultLanguage: String
    /// Seed for `keep_fraction`.
    public var seed: UInt64
    let lists: [String: BadWordList]
    let folder: String

    static let allowList: Set<String> = ["sm", "グロ", "女の子", "性"]
    static let unsegmented: Set<String> = ["ja", "th", "zh"]

    /// Loads the lists from `folder` (files named by language code).
    /// - Throws: ``ConfigError`` when the folder has no readable list.
    public init(lists folder: String, keepFraction: Double = 0, failOnMissingLanguage: Bool = true,
                defaultLanguage: String = "en", seed: UInt64 = 0) throws {
        self.folder = folder
        self.keepFraction = keepFraction
        self.failOnMissingLanguage = failOnMissingLanguage
        self.defaultLanguage = defaultLanguage
        self.seed = seed
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder) else {
            throw ConfigError("stage 'c4_badwords': cannot read the lists folder '\(folder)'", at: nil)
        }
        var lists: [String: BadWordList] = [:]
        for name in names where !name.contains(".") && name == name.lowercased() || name == "fr-CA-u-sd-caqc" {
            guard let text = try? String(contentsOfFile: folder + "/" + name, encoding: .utf8) else { continue }
            var words = Set<String>()
            for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
                let w = line.trimmingCharacters(in: .whitespacesAndNewlines)
                words.insert(w)
            }
            words.subtract(Self.allowList)
            lists[name] = BadWordList(words: words, bounded: !Self.unsegmented.contains(name))
        }
        guard !lists.isEmpty else {
            throw ConfigError("stage 'c4_badwords': no word lists in '\(folder)' (expected files named by language code, e.g. 'en')", at: nil)
        }
        self.lists = lists
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "c4_badwords", kind: .filter,
        summary: "C4 bad-words filter (datatrove C4BadWordsFilter) over LDNOOBW lists you supply: drops pages containing a listed word.",
        parameters: [
            ParameterSpec("lists", "string", default: nil, "folder of word lists named by language code (e.g. ../shared/data/filter-lists/ldnoobw)"),
            ParameterSpec("keep_fraction", "number", default: "0", "share of pages with bad words to keep anyway"),
            ParameterSpec("fail_on_missing_language", "bool", default: "true", "fail on a language without a list (else keep the page)"),
            ParameterSpec("default_language", "string", default: "en", "language of documents without metadata.language"),
            ParameterSpec("seed", "int", default: "0", "seed for keep_fraction"),
        ],
        dropReasons: ["document_removed_with_badwords"],
        make: { p in
            guard let folder = try p.string("lists") else {
                throw ConfigError("stage 'c4_badwords' needs 'lists': a folder of LDNOOBW word lists", at: p.location)
            }
            do {
                return try C4BadWordsFilter(
                    lists: folder, keepFraction: try p.double("keep_fraction", default: 0, min: 0, max: 1) ?? 0,
                    failOnMissingLanguage: try p.bool("fail_on_missing_language", default: true),
                    defaultLanguage: try p.string("default_language", default: "en") ?? "en",
                    seed: UInt64(try p.int("seed", default: 0, min: 0) ?? 0))
            } catch let e as ConfigError {
                throw ConfigError(e.message, at: p.location(of: "lists"))
            }
        })

    /// The verdict for one document.
    /// - Throws: ``InputError`` for a language without a list when `fail_on_missing_language`.
    public func verdict(for document: Document, context: StageContext) throws -> Verdict {
        var lang = defaultLanguage
        if case .string(let l)? = document.metadata["language"] { lang = l }
        guard let list = lists[lang] else {
            if failOnMissingLanguage {
                throw InputError(
                    "c4_badwords: no bad-words list for language '\(lang)' in \(folder) (set fail_on_missing_language: false to keep such documents)",
                    at: SourceLocation(file: "document '\(document.id)'"))
            }
            context.count("missing_badwords_lang_\(lang)")
            return .keep
        }
        let lower = document.text.lowercased()
        guard lower.withBytes({ list.found(in: $0) }) else { return .keep }
        context.count("documents_with_badwords_\(lang)")
        if keepFraction > 0 {
            var h = Array(document.id.utf8).withUnsafeBytes { StableHash.xxh64($0, seed: seed) }
            h = h >> 11
            if Double(h) / Double(1 << 53) < keepFraction { return .keep }
        }
        return .drop(reason: "document_removed_with_badwords")
    }
}

/// One language's bad words, indexed by first byte.
struct BadWordList: Sendable {
    let byFirst: [[[UInt8]]]
    let bounded: Bool

    init(words: Set<String>, bounded: Bool) {
        var t = [[[UInt8]]](repeating: [], count: 256)
        for w in words.sorted() {
            let b = Array(w.utf8)
            if let f = b.first { t[Int(f)].append(b) } else if !bounded { t[0].append(b) }
        }
        byFirst = t
        self.bounded = bounded
    }

    /// Python `\w` for one code point (letters, digits, underscore; Unicode).
    @inline(__always) static func isWord(_ v: UInt32) -> Bool {
        if v < 0x80 { return (v >= 0x30 && v <= 0x39) || ((v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A) || v == 0x5F }
        guard let s = Unicode.Scalar(v) else { return false }
        let p = s.properties
        return p.isAlphabetic || p.numericType != nil || p.generalCategory == .decimalNumber
    }

    func found(in u: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = u.count
        var i = 0
        while i < n {
            let cands = byFirst[Int(u[i])]
            if !cands.isEmpty && u[i] & 0xC0 != 0x80 {
                let beforeOK = !bounded || i == 0 || !Self.isWord(PythonText.decodeBefore(u, i).value)
                if beforeOK {
                    for w in cands where i + w.count <= n {
                        var eq = true
                        for k in 0..<w.count where u[i + k] != w[k] { eq = false; break }
                        if !eq { continue }
                        let e = i + w.count
                        if !bounded || e == n || !Self.isWord(PythonText.decode(u, e).value) { return true }
                    }
                }
            }
            i += 1
        }
        return false
    }
}

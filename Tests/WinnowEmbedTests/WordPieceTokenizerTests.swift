import Foundation
import Testing
@testable import WinnowEmbed
import WinnowTokenizers

@Suite("WordPiece tokenizer")
struct WordPieceTokenizerTests {
    static let vocabulary: [String: Int32] = [
        "[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4,
        "un": 5, "##aff": 6, "##able": 7, "hello": 8, "world": 9, ",": 10, "!": 11, "cafe": 12,
        "中": 13, "文": 14, "$": 15,
    ]

    static func tokenizer(maxLength: Int = 32) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: vocabulary, maxLength: maxLength)
    }

    @Test("normalises, splits and pieces words", arguments: [
        ("unaffable", [2, 5, 6, 7, 3]),
        ("Hello, WORLD!", [2, 8, 10, 9, 11, 3]),
        ("  Café\u{0007}  ", [2, 12, 3]),
        ("hello中文world", [2, 8, 13, 14, 9, 3]),
        ("$hello", [2, 15, 8, 3]),
        ("unknownword", [2, 1, 3]),
        ("[CLS]hello[MASK]", [2, 2, 8, 4, 3]),
        ("[cls]", [2, 1, 1, 1, 3]),
        ("", [2, 3]),
    ] as [(String, [Int32])])
    func encodes(text: String, ids: [Int32]) throws {
        #expect(try Self.tokenizer().encode(text) == ids)
    }

    @Test("words over 100 characters become [UNK]")
    func longWord() throws {
        let tokenizer = try Self.tokenizer()
        #expect(tokenizer.encode(String(repeating: "hello", count: 21)) == [2, 1, 3])
    }

    @Test("truncates to maxLength including [CLS] and [SEP]")
    func truncates() throws {
        let ids = try Self.tokenizer(maxLength: 5).encode("hello world hello world hello")
        #expect(ids == [2, 8, 9, 8, 3])
    }

    @Test("a vocabulary without [CLS] is rejected")
    func missingSpecial() {
        #expect(throws: TokenizerError.self) { try WordPieceTokenizer(vocabulary: ["[UNK]": 0], maxLength: 8) }
    }

    @Test("ids equal Hugging Face tokenizers for every reference line", .enabled(if: ReferenceFixtures.hasReference && ReferenceFixtures.hasModel, "\(ReferenceFixtures.skipMessage)"))
    func referenceParity() throws {
        let tokenizer = try WordPieceTokenizer(folder: ModelFolder(path: ReferenceFixtures.modelPath))
        #expect(tokenizer.maxLength == 256)
        let lines = try ReferenceFixtures.lines()
        #expect(lines.count >= 200)
        var mismatches = 0
        for line in lines {
            let ids = tokenizer.encode(line.text)
            if ids != line.inputIDs {
                mismatches += 1
                Issue.record("ids differ for \(String(reflecting: line.text.prefix(120))): got \(ids.prefix(40)), expected \(line.inputIDs.prefix(40))")
            }
        }
        #expect(mismatches == 0)
    }

    @Test("vocab.txt and tokenizer_config.json alone give the same ids as tokenizer.json",
          .enabled(if: ReferenceFixtures.hasModel, "\(ReferenceFixtures.skipMessage)"))
    func vocabFallback() throws {
        let fromJSON = try WordPieceTokenizer(folder: ModelFolder(path: ReferenceFixtures.modelPath))
        #expect(fromJSON.vocabulary.count == 30522)
        #expect(fromJSON.vocabulary["[CLS]"] == 101)
        #expect(fromJSON.tokenize("unaffable Café") == ["una", "##ffa", "##ble", "cafe"])

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-vocab-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["vocab.txt", "tokenizer_config.json", "sentence_bert_config.json"] {
            try FileManager.default.copyItem(
                atPath: ReferenceFixtures.modelPath + "/" + name, toPath: folder.appendingPathComponent(name).path)
        }
        let fromVocab = try WordPieceTokenizer(folder: ModelFolder(path: folder.path))
        #expect(fromVocab.vocabulary == fromJSON.vocabulary)
        #expect(fromVocab.options == fromJSON.options)
        #expect(fromVocab.maxLength == 256)
        let texts = ReferenceFixtures.hasReference
            ? try ReferenceFixtures.lines().map(\.text)
            : ["Café, naïve, résumé", "北京是中华人民共和国的首都", "[CLS] [SEP] literal", "Ελληνικά ΟΔΥΣΣΕΥΣ"]
        for text in texts {
            #expect(fromVocab.encode(text) == fromJSON.encode(text), "\(text.prefix(60))")
        }
    }
}

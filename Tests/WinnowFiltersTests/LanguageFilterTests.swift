import Foundation
import Testing
import WinnowCore
import WinnowFastText
import WinnowFilters

/// The language stage over the real lid.176 model (skipped when models/lid.176.ftz is absent).
enum LidModel {
    static let path: String = {
        if let root = ProcessInfo.processInfo.environment["WINNOW_MODELS"], !root.isEmpty {
            return root + "/lid.176.ftz"
        }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/models/lid.176.ftz"
    }()

    static var present: Bool { FileManager.default.fileExists(atPath: path) }
    static var skipMessage: String { "skipped: \(path) is missing (run scripts/fetch-models.sh or make deps-models)" }
    static let model = Result { () throws(FastTextError) in try FastTextModel(contentsOf: path) }
}

@Suite("language", .enabled(if: LidModel.present, "\(LidModel.skipMessage)"))
struct LanguageFilterTests {
    let ctx = StageContext()

    func run(_ filter: LanguageFilter, _ text: String) -> (Verdict, Document) {
        var doc = Document(text)
        let verdict = filter.process(&doc, context: ctx)
        return (verdict, doc)
    }

    @Test("writes datatrove's metadata fields")
    func annotates() throws {
        let filter = LanguageFilter(model: try LidModel.model.get())
        let (verdict, doc) = run(filter, "The quick brown fox jumps over the lazy dog near the river bank.")
        #expect(verdict == .keep)
        #expect(doc.metadata["language"] == .string("en"))
        let score = try #require(doc.metadata["language_score"]?.doubleValue)
        #expect(score > 0.65 && score <= 1.00001)
    }

    @Test("keeps listed languages above the threshold", arguments: [
        ("Das ist ein ganz normaler deutscher Satz über das Wetter.", ["de"], Verdict.keep),
        ("Das ist ein ganz normaler deutscher Satz über das Wetter.", ["en", "fr"], .drop(reason: "language_not_kept")),
        ("C'est une phrase tout à fait ordinaire sur le temps qu'il fait.", ["en", "fr"], .keep),
    ])
    func languages(text: String, keep: [String], expected: Verdict) throws {
        let filter = LanguageFilter(model: try LidModel.model.get(), languages: keep)
        #expect(run(filter, text).0 == expected)
    }

    @Test("a low best score is dropped, strictly above min_score is kept")
    func threshold() throws {
        let model = try LidModel.model.get()
        let text = "ok 123"
        let score = try #require(model.predict(text).first?.probability)
        #expect(score < 0.65)
        #expect(run(LanguageFilter(model: model), text).0 == .drop(reason: "language_low_score"))
        #expect(run(LanguageFilter(model: model, minScore: Double(score)), text).0 == .drop(reason: "language_low_score"))
        #expect(run(LanguageFilter(model: model, minScore: Double(score) - 1e-6), text).0 == .keep)
        #expect(run(LanguageFilter(model: model, labelOnly: true), text).0 == .keep)
    }

    @Test("newlines are spaces, as datatrove replaces them")
    func newlines() throws {
        let filter = LanguageFilter(model: try LidModel.model.get())
        let a = run(filter, "Erste Zeile auf Deutsch.\nZweite Zeile auf Deutsch.").1
        let b = run(filter, "Erste Zeile auf Deutsch. Zweite Zeile auf Deutsch.").1
        #expect(a.metadata == b.metadata)
        #expect(a.metadata["language"] == .string("de"))
    }

    @Test("recipe parameters: a missing model and an unknown language are config errors")
    func config() throws {
        let missing = ConfigValue(.mapping([("model", ConfigValue(.scalar("/nonexistent/lid.176.ftz")))]))
        #expect(throws: ConfigError.self) { _ = try LanguageFilter.descriptor.build(missing) }
        let unknown = ConfigValue(.mapping([
            ("model", ConfigValue(.scalar(LidModel.path))),
            ("languages", ConfigValue(.sequence([ConfigValue(.scalar("english"))]))),
        ]))
        #expect(throws: ConfigError.self) { _ = try LanguageFilter.descriptor.build(unknown) }
        let good = ConfigValue(.mapping([
            ("model", ConfigValue(.scalar(LidModel.path))), ("min_score", ConfigValue(.scalar("0.5"))),
        ]))
        let stage = try LanguageFilter.descriptor.build(good)
        #expect((stage as? LanguageFilter)?.minScore == 0.5)
    }
}

import Foundation
import Testing
import WinnowCore
import WinnowFastText
import WinnowFilters

/// The classifier stage over a model trained here on the trainer fixture (three topics).
@Suite("classifier stage")
struct ClassifierScorerTests {
    static let fixture: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/Tests/WinnowFastTextTests/Fixtures/trainer-train.txt"
    }()

    /// A model file trained on the fixture (a few milliseconds), one per test.
    static func train() throws -> String {
        let text = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture)))
        var o = FastTextTrainingOptions()
        o.dim = 16
        o.epoch = 10
        let result = try FastTextTrainer.train(text, path: fixture, options: o)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-classifier-\(UUID().uuidString).bin").path
        try result.write(toFile: path)
        return path
    }

    static func config(_ model: String, _ pairs: [(String, String)]) -> ConfigValue {
        ConfigValue(.mapping([("model", ConfigValue(.scalar(model)))] + pairs.map { ($0.0, ConfigValue(.scalar($0.1))) }))
    }

    @Test("writes every label's probability under the prefix and keeps everything by default")
    func scores() throws {
        let model = try Self.train()
        defer { try? FileManager.default.removeItem(atPath: model) }
        let stage = try #require(try ClassifierScorer.descriptor.build(Self.config(model, [("prefix", "topic_")])) as? ClassifierScorer)
        var doc = Document("the forecast says rain and thunder with a storm")
        #expect(stage.process(&doc, context: StageContext()) == .keep)
        #expect(Set(doc.scores.keys) == ["topic_weather", "topic_food", "topic_sport"])
        let total = doc.scores.values.reduce(0, +)
        #expect(abs(total - 1) < 1e-3)
        #expect(doc.scores["topic_weather"]! > 0.5)
        // The probabilities are the model's own.
        let p = stage.model.predict(doc.text, k: nil)
        #expect(p.first?.label == "__label__weather" && Double(p[0].probability) == doc.scores["topic_weather"])
    }

    @Test("keep/min_score drops documents whose probability for the label is lower")
    func keep() throws {
        let model = try Self.train()
        defer { try? FileManager.default.removeItem(atPath: model) }
        let stage = try #require(
            try ClassifierScorer.descriptor.build(Self.config(model, [("keep", "food"), ("min_score", "0.6"), ("labels", "food")])) as? ClassifierScorer)
        var food = Document("bake the bread and cheese in the kitchen oven")
        var sport = Document("the team scored a goal in the stadium match")
        #expect(stage.process(&food, context: StageContext()) == .keep)
        #expect(stage.process(&sport, context: StageContext()) == .drop(reason: "classifier_low_score"))
        #expect(Array(sport.scores.keys) == ["classifier_food"])
        #expect(sport.scores["classifier_food"]! < 0.6)
        // A newline counts as a space, as in the language stage.
        var split = Document("bake the bread\nand cheese in the kitchen oven")
        _ = stage.process(&split, context: StageContext())
        #expect(split.scores == food.scores)
    }

    @Test("a missing model, no model, or an unknown label is a config error")
    func config() throws {
        #expect(throws: ConfigError.self) { _ = try ClassifierScorer.descriptor.build(nil) }
        let missing = ConfigValue(.mapping([("model", ConfigValue(.scalar("/nonexistent/model.bin")))]))
        #expect(throws: ConfigError.self) { _ = try ClassifierScorer.descriptor.build(missing) }
        let path = try Self.train()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: ConfigError.self) { _ = try ClassifierScorer.descriptor.build(Self.config(path, [("keep", "politics")])) }
        let model = try FastTextModel(contentsOf: path)
        #expect(throws: UnknownLabelError.self) { _ = try ClassifierScorer(model: model, labels: ["__label__food", "jazz"]) }
        #expect(try ClassifierScorer(model: model, labels: ["__label__food"], keep: "sport").minScore == 0.5)
    }
}

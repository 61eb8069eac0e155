import Foundation
import Testing
@testable import WinnowFastText

/// Predictions against Python fasttext (reference values in Fixtures/, made by make_fixtures.py).
@Suite("fastText predictions")
struct FastTextPredictionTests {
    /// Probabilities agree within this (fastText computes in float32).
    static let tolerance: Float = 1e-4

    /// Checks labels and probabilities; labels closer than the tolerance may swap places.
    static func expectSame(_ got: [FastTextPrediction], labels: [String], probs: [Float], _ what: String) {
        #expect(got.count == labels.count, "\(what): \(got.count) predictions, expected \(labels.count)")
        let byLabel = Dictionary(uniqueKeysWithValues: zip(labels, probs))
        for (i, p) in got.enumerated() {
            guard let expected = byLabel[p.label] else {
                // fastText keeps the first of labels tied at the k-th place (its heap order);
                // another label may take that place only when it is tied within the tolerance.
                let boundary = probs.last ?? -1
                #expect(abs(p.probability - boundary) <= tolerance, "\(what): unexpected label \(p.label) \(p.probability)")
                continue
            }
            #expect(abs(p.probability - expected) <= tolerance, "\(what): \(p.label) \(p.probability) vs \(expected)")
            if i < probs.count && p.label != labels[i] {
                #expect(abs(probs[i] - expected) <= tolerance, "\(what): rank \(i) is \(p.label), expected \(labels[i])")
            }
        }
    }

    @Test("tiny models: every label, top 2 with a threshold, and the hidden vector")
    func tinyModels() throws {
        var models: [String: FastTextModel] = [:]
        var checked = 0
        for line in try Fixtures.jsonLines("tiny-reference.jsonl") {
            guard let text = line["text"] as? String, let name = line["model"] as? String else { continue }
            if models[name] == nil { models[name] = try FastTextModel(contentsOf: Fixtures.path(name)) }
            guard let model = models[name], let k = line["k"] as? Int else { continue }
            let what = "\(name) «\(text.prefix(40))»"
            Self.expectSame(model.predict(text, k: k < 0 ? nil : k, threshold: 0),
                            labels: Fixtures.strings(line["labels"]), probs: Fixtures.floats(line["probs"]), what)
            Self.expectSame(model.predict(text, k: 2, threshold: 0.05),
                            labels: Fixtures.strings(line["k2_labels"]), probs: Fixtures.floats(line["k2_probs"]), what + " k=2")
            let hidden = model.hiddenVector(text) ?? []
            let expected = Fixtures.floats(line["hidden"])
            #expect(hidden.count == expected.count, "\(what): hidden size")
            for (a, b) in zip(hidden, expected) {
                #expect(abs(a - b) <= 1e-6 + 1e-4 * abs(b), "\(what): hidden \(a) vs \(b)")
            }
            checked += 1
        }
        #expect(checked == 7 * 16)
    }

    @Test("lid.176: hand-written sentences in many languages equal Python fasttext",
          .enabled(if: Fixtures.hasLid, "\(Fixtures.lidSkipMessage)"))
    func lid176() throws {
        let model = try Fixtures.lid.get()
        #expect(model.labels.count == 176)
        #expect(model.isQuantized)
        let lines = try Fixtures.jsonLines("lid176-reference.jsonl")
        #expect(lines.count == 40)
        for line in lines {
            let text = line["text"] as? String ?? ""
            let labels = Fixtures.strings(line["labels"])
            let got = model.predict(text, k: nil)
            Self.expectSame(got, labels: labels, probs: Fixtures.floats(line["probs"]), "lid.176 «\(text.prefix(40))»")
            #expect(got.first?.label == labels.first, "top label of «\(text.prefix(40))»")
        }
    }

    @Test("lid.176: top-1 is the best of all labels", .enabled(if: Fixtures.hasLid, "\(Fixtures.lidSkipMessage)"))
    func topOne() throws {
        let model = try Fixtures.lid.get()
        for text in ["Guten Morgen, wie geht es dir?", "Where is the station?", "¿Dónde está la estación?"] {
            let all = model.predict(text, k: nil)
            let one = model.predict(text, k: 1)
            #expect(one.count == 1)
            #expect(one.first == all.first)
        }
        #expect(model.predict("Where is the station?").first?.label == "__label__en")
        #expect(model.predict("Où est la gare ?").first?.label == "__label__fr")
    }

    @Test("newlines count as spaces, and the text ends with </s>")
    func newlines() throws {
        let model = try FastTextModel(contentsOf: Fixtures.path("tiny-softmax-bigram.bin"))
        #expect(model.inputRows("rain\nsnow") == model.inputRows("rain snow"))
        #expect(model.inputRows("rain snow") == model.inputRows("rain snow </s> ignored after the end token"))
        #expect(model.inputRows("") == model.inputRows("   "))
        #expect(!model.inputRows("").isEmpty)  // `</s>` alone
    }

    /// One-vs-all and negative-sampling scores go through fastText's 512-step sigmoid table.
    @Test("the sigmoid is fastText's table", arguments: [
        (Float(0), Float(0.5)), (Float(0.01), Float(0.5)), (Float(-9), Float(0)), (Float(9), Float(1)),
        (Float(8), Float(1 / (1 + expf(-8)))),
    ] as [(Float, Float)])
    func sigmoidTable(x: Float, expected: Float) {
        #expect(abs(FastTextModel.sigmoid(x) - expected) < 1e-7)
    }
}

import Foundation
import Testing
import WinnowCore
@testable import WinnowFastText

/// Training data for the trainer tests.
enum TrainingData {
    /// Labelled sentences made from four topics' words mixed with shared filler words, drawn
    /// with a fixed linear congruential generator (the same texts on every run).
    static func topics(count: Int, seed: UInt64) -> [(label: String, text: String)] {
        let topics: [(String, [String])] = [
            ("weather", "rain snow cloud storm wind sunny forecast thunder humid fog drizzle frost".split(separator: " ").map(String.init)),
            ("food", "bread cheese apple soup pasta recipe bake kitchen spicy salad butter oven".split(separator: " ").map(String.init)),
            ("sport", "goal match team score player referee league stadium tennis coach season win".split(separator: " ").map(String.init)),
            ("music", "song guitar piano melody concert album chorus drum violin singer band tune".split(separator: " ").map(String.init)),
        ]
        let filler = "the a of and to in is was it for on with as at by from this that very".split(separator: " ").map(String.init)
        var state = seed
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        return (0..<count).map { i in
            let (label, words) = topics[i % topics.count]
            let length = 4 + next(6)
            let text = (0..<length).map { _ in next(10) < 5 ? words[next(words.count)] : filler[next(filler.count)] }
            return (label, text.joined(separator: " "))
        }
    }

    static func fastTextText(_ examples: [(label: String, text: String)]) -> [UInt8] {
        Array(examples.map { "__label__\($0.label) \($0.text)\n" }.joined().utf8)
    }

    static func accuracy(_ model: FastTextModel, _ examples: [(label: String, text: String)]) -> Double {
        let right = examples.filter { model.predict($0.text).first?.label == "__label__" + $0.label }.count
        return Double(right) / Double(examples.count)
    }
}

@Suite("fastText supervised training")
struct FastTextTrainerTests {
    static var small: FastTextTrainingOptions {
        var o = FastTextTrainingOptions()
        o.dim = 16
        return o
    }

    // MARK: - Parity with fastText

    /// fastText (Python fasttext-numpy2-wheel, one thread) trained these configurations on
    /// trainer-train.txt; Tests/WinnowFastTextTests/Fixtures/make_trainer_fixtures.py recorded the
    /// size and FNV-1a 64 of each .bin. The same bytes check the dictionary (order of equal
    /// counts included), the hashes of words, word bigrams and character n-grams, the initial
    /// matrix, the labels drawn for multi-label lines and every SGD step of the three losses.
    @Test("trains byte-identical models to fastText", arguments: ["softmax-bigram", "ova-bigram", "hs-subwords"])
    func matchesFastText(name: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("trainer-reference.json")))
        let all = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        let reference = try #require(all[name])
        let args = try #require(reference["args"] as? [String: Any])
        var o = FastTextTrainingOptions()
        o.initThreads = 1  // fastText ran with thread=1
        for (key, value) in args {
            let n = value as? NSNumber
            switch key {
            case "dim": o.dim = n!.intValue
            case "epoch": o.epoch = n!.intValue
            case "lr": o.learningRate = n!.doubleValue
            case "wordNgrams": o.wordNgrams = n!.intValue
            case "bucket": o.bucket = n!.intValue
            case "minCount": o.minCount = n!.intValue
            case "minn": o.minn = n!.intValue
            case "maxn": o.maxn = n!.intValue
            case "seed": o.seed = n!.intValue
            case "loss": o.loss = ["ova": .oneVsAll, "hs": .hierarchicalSoftmax, "softmax": .softmax][value as! String]!
            default: Issue.record("unknown argument \(key)")
            }
        }
        let text = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Fixtures.path("trainer-train.txt"))))
        let result = try FastTextTrainer.train(text, path: "trainer-train.txt", options: o)
        #expect(result.modelBytes.count == reference["size"] as? Int)
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in result.modelBytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        #expect(String(h, radix: 16) == (reference["fnv64"] as? String).map { String(UInt64($0, radix: 16)!, radix: 16) })
    }

    // MARK: - Learning

    @Test("learns four topics to at least 95 % held-out accuracy")
    func learnsTopics() throws {
        let train = TrainingData.topics(count: 800, seed: 1)
        let test = TrainingData.topics(count: 200, seed: 2)
        let result = try FastTextTrainer.train(TrainingData.fastTextText(train), path: "topics", options: Self.small)
        let model = try FastTextModel(bytes: result.modelBytes)
        #expect(Set(model.labels) == ["__label__weather", "__label__food", "__label__sport", "__label__music"])
        let accuracy = TrainingData.accuracy(model, test)
        #expect(accuracy >= 0.95, "held-out accuracy \(accuracy)")
        // Untrained (0 epochs), the same model is at chance level.
        var untrained = Self.small
        untrained.epoch = 0
        let chance = TrainingData.accuracy(try FastTextModel(bytes: FastTextTrainer.train(
            TrainingData.fastTextText(train), path: "topics", options: untrained).modelBytes), test)
        #expect(chance < 0.5, "untrained accuracy \(chance)")
    }

    @Test("each loss learns the topics", arguments: [FastTextArguments.Loss.softmax, .oneVsAll, .hierarchicalSoftmax])
    func losses(loss: FastTextArguments.Loss) throws {
        var o = Self.small
        o.loss = loss
        o.epoch = 10
        o.learningRate = 0.3
        o.wordNgrams = 2
        o.bucket = 10_000
        let result = try FastTextTrainer.train(TrainingData.fastTextText(TrainingData.topics(count: 800, seed: 1)), path: "t", options: o)
        let model = try FastTextModel(bytes: result.modelBytes)
        #expect(model.arguments.loss == loss)
        #expect(model.arguments.wordNgrams == 2 && model.arguments.bucket == 10_000)
        #expect(TrainingData.accuracy(model, TrainingData.topics(count: 200, seed: 2)) >= 0.9)
    }

    /// TREC question types (../shared/data/classification), fastText's defaults: fastText itself
    /// reaches 82.8 % on TREC.test with them (docs/benchmarks.md).
    @Test("TREC coarse question types: at least 80 % test accuracy",
          .enabled(if: FileManager.default.fileExists(atPath: Self.trecFolder + "/TREC.train"),
                   "skipped: ../shared/data/classification is absent"))
    func trec() throws {
        func examples(_ name: String) throws -> [(label: String, text: String)] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.trecFolder + "/" + name))
            let text = String(bytes.map { Character(Unicode.Scalar($0)) })  // Latin-1
            return text.split(separator: "\n").compactMap { line in
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2 else { return nil }
                return (String(parts[0].split(separator: ":")[0]), String(parts[1]))
            }
        }
        let result = try FastTextTrainer.train(TrainingData.fastTextText(try examples("TREC.train")), path: "TREC.train")
        let accuracy = TrainingData.accuracy(try FastTextModel(bytes: result.modelBytes), try examples("TREC.test"))
        #expect(accuracy >= 0.8, "TREC test accuracy \(accuracy)")
    }

    static let trecFolder = Fixtures.packageRoot + "/../shared/data/classification"

    // MARK: - The written file

    /// The trained matrices, taken before they are written, give the probabilities the loader
    /// computes from the written file (written piece by piece to disk, read back: the same bytes
    /// as `modelBytes`).
    @Test("the written model reloads with the trained model's predictions")
    func reloads() throws {
        let train = TrainingData.topics(count: 400, seed: 3)
        let text = TrainingData.fastTextText(train)
        var o = Self.small
        o.wordNgrams = 2
        o.bucket = 5000
        let result = try FastTextTrainer.train(text, path: "t", options: o)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("winnow-trainer-\(getpid()).bin").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try result.write(toFile: file)
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: file))) == result.modelBytes)
        let model = try FastTextModel(contentsOf: file)

        // The same training, step by step, keeping the matrices.
        let corpus = try TokenizedCorpus(text, path: "t")
        let (dictionary, newId) = corpus.threshold(minCount: 1, minCountLabel: 0)
        let examples = Examples(corpus: corpus, dictionary: dictionary, newId: newId, options: o)
        var state = TrainingState(options: o, dictionary: dictionary)
        try state.run(examples, progress: nil)
        let dim = o.dim
        for (i, example) in train.enumerated() {
            let rows = examples.rows[(i == 0 ? 0 : examples.rowEnd[i - 1])..<examples.rowEnd[i]]
            #expect(Array(rows) == model.inputRows(example.text))
            var hidden = [Float](repeating: 0, count: dim)
            for r in rows { for j in 0..<dim { hidden[j] += state.input[Int(r) * dim + j] } }
            for j in 0..<dim { hidden[j] *= Float(1.0 / Double(rows.count)) }
            let logits = (0..<dictionary.nlabels).map { l in (0..<dim).reduce(Float(0)) { $0 + state.output[l * dim + $1] * hidden[$1] } }
            let mx = logits.max()!
            let e = logits.map { Double($0 - mx) }.map(exp)
            let p = e.map { $0 / e.reduce(0, +) }
            let predictions = model.predict(example.text, k: nil)
            #expect(predictions.count == dictionary.nlabels)
            #expect(predictions[0].labelIndex == p.indices.max { p[$0] < p[$1] })
            for q in predictions { #expect(abs(Double(q.probability) - p[q.labelIndex]) < 2e-5) }
        }
        #expect(model.labels == result.labels)
        #expect(model.wordCount == result.words)
    }

    @Test("same text, options and seed give identical bytes; another seed does not")
    func deterministic() throws {
        let text = TrainingData.fastTextText(TrainingData.topics(count: 300, seed: 4))
        var o = Self.small
        o.maxn = 3
        o.minn = 2
        o.bucket = 2000
        let a = try FastTextTrainer.train(text, path: "t", options: o).modelBytes
        let b = try FastTextTrainer.train(text, path: "t", options: o).modelBytes
        #expect(a == b)
        o.seed = 7
        let c = try FastTextTrainer.train(text, path: "t", options: o).modelBytes
        #expect(a != c && a.count == c.count)
    }

    // MARK: - Bad input

    @Test("a line without a label is an error naming file:line")
    func noLabel() throws {
        let text = Array("__label__a one two\n\n   \nthree four\n__label__b five\n".utf8)
        do {
            _ = try FastTextTrainer.train(text, path: "train.txt")
            Issue.record("expected an error")
        } catch let error as InputError {
            #expect(error.location.file == "train.txt" && error.location.line == 4)
            #expect(error.description.hasPrefix("train.txt:4: "))
            #expect(error.record == Array("three four".utf8))
        }
    }

    @Test("invalid UTF-8 is an error naming file:line")
    func invalidUTF8() throws {
        var text = Array("__label__a one\n__label__b caf".utf8)
        text += [0xE9, 0x20, 0x6F, 0x6B, 0x0A]  // Latin-1 é
        do {
            _ = try FastTextTrainer.train(text, path: "latin1.txt")
            Issue.record("expected an error")
        } catch let error as InputError {
            #expect(error.location.line == 2)
            #expect(error.description.contains("latin1.txt:2") && error.description.contains("UTF-8"))
        }
    }

    @Test("no surviving label, bad options and a diverging run are errors")
    func badOptions() throws {
        #expect(throws: FastTextTrainingError.self) { _ = try FastTextTrainer.train([], path: "empty.txt") }
        var o = FastTextTrainingOptions()
        o.minCountLabel = 5
        #expect(throws: FastTextTrainingError.self) {
            _ = try FastTextTrainer.train(Array("__label__a x\n__label__b y\n".utf8), path: "t", options: o)
        }
        // A learning rate that blows up ends with an error, where fastText stops with "Encountered NaN".
        var huge = FastTextTrainingOptions()
        huge.learningRate = 1000
        #expect(throws: FastTextTrainingError.self) {
            _ = try FastTextTrainer.train(TrainingData.fastTextText(TrainingData.topics(count: 200, seed: 5)), path: "t", options: huge)
        }
        for change in [{ (o: inout FastTextTrainingOptions) in o.dim = 0 }, { $0.learningRate = -1 }, { $0.loss = .negativeSampling },
                       { $0.wordNgrams = 2; $0.bucket = 0 }, { $0.minn = 5; $0.maxn = 3 }] {
            var bad = FastTextTrainingOptions()
            change(&bad)
            #expect(throws: FastTextTrainingError.self) { try bad.validate() }
        }
    }

    // MARK: - Pieces

    /// minstd_rand's 10000th value from the default seed (1) is 399268537 (C++ [rand.predef]).
    @Test("minstd_rand matches the C++ standard's check value")
    func minstd() {
        var rng = MinstdRandom(seed: 1)
        #expect(rng.next() == 48271)
        for _ in 0..<9998 { _ = rng.next() }
        #expect(rng.next() == 399_268_537)
        var zero = MinstdRandom(seed: 0)
        #expect(zero.next() == 48271)  // seed 0 becomes 1
        var u = MinstdRandom(seed: 3)
        for _ in 0..<1000 {
            let x = u.uniform(-0.25, 0.25)
            #expect(x >= -0.25 && x < 0.25)
            #expect((0...4).contains(u.uniformInt(upTo: 4)))
        }
    }

    @Test("libstdc++ std::sort emulation sorts, ties included", arguments: [0, 1, 2, 15, 16, 17, 100, 1000, 5000])
    func sorts(count: Int) {
        var state: UInt64 = UInt64(count) + 1
        var values = (0..<count).map { _ -> Int in
            state = state &* 6_364_136_223_846_793_005 &+ 1
            return Int(state >> 60)  // 16 distinct values: many ties
        }
        let expected = values.sorted(by: >)
        LibstdcxxSort.sort(&values, by: >)
        #expect(values == expected)
        var organPipe = Array(0..<count / 2) + Array((0..<count - count / 2).reversed())  // median-of-3 unfriendly
        let pipeExpected = organPipe.sorted()
        LibstdcxxSort.sort(&organPipe, by: <)
        #expect(organPipe == pipeExpected)
    }
}

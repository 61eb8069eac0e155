import Foundation
import Testing
import WinnowCore
@testable import WinnowLM

/// The repository root (this file is Tests/WinnowLMTests/KenLMParityTests.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// bench/.venv/bin/python when it can import kenlm, else nil.
func kenlmPython() -> String? {
    let python = repositoryRoot + "/bench/.venv/bin/python"
    guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = ["-c", "import kenlm"]
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return nil }
    p.waitUntilExit()
    return p.terminationStatus == 0 ? python : nil
}

@Suite("KenLM parity")
struct KenLMParityTests {
    @Test("an ARPA written by Winnow loads in kenlm and kenlm's sentence scores equal Winnow's within 1e-4")
    func kenlmScoresWinnowARPA() throws {
        guard let python = kenlmPython() else {
            try Test.cancel("bench/.venv/bin/python with the kenlm module is absent (bash bench/setup.sh)")
        }
        for order in [2, 3, 5] {
            var t = KneserNeyTrainer(order: order)
            for s in syntheticCorpus(sentences: 4000, seed: UInt64(order)) { t.add(sentence: s) }
            let dir = try temporaryFolder()
            let arpa = dir + "/m.arpa"
            try t.writeARPA(to: arpa)
            let model = try t.build()
            let sentences = ["w0 w1 w2 w3 w4", "w17 w3 w3 w0", "", "w0 unseen w2 w2999 w5", "w1 w1 w1 w1 w1 w1 w1 w1 w1"]
            let script = """
                import json, kenlm, math, sys
                m = kenlm.Model(sys.argv[1])
                print(json.dumps([math.fsum(p for p, _, _ in m.full_scores(s)) for s in json.loads(sys.argv[2])] + [m.order]))
                """
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = ["-c", script, arpa, String(decoding: try JSONEncoder().encode(sentences), as: UTF8.self)]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            let values = try JSONDecoder().decode([Double].self, from: data)
            #expect(Int(values.last!) == order)
            for (i, s) in sentences.enumerated() {
                let ours = model.sentenceLog10Probability(s.split(separator: " "))
                #expect(abs(ours - values[i]) < 1e-4, "order \(order) '\(s)': winnow \(ours), kenlm \(values[i])")
            }
        }
    }
}

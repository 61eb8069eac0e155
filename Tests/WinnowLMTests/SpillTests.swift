import Foundation
import Testing
import WinnowCore
@testable import WinnowLM

/// A fresh sandbox folder holding a sentinel file that must survive whatever the test deletes.
func spillSandbox(_ name: String = #function) throws -> (folder: String, sentinel: String) {
    let folder = try temporaryFolder(name)
    let sentinel = folder + "/sentinel.txt"
    try Data("must survive\n".utf8).write(to: URL(fileURLWithPath: sentinel))
    return (folder, sentinel)
}

/// The ARPA bytes of a model trained in memory and of one trained with `limit` bytes (spilling).
func inMemoryAndSpilled(order: Int, prune: [UInt64], limit: Int, sentences: Int, spillEvery: Int, in folder: String)
    throws -> (memory: [UInt8], spilled: [UInt8], runs: Int)
{
    var memory = KneserNeyTrainer(order: order, options: .init(prune: prune))
    var spilled = KneserNeyTrainer(order: order, options: .init(memoryLimit: limit, spillFolder: folder + "/spill", prune: prune))
    for (i, s) in syntheticCorpus(sentences: sentences, seed: UInt64(order)).enumerated() {
        memory.add(sentence: s)
        spilled.add(sentence: s)
        if i % spillEvery == spillEvery - 1 { try spilled.spillIfNeeded() }
    }
    try memory.writeARPA(to: folder + "/memory.arpa")
    try spilled.writeARPA(to: folder + "/spilled.arpa")
    return (
        Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/memory.arpa"))),
        Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/spilled.arpa"))), spilled.spilledRuns
    )
}

/// The first line where two texts differ (for a short failure message).
func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> String {
    let la = String(decoding: a, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    let lb = String(decoding: b, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0..<max(la.count, lb.count) {
        let x = i < la.count ? String(la[i]) : "(end)"
        let y = i < lb.count ? String(lb[i]) : "(end)"
        if x != y { return "line \(i + 1): '\(x)' vs '\(y)'" }
    }
    return "none"
}

@Suite("LM training with spilled counts")
struct SpillTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var order: Int
        var prune: [UInt64]
        var limit: Int
        var testDescription: String { "order \(order), prune \(prune), limit \(limit) B" }
    }

    // limit 1: every check spills, every sort buffer holds 16 records (thousands of runs, merged
    // in passes of 64); 256 KiB: fewer, larger runs and sorts that partly stay in memory.
    @Test(
        "a tiny memory limit (many sorted runs, merged on disk) gives the in-memory build's ARPA byte for byte",
        arguments: [
            Case(order: 3, prune: [], limit: 1), Case(order: 5, prune: [], limit: 1), Case(order: 3, prune: [0, 1, 1], limit: 1),
            Case(order: 5, prune: [0, 0, 1, 1, 2], limit: 1), Case(order: 2, prune: [], limit: 1), Case(order: 4, prune: [], limit: 256 << 10),
        ])
    func spilledEqualsInMemory(_ c: Case) throws {
        let (folder, sentinel) = try spillSandbox()
        let r = try inMemoryAndSpilled(order: c.order, prune: c.prune, limit: c.limit, sentences: 1500, spillEvery: 20, in: folder)
        #expect(r.runs > (c.limit == 1 ? RecordMerger.fanIn * (c.order - 1) : 1), "spilled only \(r.runs) runs")
        #expect(r.memory.count > 10_000)
        let same = r.spilled == r.memory
        #expect(same, "ARPA differs (\(r.spilled.count) vs \(r.memory.count) bytes): \(firstDifference(r.spilled, r.memory))")
        #expect(!FileManager.default.fileExists(atPath: folder + "/spill"), "the spill folder is left behind")
        #expect(FileManager.default.fileExists(atPath: sentinel))
        try FileManager.default.removeItem(atPath: folder)
    }

    @Test("ARPA sections list n-grams in suffix order (the canonical order both estimators write)")
    func suffixOrder() throws {
        let (folder, _) = try spillSandbox()
        var t = KneserNeyTrainer(order: 3)
        for s in syntheticCorpus(sentences: 500) { t.add(sentence: s) }
        try t.writeARPA(to: folder + "/m.arpa")
        let m = try NGramModel.load(path: folder + "/m.arpa")
        let text = try String(contentsOfFile: folder + "/m.arpa", encoding: .utf8)
        for section in ["\\2-grams:", "\\3-grams:"] {
            let body = text.components(separatedBy: section)[1].components(separatedBy: "\n\n")[0]
            let grams = body.split(separator: "\n").map { $0.split(separator: "\t")[1].split(separator: " ").map { m.id(of: $0) } }
            #expect(grams.count > 100)
            for (a, b) in zip(grams, grams.dropFirst()) {
                #expect(Array(a.reversed()).lexicographicallyPrecedes(Array(b.reversed())), "\(a) before \(b)")
            }
        }
        try FileManager.default.removeItem(atPath: folder)
    }

    @Test("build() of a spilled trainer scores exactly as the in-memory model")
    func spilledBuild() throws {
        let (folder, sentinel) = try spillSandbox()
        var memory = KneserNeyTrainer(order: 4)
        var spilled = KneserNeyTrainer(order: 4, options: .init(memoryLimit: 1, spillFolder: folder + "/spill"))
        for (i, s) in syntheticCorpus(sentences: 1500).enumerated() {
            memory.add(sentence: s)
            spilled.add(sentence: s)
            if i % 50 == 0 { try spilled.spillIfNeeded() }
        }
        #expect(spilled.spilledRuns > 0)
        let a = try memory.build()
        let b = try spilled.build()
        for probe in ["w0 w1 w2 w3", "w5 unknown w0", "", "w12 w12 w12 w12 w12"] {
            #expect(a.sentenceLog10Probability(words(probe)) == b.sentenceLog10Probability(words(probe)))
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/spill"))
        #expect(FileManager.default.fileExists(atPath: sentinel))
        try FileManager.default.removeItem(atPath: folder)
    }

    @Test("passing the limit without a spill folder is an error, not a crash")
    func noSpillFolder() throws {
        var t = KneserNeyTrainer(order: 3, options: .init(memoryLimit: 1))
        t.add(sentence: words("a b c d"))
        #expect(throws: LMError.self) { try t.spillIfNeeded() }
    }
}

@Suite("Spill folder ownership")
struct SpillFolderTests {
    @Test("a non-empty folder without the marker is refused and nothing in it is deleted")
    func refusesForeignFolder() throws {
        let (folder, sentinel) = try spillSandbox()
        let foreign = folder + "/spill"
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: false)
        try Data("user data\n".utf8).write(to: URL(fileURLWithPath: foreign + "/keep.txt"))
        var t = KneserNeyTrainer(order: 3, options: .init(memoryLimit: 1, spillFolder: foreign))
        t.add(sentence: words("a b c d"))
        #expect(throws: FileError.self) { try t.spillIfNeeded() }
        #expect(throws: Never.self) { try t.removeSpillFolder() }  // nothing spilled: nothing to remove
        #expect(FileManager.default.fileExists(atPath: foreign + "/keep.txt"))
        #expect(FileManager.default.fileExists(atPath: sentinel))
        try FileManager.default.removeItem(atPath: folder)
    }

    @Test("a folder a stopped run left (with the marker) is taken over, and removed at the end")
    func takesOverMarkedFolder() throws {
        let (folder, sentinel) = try spillSandbox()
        let stale = folder + "/spill"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: false)
        try Data("x".utf8).write(to: URL(fileURLWithPath: stale + "/" + SpillFolder.markerName))
        try Data("old run".utf8).write(to: URL(fileURLWithPath: stale + "/stale-0.run"))
        var t = KneserNeyTrainer(order: 3, options: .init(memoryLimit: 1, spillFolder: stale))
        for s in syntheticCorpus(sentences: 300) {
            t.add(sentence: s)
            try t.spillIfNeeded()
        }
        #expect(t.spilledRuns > 0)
        #expect(!FileManager.default.fileExists(atPath: stale + "/stale-0.run"))
        try t.writeARPA(to: folder + "/m.arpa")
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: folder + "/m.arpa"))
        #expect(FileManager.default.fileExists(atPath: sentinel))
        try FileManager.default.removeItem(atPath: folder)
    }

    @Test("deleting refuses files outside the marked folder and a folder whose marker is gone")
    func refusesOutside() throws {
        let (folder, sentinel) = try spillSandbox()
        let spill = try SpillFolder(creating: folder + "/spill")
        #expect(throws: LMError.self) { try spill.remove(sentinel) }
        #expect(throws: LMError.self) { try spill.remove(folder + "/spill/../sentinel.txt") }
        #expect(throws: LMError.self) { try spill.remove(folder + "/spill/" + SpillFolder.markerName) }
        let run = spill.file("x")
        try Data("r".utf8).write(to: URL(fileURLWithPath: run))
        try FileManager.default.removeItem(atPath: folder + "/spill/" + SpillFolder.markerName)
        #expect(throws: LMError.self) { try spill.removeAll() }
        #expect(throws: LMError.self) { try spill.remove(run) }
        #expect(FileManager.default.fileExists(atPath: run))
        #expect(FileManager.default.fileExists(atPath: sentinel))
        try FileManager.default.removeItem(atPath: folder)
    }
}

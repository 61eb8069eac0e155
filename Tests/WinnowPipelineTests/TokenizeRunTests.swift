import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowTokenizers

/// The small byte-level BPE of the tokenizer tests.
private let smallBPE: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0 ..< 2 { url.deleteLastPathComponent() }
    return url.path + "/WinnowTokenizersTests/Fixtures/bpe-small-tokenizer.json"
}()

/// Three JSONL files of varied documents; returns the texts in input order.
private func writeDocs(_ dir: String) throws -> [String] {
    var texts: [String] = []
    try FileSystem.createDirectory(dir + "/in")
    let words = ["Hello", "world", "it's", "8,849", "metres", "Crème", "brûlée", "東京", "emoji 👍🏽", "tabs\tand", "new\nlines"]
    for f in 0 ..< 3 {
        var out: [UInt8] = []
        for i in 0 ..< 40 {
            let text = (0 ..< (3 + (i * 7 + f) % 23)).map { words[($0 * 5 + i + f) % words.count] }.joined(separator: " ")
            texts.append(text)
            JSONLCodec().encode(Document(id: "f\(f)-\(i)", text: text), into: &out)
        }
        try FileSystem.writeAll(dir + "/in/part-\(f).jsonl", out)
    }
    return texts
}

/// A Megatron indexed dataset read as megatron-core's `_IndexReader` documents it.
private func readMegatron(_ prefix: String) throws -> (dtype: UInt8, documents: [[UInt32]]) {
    let idx = try FileSystem.readAll(prefix + ".idx")
    let bin = try FileSystem.readAll(prefix + ".bin")
    func u64(_ at: Int) -> UInt64 { (0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(idx[at + $1]) << (8 * UInt64($1)) } }
    #expect(Array(idx[0 ..< 9]) == Array("MMIDIDX".utf8) + [0, 0])
    #expect(u64(9) == 1)
    let code = idx[17]
    let n = Int(u64(18))
    #expect(Int(u64(26)) == n + 1)
    let size = code == 8 ? 2 : 4
    var documents: [[UInt32]] = []
    for k in 0 ..< n {
        let length = Int(UInt32(idx[34 + 4 * k]) | UInt32(idx[35 + 4 * k]) << 8 | UInt32(idx[36 + 4 * k]) << 16 | UInt32(idx[37 + 4 * k]) << 24)
        let pointer = Int(u64(34 + 4 * n + 8 * k))
        documents.append((0 ..< length).map { t in
            (0 ..< size).reduce(UInt32(0)) { $0 | UInt32(bin[pointer + t * size + $1]) << (8 * UInt32($1)) }
        })
    }
    let documentIndices = (0 ... n).map { u64(34 + 12 * n + 8 * $0) }
    #expect(documentIndices == (0 ... UInt64(n)).map { $0 })
    #expect(idx.count == 34 + 12 * n + 8 * (n + 1))
    return (code, documents)
}

@Suite("tokenize stage runs", .serialized)
struct TokenizeRunTests {
    @Test("Megatron and datatrove shards: every document + EOS once, shuffled, byte-identical for 1 and 3 workers; token_count on each document")
    func shards() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileSystem.writeAll(dir + "/sentinel.txt", Array("keep me".utf8))
        let texts = try writeDocs(dir)
        let tokenizer = try HuggingFaceTokenizer(file: smallBPE)
        let eos = try #require(tokenizer.tokenID("!"))
        var files: [[String: [UInt8]]] = []
        for workers in [1, 3] {
            let recipe = """
                name: tok
                input: { path: "in/*.jsonl", shard_size: 1KiB }
                output: { path: out\(workers), format: jsonl }
                seed: 7
                stages:
                  - tokenize: { tokenizer: "hf:\(smallBPE)", format: both, eos_token: "!" }
                """
            try FileSystem.writeAll(dir + "/r.yaml", Array(recipe.utf8))
            let r = try runWinnow(["run", "r.yaml", "--workers", "\(workers)", "--quiet"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            var found: [String: [UInt8]] = [:]
            for name in ["tokens.bin", "tokens.idx", "tokens.ds", "tokens.ds.index", "tokens.ds.metadata"] {
                found[name] = try FileSystem.readAll(dir + "/out\(workers)/tokens/" + name)
            }
            files.append(found)
            // metadata.token_count: the tokenizer's count, without EOS.
            let docs = try readOutput(dir + "/out\(workers)")
            #expect(docs.count == texts.count)
            for d in docs { #expect(d.metadata["token_count"]?.intValue == Int64(tokenizer.encode(d.text).count), "\(d.id)") }
        }
        #expect(files[0] == files[1], "shards differ between 1 and 3 workers")
        let (code, documents) = try readMegatron(dir + "/out1/tokens/tokens")
        #expect(code == 8)  // uint16: the vocabulary is small
        let expected = texts.map { tokenizer.encode($0).map { UInt32(bitPattern: $0) } + [UInt32(bitPattern: eos)] }
        #expect(documents.map { $0.map(String.init).joined(separator: ",") }.sorted() == expected.map { $0.map(String.init).joined(separator: ",") }.sorted())
        #expect(documents != expected, "not shuffled")
        // datatrove: the same tokens, and uint64 document ends.
        let ds = try #require(files[0]["tokens.ds"])
        #expect(ds == files[0]["tokens.bin"])
        let index = try #require(files[0]["tokens.ds.index"])
        #expect(index.count == 8 * texts.count)
        let last = (0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(index[index.count - 8 + $1]) << (8 * UInt64($1)) }
        #expect(last == UInt64(ds.count / 2))
        #expect(String(decoding: try #require(files[0]["tokens.ds.metadata"]), as: UTF8.self).hasPrefix("hf:\(smallBPE)|2\n"))
        // `winnow tokenize --count-only` counts the same tokens; a rerun with --overwrite leaves the stray file.
        let count = try runWinnow(["tokenize", "--count-only", "--tokenizer", "hf:\(smallBPE)", "out1", "in/*.jsonl"], in: dir)
        #expect(count.status == 0, "\(count.stderr)")
        let total = expected.reduce(0) { $0 + $1.count - 1 }
        let lines = count.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.first { $0.first == "out1" }.map { Array($0.dropFirst(2)) } == ["120", "\(total)"], "\(count.stdout)")
        #expect(lines.first { $0.first == "in/*.jsonl" } == ["in/*.jsonl", "3", "120", "\(total)"], "\(count.stdout)")
        #expect(lines.first { $0.first == "total" }.map { Array($0.dropFirst(2)) } == ["240", "\(2 * total)"], "\(count.stdout)")
        #expect(try FileSystem.readAll(dir + "/sentinel.txt") == Array("keep me".utf8))
    }

    @Test("bad tokenize parameters are errors naming the recipe line")
    func badParameters() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try writeDocs(dir)
        for (stage, message) in [
            ("{ tokenizer: \"hf:/nonexistent/tokenizer.json\" }", "cannot read"),
            ("{ tokenizer: \"hf:\(smallBPE)\", format: megatron }", "no end-of-text token"),
            ("{ tokenizer: \"hf:\(smallBPE)\", format: parquet }", "format"),
            ("{ tokenizer: \"hf:\(smallBPE)\", prefix: \"../x\" }", "prefix"),
        ] {
            let recipe = "name: t\ninput: { path: \"in/*.jsonl\" }\noutput: { path: out }\nstages:\n  - tokenize: \(stage)\n"
            try FileSystem.writeAll(dir + "/r.yaml", Array(recipe.utf8))
            let r = try runWinnow(["run", "r.yaml", "--quiet"], in: dir)
            #expect(r.status == 1, "\(stage): \(r.stderr)")
            #expect(r.stderr.contains("r.yaml:5") && r.stderr.contains(message), "\(stage): \(r.stderr)")
        }
    }
}

import Foundation
import Testing
import WinnowCore
import WinnowIO

@Suite("Readers and shards")
struct ReaderTests {
    func writeJSONL(_ path: String, count: Int, compression: Compression = .none) throws -> [String] {
        var out: [UInt8] = []
        var texts: [String] = []
        var rng = SplitMix(state: 3)
        for i in 0..<count {
            let text = String(repeating: "w\(i % 17) ", count: Int(rng.next() % 50) + 1) + "é東"
            texts.append(text)
            JSONLCodec().encode(Document(id: "d\(i)", text: text), into: &out)
            if i % 10 == 0 { out += [0x0A] }  // blank lines are skipped
        }
        try writeCompressed(path, out, compression)
        return texts
    }

    @Test("byte-range shards tile a file exactly", arguments: [97, 1000, 4096, 50_000])
    func byteRanges(shardBytes: Int) throws {
        let dir = try temporaryFolder()
        let texts = try writeJSONL(dir + "/in.jsonl", count: 2000)
        let shards = try planShards(files: [dir + "/in.jsonl"], root: dir, options: ReaderOptions(), shardBytes: Int64(shardBytes))
        #expect(shards.count > 1)
        let docs = try readAll(shards, ReaderOptions())
        #expect(docs.map(\.text) == texts)
        #expect(docs.map(\.id) == (0..<2000).map { "d\($0)" })
    }

    @Test("compressed files are one shard each")
    func compressedShards() throws {
        let dir = try temporaryFolder()
        let texts = try writeJSONL(dir + "/in.jsonl.gz", count: 500, compression: .gzip)
        let shards = try planShards(files: [dir + "/in.jsonl.gz"], root: dir, options: ReaderOptions(), shardBytes: 100)
        #expect(shards.count == 1)
        #expect(try readAll(shards, ReaderOptions()).map(\.text) == texts)
    }

    @Test("default ids are <file>/<line index>, also in later byte ranges")
    func defaultIDs() throws {
        let dir = try temporaryFolder()
        let lines = (0..<300).map { #"{"text":"document \#($0) with padding padding padding"}"# }.joined(separator: "\n")
        try FileSystem.writeAll(dir + "/n.jsonl", Array(lines.utf8))
        let shards = try planShards(files: [dir + "/n.jsonl"], root: dir, options: ReaderOptions(), shardBytes: 1000)
        let docs = try readAll(shards, ReaderOptions())
        #expect(docs.map(\.id) == (0..<300).map { "n.jsonl/\($0)" })
    }

    @Test("a bad line names file and line, and reading goes on after it")
    func badLine() throws {
        let dir = try temporaryFolder()
        let path = dir + "/bad.jsonl"
        try FileSystem.writeAll(path, Array("{\"text\":\"one\"}\n{\"text\": oops}\n{\"text\":\"three\"}\n".utf8))
        let shard = try planShards(files: [path], root: dir, options: ReaderOptions(), shardBytes: 1 << 20)[0]
        let r = try makeReader(for: shard, options: ReaderOptions())
        #expect(try r.next()?.text == "one")
        let error = #expect(throws: InputError.self) { _ = try r.next() }
        #expect(error?.description.hasPrefix(path + ":2:") == true)
        #expect(error?.record == Array("{\"text\": oops}".utf8))
        #expect(try r.next()?.text == "three")
        #expect(try r.next() == nil)
    }

    @Test("a bad line in a later byte range reports its absolute line number")
    func badLineInRange() throws {
        let dir = try temporaryFolder()
        let path = dir + "/bad.jsonl"
        var lines = (0..<200).map { #"{"text":"document \#($0) padded padded padded"}"# }
        lines[150] = #"{"text":"broken"#
        try FileSystem.writeAll(path, Array(lines.joined(separator: "\n").utf8))
        let shards = try planShards(files: [path], root: dir, options: ReaderOptions(), shardBytes: 700)
        var found: InputError?
        for s in shards {
            let r = try makeReader(for: s, options: ReaderOptions())
            while true {
                do { guard try r.next() != nil else { break } } catch let e as InputError { found = e }
            }
        }
        #expect(found?.location.line == 151)
    }

    @Test("a line over max_line_bytes is an error and reading goes on")
    func hugeLine() throws {
        let dir = try temporaryFolder()
        let path = dir + "/huge.jsonl"
        let big = "{\"text\":\"" + String(repeating: "x", count: 3_000_000) + "\"}"
        try FileSystem.writeAll(path, Array(("{\"text\":\"a\"}\n" + big + "\n{\"text\":\"b\"}\n").utf8))
        var options = ReaderOptions()
        options.maxLineBytes = 1 << 20
        let r = try makeReader(for: InputShard(index: 0, path: path, name: "huge.jsonl", size: 0), options: options)
        #expect(try r.next()?.text == "a")
        let error = #expect(throws: InputError.self) { _ = try r.next() }
        #expect(error?.location.line == 2)
        #expect(try r.next()?.text == "b")
        // Under the default limit the same line reads fine.
        let r2 = try makeReader(for: InputShard(index: 0, path: path, name: "huge.jsonl", size: 0), options: ReaderOptions())
        _ = try r2.next()
        #expect(try r2.next()?.text.count == 3_000_000)
    }

    @Test("text: per file, per line, per paragraph")
    func text() throws {
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/a.txt", Array("first para\nstill first\n\n\nsecond para\n  \nthird".utf8))
        var o = ReaderOptions()
        o.format = .text
        let shard = InputShard(index: 0, path: dir + "/a.txt", name: "a.txt", size: 0)
        o.split = .file
        #expect(try readAll([shard], o).map(\.text) == ["first para\nstill first\n\n\nsecond para\n  \nthird"])
        #expect(try readAll([shard], o).map(\.id) == ["a.txt"])
        o.split = .line
        #expect(try readAll([shard], o).map(\.text) == ["first para", "still first", "second para", "third"])
        o.split = .paragraph
        let paras = try readAll([shard], o)
        #expect(paras.map(\.text) == ["first para\nstill first", "second para", "third"])
        #expect(paras.map(\.id) == ["a.txt/0", "a.txt/1", "a.txt/2"])
    }

    @Test("text with invalid UTF-8 names the line")
    func textInvalidUTF8() throws {
        let dir = try temporaryFolder()
        try FileSystem.writeAll(dir + "/b.txt", Array("good\nbad ".utf8) + [0xFF, 0xFE] + Array("\nlater".utf8))
        var o = ReaderOptions()
        o.format = .text
        o.split = .line
        let r = try makeReader(for: InputShard(index: 0, path: dir + "/b.txt", name: "b.txt", size: 0), options: o)
        #expect(try r.next()?.text == "good")
        let error = #expect(throws: InputError.self) { _ = try r.next() }
        #expect(error?.location.line == 2)
        #expect(try r.next()?.text == "later")
    }

    @Test("glob expands *, ? and ** in byte order")
    func glob() throws {
        let dir = try temporaryFolder()
        for p in ["a/x1.txt", "a/x2.txt", "a/b/x3.txt", "a/y.md", "c.txt"] {
            try FileSystem.writeAll(dir + "/" + p, [0x41])
        }
        #expect(try FileSystem.glob(dir + "/a/*.txt") == [dir + "/a/x1.txt", dir + "/a/x2.txt"])
        #expect(try FileSystem.glob(dir + "/a/x?.txt").count == 2)
        #expect(try FileSystem.glob(dir + "/**/*.txt") == [dir + "/a/b/x3.txt", dir + "/a/x1.txt", dir + "/a/x2.txt", dir + "/c.txt"])
        #expect(try FileSystem.glob(dir + "/nothing/*.txt").isEmpty)
    }
}

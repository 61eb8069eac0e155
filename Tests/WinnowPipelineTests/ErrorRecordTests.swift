import Foundation
import Testing
import WinnowCore
import WinnowIO
@testable import WinnowPipeline

@Suite("errors.jsonl records")
struct ErrorRecordTests {
    @Test("a huge bad line keeps its first 64 KiB and its length in errors.jsonl; the run goes on")
    func hugeBadRecordIsCapped() throws {
        let dir = try temporaryFolder()
        // 3 MB of NUL bytes (each escapes to six bytes of JSON) on a line that is not JSON,
        // between two good records.
        var bytes = Array("{\"id\":\"a\",\"text\":\"first good one\"}\n".utf8)
        bytes += [UInt8](repeating: 0, count: 3 << 20) + [0x0A]
        bytes += Array("{\"id\":\"b\",\"text\":\"second good one\"}\n".utf8)
        try FileSystem.writeAll(dir + "/in.jsonl", bytes)
        let recipe = """
            name: capped
            input: { path: "\(dir)/in.jsonl", format: jsonl }
            output: { path: "\(dir)/out", format: jsonl }
            on_error: skip
            stages: []

            """
        let r = try Recipe.decode(recipe, file: "capped.yaml")
        _ = try PipelineRunner(recipe: r, options: RunOptions(workers: 1), progress: ProgressReporter(quiet: true)).run()
        #expect(try readOutput(dir + "/out").map(\.id) == ["a", "b"])
        let errors = try FileSystem.readAll(dir + "/out/errors.jsonl")
        #expect(errors.count < 600 << 10)  // not 18 MB of escaped NULs
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(errors)) as? [String: Any])
        #expect(obj["record_bytes"] as? Int == 3 << 20)
        #expect(obj["record_truncated"] as? Bool == true)
        #expect((obj["record"] as? String)?.utf8.count == 64 << 10)
        #expect(obj["line"] as? Int == 2)
    }

    @Test("the prefix never cuts a UTF-8 sequence")
    func utf8Prefix() {
        let bytes = Array("aé€😀".utf8)  // 1 + 2 + 3 + 4 bytes
        #expect(PipelineRunner.utf8Prefix(bytes, 2) == 1)
        #expect(PipelineRunner.utf8Prefix(bytes, 3) == 3)
        #expect(PipelineRunner.utf8Prefix(bytes, 5) == 3)
        #expect(PipelineRunner.utf8Prefix(bytes, 6) == 6)
        #expect(PipelineRunner.utf8Prefix(bytes, 9) == 6)
        #expect(PipelineRunner.utf8Prefix(bytes, 10) == 10)
    }
}

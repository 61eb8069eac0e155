import Testing
@testable import WinnowFuzz
import WinnowCore
import WinnowIO

/// A reader with the bug the harness must catch: it throws the same error forever without
/// moving forward (a pipeline with `on_error: skip` would never end on it).
private final class EndlessErrorReader: DocumentReader {
    var bytesRead: Int64 { 7 }
    var storedBytesRead: Int64 { 7 }
    func next() throws -> Document? { throw InputError("bad record", at: SourceLocation(file: "x.jsonl", byteOffset: 7)) }
}

/// A reader that skips a bad record and moves on each time, then ends.
private final class SkippingReader: DocumentReader {
    private var calls: Int64 = 0
    var bytesRead: Int64 { calls }
    var storedBytesRead: Int64 { calls }
    func next() throws -> Document? {
        calls += 1
        if calls > 5_000 { return nil }
        if calls % 2 == 0 { throw InputError("bad record", at: SourceLocation(file: "x.jsonl", byteOffset: calls)) }
        return Document(id: "\(calls)", text: "t")
    }
}

@Suite("Fuzz harness")
struct HarnessTests {
    @Test("a reader that throws without moving forward is a finding; one that moves on is not")
    func stuckReader() throws {
        guard case .failure(let finding) = drain(EndlessErrorReader(), target: "t") else {
            Issue.record("an endless error loop was not reported")
            return
        }
        #expect(finding.message.contains("without moving on"))
        guard case .success(let result) = drain(SkippingReader(), target: "t") else {
            Issue.record("a reader that skips bad records was reported")
            return
        }
        #expect(result.documents.count == 2_500)
        #expect(result.inputErrors.count == 2_500)
    }

    @Test("the streaming sources see their input in uneven pieces and give the file's bytes")
    func chunkedSource() throws {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = bytes.withUnsafeBytes { b in
            ScratchFile.with(b, suffix: ".bin") { path in (try? FileSource(path: path)).map { decodeAll($0, seed: 3) } }
        }
        let pieces = decodeAll(ChunkedMemorySource(bytes, seed: 99), seed: 5)
        #expect(whole == .some(pieces))
        #expect(pieces.count == 100_000 && pieces.error == nil)
        #expect(decodeAll(ChunkedMemorySource(Array(bytes.dropLast()), seed: 99), seed: 5) != pieces)
    }
}

@Suite("Strict JSON check")
struct StrictJSONTests {
    @Test("accepts RFC 8259 JSON", arguments: [
        #"{"a":[1,-0,0.5,1e10,2E-3,true,false,null,"\u00e9\n\/"]}"#, " [ ] ", #""x""#, "-12", "{\"é\":{}}",
    ])
    func valid(text: String) {
        #expect(StrictJSON.problem(in: Array(text.utf8)) == nil)
    }

    @Test("refuses what Python's json and lenient parsers accept", arguments: [
        "NaN", "Infinity", "-Infinity", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "1e", "+1", "\"\t\"", "\"\\x\"", "{} {}", "\"\\u12\"", "'a'",
    ])
    func invalid(text: String) {
        #expect(StrictJSON.problem(in: Array(text.utf8)) != nil)
    }

    @Test("refuses invalid UTF-8")
    func invalidUTF8() {
        #expect(StrictJSON.problem(in: [0x22, 0xFF, 0x22]) == "not valid UTF-8")
    }
}

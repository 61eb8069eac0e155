import Foundation
import Testing

// The command examples in README.md and docs/*.md whose output is shown are run here, so the
// docs cannot drift from what `winnow` does.
//
// Convention: an HTML comment on the line before a fenced block marks it.
//
//     <!-- doc-test -->            the block's commands run in a fresh sandbox folder
//     <!-- doc-test: serve -->     the same, with a `winnow serve` running; `localhost:8080` in
//                                  the commands is that server (a free loopback port)
//
// In a marked block, a line starting with `$ ` is a command (`sh -c`; a line ending in `\`, or
// a next line starting with `> ` as the shell's second prompt, continues it: the `> ` is not
// part of the command) and the lines up to the next command are its standard output (standard error
// is not compared; the command must exit 0). `winnow`, `.build/release/winnow` and
// `.build/debug/winnow` are the debug build under test. Output is compared line by line, blank
// lines at either end ignored: `…` in a line matches any text, a line holding only `…` any number
// of lines. Output starting with `{` or `[` is compared as JSON: objects must have the same keys
// (in any order), a number matches to the digits shown (±1 in the last one), `…` as a value
// matches any value, as an array element any number of elements, and inside a string any text.
//
// The sandbox is a new temporary folder with copies of `pipelines/` and `corpora/fixtures/` and
// a sentinel file that must survive; commands never run in the repository. Models come from the
// repository's `models/` through WINNOW_MODELS.

/// One marked block.
struct DocExample: Sendable, CustomTestStringConvertible {
    struct Step: Sendable {
        var line: Int
        var command: String
        var expected: [String]
    }
    var file: String
    var line: Int
    var serve: Bool
    var steps: [Step]
    var testDescription: String { "\(file):\(line)" }
}

enum DocExamples {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0 ..< 3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// README.md and docs/*.md, relative to the root.
    static var files: [String] {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }

    /// Every marked block, and the problems found in markers (a marker without a block, …).
    static func load() -> (examples: [DocExample], problems: [String]) {
        var examples: [DocExample] = []
        var problems: [String] = []
        for file in files {
            guard let text = try? String(contentsOfFile: root + "/" + file, encoding: .utf8) else {
                problems.append("\(file): unreadable")
                continue
            }
            let (found, bad) = parse(text, file: file)
            examples += found
            problems += bad
        }
        return (examples, problems)
    }

    static func parse(_ text: String, file: String) -> ([DocExample], [String]) {
        let lines = text.components(separatedBy: "\n")
        var examples: [DocExample] = []
        var problems: [String] = []
        var i = 0
        while i < lines.count {
            let marker = lines[i].trimmingCharacters(in: .whitespaces)
            guard marker.hasPrefix("<!-- doc-test") else { i += 1; continue }
            let option = marker.dropFirst("<!-- doc-test".count).dropLast(marker.hasSuffix("-->") ? 3 : 0)
                .trimmingCharacters(in: .whitespaces)
            guard option == "" || option == ": serve" else {
                problems.append("\(file):\(i + 1): unknown marker \(marker)")
                i += 1
                continue
            }
            guard i + 1 < lines.count, lines[i + 1].hasPrefix("```") else {
                problems.append("\(file):\(i + 1): the marker is not followed by a fenced block")
                i += 1
                continue
            }
            var example = DocExample(file: file, line: i + 2, serve: option == ": serve", steps: [])
            var j = i + 2
            while j < lines.count, !lines[j].hasPrefix("```") {
                let line = lines[j]
                if line.hasPrefix("$ ") {
                    var command = String(line.dropFirst(2))
                    let start = j
                    while j + 1 < lines.count, command.hasSuffix("\\") || lines[j + 1].hasPrefix("> ") {
                        j += 1
                        command += "\n" + (lines[j].hasPrefix("> ") ? String(lines[j].dropFirst(2)) : lines[j])
                    }
                    example.steps.append(.init(line: start + 1, command: command, expected: []))
                } else if !example.steps.isEmpty {
                    example.steps[example.steps.count - 1].expected.append(line)
                } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                    problems.append("\(file):\(j + 1): output before the block's first `$ ` command")
                }
                j += 1
            }
            if j == lines.count { problems.append("\(file):\(i + 2): the fenced block is not closed") }
            if example.steps.isEmpty { problems.append("\(file):\(i + 2): a marked block without a `$ ` command") }
            examples.append(example)
            i = j + 1
        }
        return (examples, problems)
    }

    static let all = load()

    // MARK: - Running

    /// WINNOW_MODELS for the commands: the caller's, else the repository's models/.
    static var modelsFolder: String {
        if let m = ProcessInfo.processInfo.environment["WINNOW_MODELS"], !m.isEmpty { return m }
        return root + "/models"
    }

    /// A fresh sandbox: pipelines/, corpora/fixtures/, a sentinel; and a folder beside it for
    /// the `winnow` link and the commands' captured output.
    static func sandbox() throws -> (base: String, dir: String, aux: String) {
        let base = try temporaryFolder("docexample")
        let dir = base + "/sandbox"
        let aux = base + "/aux"
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/corpora", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: aux + "/bin", withIntermediateDirectories: true)
        try fm.copyItem(atPath: root + "/pipelines", toPath: dir + "/pipelines")
        try fm.copyItem(atPath: root + "/corpora/fixtures", toPath: dir + "/corpora/fixtures")
        try "keep me\n".write(toFile: dir + "/sentinel.txt", atomically: false, encoding: .utf8)
        try fm.createSymbolicLink(atPath: aux + "/bin/winnow", withDestinationPath: winnowBinary())
        return (base, dir, aux)
    }

    static func sentinelSurvived(_ dir: String) -> Bool {
        (try? String(contentsOfFile: dir + "/sentinel.txt", encoding: .utf8)) == "keep me\n"
    }

    /// Runs one documented command with `sh -c` in the sandbox.
    static func run(_ command: String, in dir: String, aux: String, port: Int? = nil) throws -> ProcessResult {
        var text = command
            .replacingOccurrences(of: ".build/release/winnow", with: "winnow")
            .replacingOccurrences(of: ".build/debug/winnow", with: "winnow")
        if let port {
            text = text.replacingOccurrences(of: "localhost:8080", with: "127.0.0.1:\(port)")
                .replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(port)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", text]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = aux + "/bin:" + (env["PATH"] ?? "/usr/bin:/bin")
        env["WINNOW_MODELS"] = modelsFolder
        p.environment = env
        let out = aux + "/stdout", err = aux + "/stderr"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let o = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        let e = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        p.standardOutput = o
        p.standardError = e
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try o.close()
        try e.close()
        return ProcessResult(
            status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
            stdout: try String(contentsOfFile: out, encoding: .utf8), stderr: try String(contentsOfFile: err, encoding: .utf8))
    }

    /// Runs every step of an example; records an issue per mismatch.
    static func check(_ example: DocExample, in dir: String, aux: String, port: Int? = nil) throws {
        for step in example.steps {
            let where_ = "\(example.file):\(step.line): $ \(step.command)"
            let r = try run(step.command, in: dir, aux: aux, port: port)
            guard r.status == 0, !r.signaled else {
                Issue.record("\(where_)\nexit status \(r.status)\nstderr:\n\(r.stderr.suffix(2000))")
                continue
            }
            if let problem = OutputMatch.mismatch(expected: step.expected, actual: r.stdout) {
                Issue.record("\(where_)\n\(problem)\n--- documented:\n\(step.expected.joined(separator: "\n"))\n--- actual:\n\(r.stdout.prefix(4000))")
            }
        }
    }
}

// MARK: - Matching

enum OutputMatch {
    static let ellipsis = "…"

    /// nil when the output matches the documented lines, else what differs.
    static func mismatch(expected: [String], actual: String) -> String? {
        let want = trimBlank(expected.map(rstrip))
        let got = trimBlank(actual.components(separatedBy: "\n").map(rstrip))
        let joined = want.joined(separator: "\n")
        if joined.hasPrefix("{") || joined.hasPrefix("[") {
            guard let e = try? MiniJSON.parse(joined, allowEllipsis: true) else { return "the documented output is not JSON (with `…`)" }
            guard let a = try? MiniJSON.parse(got.joined(separator: "\n"), allowEllipsis: false) else { return "the output is not JSON" }
            return MiniJSON.mismatch(e, a, path: "$")
        }
        return linesMatch(want[...], got[...]) ? nil : "the output differs"
    }

    static func rstrip(_ s: String) -> String {
        var s = Substring(s)
        while let last = s.last, last == " " || last == "\t" || last == "\r" { s = s.dropLast() }
        return String(s)
    }

    static func trimBlank(_ lines: [String]) -> [String] {
        var l = lines[...]
        while let f = l.first, f.isEmpty { l = l.dropFirst() }
        while let b = l.last, b.isEmpty { l = l.dropLast() }
        return Array(l)
    }

    static func linesMatch(_ want: ArraySlice<String>, _ got: ArraySlice<String>) -> Bool {
        guard let first = want.first else { return got.isEmpty }
        if first == ellipsis {
            var rest = got
            while true {
                if linesMatch(want.dropFirst(), rest) { return true }
                guard !rest.isEmpty else { return false }
                rest = rest.dropFirst()
            }
        }
        guard let line = got.first, textMatches(first, line) else { return false }
        return linesMatch(want.dropFirst(), got.dropFirst())
    }

    /// `pattern` with `…` matching any text.
    static func textMatches(_ pattern: String, _ text: String) -> Bool {
        let parts = pattern.components(separatedBy: ellipsis)
        guard parts.count > 1 else { return pattern == text }
        guard text.hasPrefix(parts[0]), text.dropFirst(parts[0].count).hasSuffix(parts[parts.count - 1]) else { return false }
        var rest = Substring(text.dropFirst(parts[0].count).dropLast(parts[parts.count - 1].count))
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let r = rest.range(of: part) else { return false }
            rest = rest[r.upperBound...]
        }
        return true
    }
}

/// A small JSON reader that keeps number literals (to compare at the documented precision)
/// and reads `…` outside strings as a wildcard.
indirect enum MiniJSON: Equatable {
    case object([String: MiniJSON]), array([MiniJSON]), string(String), number(String), bool(Bool), null, any

    struct Failure: Error { var offset: Int }

    static func parse(_ text: String, allowEllipsis: Bool) throws -> MiniJSON {
        var p = Parser(bytes: Array(text.utf8), allowEllipsis: allowEllipsis)
        let v = try p.value()
        p.skipSpace()
        guard p.i == p.bytes.count else { throw Failure(offset: p.i) }
        return v
    }

    struct Parser {
        var bytes: [UInt8]
        var allowEllipsis: Bool
        var i = 0

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
        }

        mutating func value() throws -> MiniJSON {
            skipSpace()
            guard i < bytes.count else { throw Failure(offset: i) }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var members: [String: MiniJSON] = [:]
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard case .string(let key) = try value() else { throw Failure(offset: i) }
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Failure(offset: i) }
                    i += 1
                    members[key] = try value()
                    skipSpace()
                    guard i < bytes.count else { throw Failure(offset: i) }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    guard bytes[i] == UInt8(ascii: "}") else { throw Failure(offset: i) }
                    i += 1
                    return .object(members)
                }
            case UInt8(ascii: "["):
                i += 1
                var elements: [MiniJSON] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(elements) }
                while true {
                    elements.append(try value())
                    skipSpace()
                    guard i < bytes.count else { throw Failure(offset: i) }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    guard bytes[i] == UInt8(ascii: "]") else { throw Failure(offset: i) }
                    i += 1
                    return .array(elements)
                }
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                guard i < bytes.count else { throw Failure(offset: start) }
                i += 1
                let literal = Data(bytes[start ..< i])
                guard let s = try? JSONDecoder().decode(String.self, from: literal) else { throw Failure(offset: start) }
                return .string(s)
            case 0xE2 where allowEllipsis && i + 2 < bytes.count && bytes[i + 1] == 0x80 && bytes[i + 2] == 0xA6:
                i += 3
                return .any
            default:
                for (word, v) in [("true", MiniJSON.bool(true)), ("false", .bool(false)), ("null", .null)]
                where bytes[i...].starts(with: word.utf8) {
                    i += word.utf8.count
                    return v
                }
                let start = i
                while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
                let literal = String(decoding: bytes[start ..< i], as: UTF8.self)
                guard i > start, Double(literal) != nil else { throw Failure(offset: start) }
                return .number(literal)
            }
        }
    }

    /// nil when `actual` matches the documented `expected`, else where and how it differs.
    static func mismatch(_ expected: MiniJSON, _ actual: MiniJSON, path: String) -> String? {
        switch (expected, actual) {
        case (.any, _):
            return nil
        case (.string(let e), .string(let a)):
            return OutputMatch.textMatches(e, a) ? nil : "\(path): \(a.debugDescription), documented \(e.debugDescription)"
        case (.number(let e), .number(let a)):
            guard let ev = Double(e), let av = Double(a) else { return "\(path): bad number" }
            let mantissa = e.lowercased().split(separator: "e", maxSplits: 1)[0]
            let decimals = mantissa.split(separator: ".", maxSplits: 1).dropFirst().first?.count ?? 0
            let exponent = e.lowercased().split(separator: "e", maxSplits: 1).dropFirst().first.flatMap { Double($0) } ?? 0
            let tolerance = decimals == 0 && exponent == 0 ? 0 : pow(10, exponent - Double(decimals))
            return abs(ev - av) <= tolerance * (1 + 1e-9) ? nil : "\(path): \(a), documented \(e)"
        case (.bool(let e), .bool(let a)):
            return e == a ? nil : "\(path): \(a), documented \(e)"
        case (.null, .null):
            return nil
        case (.array(let e), .array(let a)):
            let wild = e.indices.filter { e[$0] == .any }
            guard let k = wild.first else {
                guard e.count == a.count else { return "\(path): \(a.count) elements, documented \(e.count)" }
                for (n, (x, y)) in zip(e, a).enumerated() {
                    if let m = mismatch(x, y, path: "\(path)[\(n)]") { return m }
                }
                return nil
            }
            guard wild.count == 1 else { return "\(path): the documented array has more than one `…`" }
            let tail = e.count - k - 1
            guard a.count >= k + tail else { return "\(path): \(a.count) elements, documented at least \(k + tail)" }
            for n in 0 ..< k {
                if let m = mismatch(e[n], a[n], path: "\(path)[\(n)]") { return m }
            }
            for n in 0 ..< tail {
                let ai = a.count - tail + n
                if let m = mismatch(e[k + 1 + n], a[ai], path: "\(path)[\(ai)]") { return m }
            }
            return nil
        case (.object(let e), .object(let a)):
            let missing = Set(e.keys).subtracting(a.keys).sorted()
            let extra = Set(a.keys).subtracting(e.keys).sorted()
            guard missing.isEmpty, extra.isEmpty else {
                return "\(path): keys not returned \(missing), keys returned but not documented \(extra)"
            }
            for key in e.keys.sorted() {
                if let m = mismatch(e[key]!, a[key]!, path: "\(path).\(key)") { return m }
            }
            return nil
        default:
            return "\(path): \(actual), documented \(expected)"
        }
    }
}

// MARK: - Tests

@Suite("Doc examples (README.md, docs/*.md)")
struct DocExampleTests {
    @Test("the docs mark their examples with well-formed `<!-- doc-test -->` blocks")
    func markers() {
        let (examples, problems) = DocExamples.all
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        #expect(examples.contains { $0.file == "README.md" && !$0.serve })
        #expect(examples.contains { $0.file == "docs/recipes.md" && !$0.serve })
        #expect(examples.contains { $0.file == "docs/server.md" && $0.serve })
    }

    @Test("the matcher: `…` in lines and JSON, numbers to the documented digits, keys exact")
    func matcher() throws {
        #expect(OutputMatch.mismatch(expected: ["a 1.0 s (… MB/s)", "…", "end"], actual: "\na 1.0 s (3.2 MB/s)\nx\ny\nend\n\n") == nil)
        #expect(OutputMatch.mismatch(expected: ["a 1.0 s"], actual: "a 1.5 s") != nil)
        #expect(OutputMatch.mismatch(expected: ["a", "b"], actual: "a") != nil)
        let e = #"{"v": [0.0332, -0.0044, …], "n": 16, "s": "tiktoken:…/gpt2.tiktoken", "t": …}"#
        #expect(OutputMatch.mismatch(expected: [e], actual: #"{"n":16,"s":"tiktoken:/m/gpt2.tiktoken","t":{"x":1},"v":[0.03324157,-0.0044060834,1,2]}"#) == nil)
        #expect(OutputMatch.mismatch(expected: [e], actual: #"{"n":18,"s":"tiktoken:/m/gpt2.tiktoken","t":1,"v":[0.0332,-0.0044]}"#) != nil)
        #expect(OutputMatch.mismatch(expected: [e], actual: #"{"n":16,"s":"tiktoken:/m/gpt2.tiktoken","t":1,"v":[0.0364,-0.0044]}"#) != nil)
        #expect(OutputMatch.mismatch(expected: [e], actual: #"{"n":16,"s":"tiktoken:/m/gpt2.tiktoken","t":1,"v":[0.0332,-0.0044],"x":0}"#) != nil)
        #expect(OutputMatch.mismatch(expected: [#"{"a": [1, …, 9]}"#], actual: #"{"a": [1, 2, 3, 9]}"#) == nil)
        #expect(OutputMatch.mismatch(expected: [#"{"a": [1, …, 9]}"#], actual: #"{"a": [1, 2, 3, 8]}"#) != nil)
    }

    @Test("a documented command runs as shown", arguments: DocExamples.all.examples.filter { !$0.serve })
    func example(_ example: DocExample) throws {
        let (base, dir, aux) = try DocExamples.sandbox()
        try DocExamples.check(example, in: dir, aux: aux)
        #expect(DocExamples.sentinelSurvived(dir))
        try? FileManager.default.removeItem(atPath: base)
    }

    static let serverModels = ["all-MiniLM-L6-v2/model.safetensors", "gpt2.tiktoken", "wordfreq-large-en.msgpack"]
    static var missingServerModels: [String] {
        serverModels.filter { !FileManager.default.fileExists(atPath: DocExamples.modelsFolder + "/" + $0) }
    }

    @Test("the server examples answer as shown (one `winnow serve` on a free loopback port)",
          .enabled(if: DocExampleTests.missingServerModels.isEmpty, "missing \(DocExampleTests.missingServerModels.map { DocExamples.modelsFolder + "/" + $0 }) (make deps-models)"))
    func serverExamples() throws {
        let examples = DocExamples.all.examples.filter(\.serve)
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            try Test.cancel("the server examples are curl commands and /usr/bin/curl is absent")
        }
        let (base, dir, aux) = try DocExamples.sandbox()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let log = aux + "/serve.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let server = Process()
        server.executableURL = URL(fileURLWithPath: winnowBinary())
        server.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--no-cache", "--workers", "2"]
        server.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["WINNOW_MODELS"] = DocExamples.modelsFolder
        server.environment = env
        server.standardOutput = handle
        server.standardError = handle
        server.standardInput = FileHandle.nullDevice
        try server.run()
        defer {
            if server.isRunning { server.terminate() }
            server.waitUntilExit()
            try? handle.close()
        }
        // The port it bound, from its "listening on http://127.0.0.1:PORT" line (loading the
        // models takes a while in a debug build on a busy machine; no deadline but its exit).
        var port: Int?
        while port == nil, server.isRunning {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let r = text.range(of: "listening on http://127.0.0.1:") {
                port = Int(text[r.upperBound...].prefix { $0.isNumber })
            } else {
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        guard let port else {
            Issue.record("winnow serve exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            return
        }
        for example in examples {
            try DocExamples.check(example, in: dir, aux: aux, port: port)
        }
        #expect(DocExamples.sentinelSurvived(dir))
    }
}

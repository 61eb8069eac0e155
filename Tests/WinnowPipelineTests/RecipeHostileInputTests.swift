import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline

/// Recipes that are hostile or broken: every refusal names `file:line:column`, and no recipe
/// can make the loader exhaust memory.
@Suite("Recipes: hostile and broken input")
struct RecipeHostileInputTests {
    static let tail = "input: {path: a}\noutput: {path: o}\nstages: []\n"

    /// 9 levels of anchors, each a list of 10 aliases to the one before: about 10^9 values
    /// once expanded, from 600 bytes.
    static let billionLaughs: String = {
        var s = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
        for k in 1..<names.count {
            let prev = names[k - 1]
            s += "\(names[k]): &\(names[k]) [" + Array(repeating: "*\(prev)", count: 10).joined(separator: ",") + "]\n"
        }
        return s + tail
    }()

    @Test("a 'billion laughs' recipe is refused at the first value that expands past the limit (in process)")
    func billionLaughsInProcess() throws {
        // Guard: only run in process when the loader refuses it quickly (the subprocess test
        // below shows what the old loader did); a regression would exhaust memory here.
        let error = #expect(throws: ConfigError.self) { _ = try Recipe.decode(Self.billionLaughs, file: "r.yaml") }
        // e = 1 + 10 × d = 111,111 values, the first over 100,000: line 5, where `e` is written.
        #expect(error?.description.hasPrefix("r.yaml:5:") == true, "\(error?.description ?? "no error")")
        #expect(error?.message.contains("aliases") == true)
        #expect(error?.message.contains("111111") == true)
    }

    @Test("a 'billion laughs' recipe: winnow run exits 1 with the line, under a 1.5 GB address-space limit")
    func billionLaughsCommand() throws {
        let dir = try temporaryFolder()
        let sentinel = dir + "/sentinel.txt"
        try FileSystem.writeAll(sentinel, Array("keep".utf8))
        try FileSystem.writeAll(dir + "/laughs.yaml", Array(Self.billionLaughs.utf8))
        // The limit makes the old behaviour (gigabytes, then SIGABRT) fail fast instead of
        // taking the machine's memory.
        let r = try runUnderMemoryLimit(kilobytes: 1_500_000, [winnowBinary(), "run", "laughs.yaml"], in: dir)
        #expect(!r.signaled && r.status == 1, "status \(r.status), signaled \(r.signaled): \(r.stderr)")
        #expect(r.stderr.contains("laughs.yaml:5:"), "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: sentinel))
    }

    @Test("aliases within the limit still work")
    func modestAliases() throws {
        let text = "input: {path: a}\noutput: {path: o}\nstages:\n  - length: &len {min_words: 3}\n  - length: *len\n"
        let r = try Recipe.decode(text, file: "r.yaml")
        #expect(r.stages.map(\.name) == ["length", "length"])
    }

    @Test("a key given twice is reported where it is given the second time", arguments: [
        ("workers: 2\n" + tail + "workers: 3\n", "r.yaml:5:1: key 'workers' given twice"),
        ("input:\n  path: a\n  path: b\noutput: {path: o}\nstages: []\n", "r.yaml:3:3: key 'path' given twice"),
        ("input: {path: a, path: b}\noutput: {path: o}\nstages: []\n", "r.yaml:1:18: key 'path' given twice"),
        ("input: {path: a}\noutput: {path: o}\nstages:\n  - length:\n      min_words: 2\n      min_words: 3\n",
         "r.yaml:6:7: key 'min_words' given twice"),
    ])
    func duplicateKeys(text: String, prefix: String) {
        let error = #expect(throws: ConfigError.self) { _ = try Recipe.decode(text, file: "r.yaml") }
        #expect(error?.description.hasPrefix(prefix) == true, "\(error?.description ?? "no error")")
    }

    @Test("invalid UTF-8 in a recipe file is reported at its line and column")
    func invalidUTF8() throws {
        let dir = try temporaryFolder()
        let path = dir + "/r.yaml"
        // Line 3, after "  path: " and "é" (a two-byte character: column 10 counts characters).
        var bytes = Array("name: t\ninput:\n  path: é".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("x\noutput: {path: o}\nstages: []\n".utf8)
        try FileSystem.writeAll(path, bytes)
        let error = #expect(throws: ConfigError.self) { _ = try Recipe.load(path: path) }
        #expect(error?.description.hasPrefix(path + ":3:10: recipe is not valid UTF-8") == true, "\(error?.description ?? "no error")")
    }

    @Test("a control character is reported at its line and column")
    func controlCharacter() {
        let text = "name: t\u{01}x\n" + Self.tail
        let error = #expect(throws: ConfigError.self) { _ = try Recipe.decode(text, file: "r.yaml") }
        #expect(error?.description.hasPrefix("r.yaml:1:8:") == true, "\(error?.description ?? "no error")")
    }

    @Test("a recipe file over 1 MiB is refused before it is read")
    func oversizeRecipe() throws {
        let dir = try temporaryFolder()
        let path = dir + "/big.yaml"
        let filler = String(repeating: "# padding padding padding padding padding padding padding padding\n", count: 20_000)
        try FileSystem.writeAll(path, Array((Self.tail + filler).utf8))
        let error = #expect(throws: ConfigError.self) { _ = try Recipe.load(path: path) }
        #expect(error?.message.contains("more than the 1048576") == true, "\(error?.description ?? "no error")")
    }
}

/// Runs a command through `/bin/sh` with `ulimit -v` (virtual memory, in KiB) in a folder.
func runUnderMemoryLimit(kilobytes: Int, _ command: [String], in dir: String) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "ulimit -v \(kilobytes) && exec \"$@\"", "sh"] + command
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let r = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ProcessResult(
        status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
        stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: r, as: UTF8.self))
}

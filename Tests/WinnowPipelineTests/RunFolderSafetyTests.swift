import Foundation
import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline
import WinnowStore

/// The run-folder safety model (issue 15 §1). Every dangerous path is exercised in a child
/// `winnow` process whose working directory and HOME are a fresh sandbox folder, with sentinel
/// files beside and inside it that must survive. `/` is only ever given without `--overwrite`
/// (and to the pure checker), so a broken guard still could not delete anything outside.
@Suite("Run folder safety")
struct RunFolderSafetyTests {
    /// A sandbox: `root/sentinel.txt` beside the box, `box/` is the child's working directory
    /// with `keep.txt`, `home/` (the child's HOME, with `keep.txt`), an input corpus in `in/`
    /// and a recipe `r.yaml` with the given output path.
    struct Sandbox {
        let root: String
        var box: String { root + "/box" }
        var home: String { box + "/home" }

        init(_ name: String = #function) throws {
            root = try temporaryFolder("safety-" + name)
            try FileSystem.writeAll(root + "/sentinel.txt", Array("beside the sandbox\n".utf8))
            try FileSystem.createDirectory(box + "/in")
            try FileSystem.createDirectory(home)
            try FileSystem.writeAll(box + "/keep.txt", Array("in the working directory\n".utf8))
            try FileSystem.writeAll(home + "/keep.txt", Array("in the home folder\n".utf8))
            var jsonl: [UInt8] = []
            for i in 0..<40 {
                JSONLCodec().encode(Document(id: "d\(i)", text: "document number \(i) has enough words in it"), into: &jsonl)
            }
            try FileSystem.writeAll(box + "/in/part-0.jsonl", jsonl)
        }

        func recipe(output: String, input: String = "in/*.jsonl") throws {
            var quoted: [UInt8] = []
            JSONLCodec.appendString(output, to: &quoted)
            let text = """
                name: safety
                input: { path: "\(input)", format: jsonl }
                output: { path: \(String(decoding: quoted, as: UTF8.self)), format: jsonl }
                stages:
                  - length: { min_words: 3 }

                """
            try FileSystem.writeAll(box + "/r.yaml", Array(text.utf8))
        }

        func run(_ args: [String]) throws -> ProcessResult {
            try runWinnow(args, in: box, env: ["HOME": home])
        }

        /// Every path under the sandbox root with its size, to prove nothing changed.
        func listing() throws -> [String] {
            var out: [String] = []
            func walk(_ dir: String, _ rel: String) throws {
                for name in try FileSystem.list(dir) {
                    let p = dir + "/" + name
                    let r = rel.isEmpty ? name : rel + "/" + name
                    if FileSystem.isDirectory(p) && !FileSystem.isSymlink(p) {
                        out.append(r + "/")
                        try walk(p, r)
                    } else {
                        out.append(r + " " + String((try? FileSource.size(path: p)) ?? -1))
                    }
                }
            }
            try walk(root, "")
            return out
        }

        func expectSentinels() {
            #expect(FileSystem.exists(root + "/sentinel.txt"))
            #expect(FileSystem.exists(box + "/keep.txt"))
            #expect(FileSystem.exists(home + "/keep.txt"))
            #expect(FileSystem.exists(box + "/in/part-0.jsonl"))
        }
    }

    // MARK: - Refused output paths

    /// Output values that must be refused with exit 1 and a message, nothing written or deleted,
    /// with `--overwrite` (the most dangerous flag) given each time.
    @Test(
        "refused output paths, with --overwrite, in a sandbox",
        arguments: [
            ("", "empty"),
            (" ", "empty"),
            (".", "is the current directory"),
            ("./", "is the current directory"),
            ("in/..", "is the current directory"),
            ("..", "contains the current directory"),
            ("../..", "contains the current directory"),
            ("@BOX", "is the current directory"),
            ("@ROOT", "contains the current directory"),
            ("@HOME", "is the home folder"),
            ("home", "is the home folder"),
            ("home/../home/", "is the home folder"),
            ("in", "contains the input file"),
            ("in/part-0.jsonl", "is the input file"),
            ("link-to-box", "is the current directory"),
            ("link-to-home", "is the home folder"),
            ("link-to-root", "contains the current directory"),
            ("mine", "is not a Winnow run folder"),
            ("keep.txt", "is not a folder"),
        ])
    func refused(output: String, reason: String) throws {
        let s = try Sandbox("refused")
        try FileSystem.createDirectory(s.box + "/mine")
        try FileSystem.writeAll(s.box + "/mine/thesis.tex", Array("years of work\n".utf8))
        _ = symlink(s.box, s.box + "/link-to-box")
        _ = symlink(s.home, s.box + "/link-to-home")
        _ = symlink(s.root, s.box + "/link-to-root")
        let path = output.replacingOccurrences(of: "@BOX", with: s.box).replacingOccurrences(of: "@ROOT", with: s.root)
            .replacingOccurrences(of: "@HOME", with: s.home)
        try s.recipe(output: path)
        let before = try s.listing()
        // Through the recipe's output.path…
        let viaRecipe = try s.run(["run", "r.yaml", "--overwrite"])
        #expect(viaRecipe.status == 1, "output '\(path)': \(viaRecipe.stderr)")
        #expect(viaRecipe.stderr.contains(reason), "output '\(path)': \(viaRecipe.stderr)")
        // … and through --output, which overrides it.
        try s.recipe(output: "out-unused")
        let viaOption = try s.run(["run", "r.yaml", "--overwrite", "--output", path])
        #expect(viaOption.status == 1, "--output '\(path)': \(viaOption.stderr)")
        #expect(viaOption.stderr.contains(reason), "--output '\(path)': \(viaOption.stderr)")
        try s.recipe(output: path)
        #expect(try s.listing() == before, "something was written or deleted for output '\(path)'")
        s.expectSentinels()
        #expect(FileSystem.exists(s.box + "/mine/thesis.tex"))
    }

    @Test("the filesystem root is refused (never with --overwrite: the pure check and a plain run)")
    func root() throws {
        let s = try Sandbox()
        #expect(throws: RunFolderError.self) { try RunFolder.checkOutputPath("/", inputs: []) }
        #expect(throws: RunFolderError.self) { try RunFolder.checkOutputPath("/../", inputs: []) }
        try s.recipe(output: "/")
        let before = try s.listing()
        let r = try s.run(["run", "r.yaml"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("is the filesystem root"), "\(r.stderr)")
        #expect(try s.listing() == before)
        #expect(!FileSystem.exists("/run.sqlite") && !FileSystem.exists("/.winnow-run"))
    }

    @Test("the checker refuses the current directory, its ancestors and the home folder of this process too")
    func checkerInProcess() throws {
        let cwd = try #require(FileSystem.currentDirectory())
        for p in [".", "./", cwd, FileSystem.parent(of: cwd), "..", ""] {
            #expect(throws: RunFolderError.self, "\(p)") { try RunFolder.checkOutputPath(p, inputs: []) }
        }
        if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty {
            #expect(throws: RunFolderError.self) { try RunFolder.checkOutputPath(home, inputs: []) }
        }
        let dir = try temporaryFolder()
        #expect(try RunFolder.checkOutputPath(dir + "/out", inputs: [dir + "/in.jsonl"]) == FileSystem.resolve(dir + "/out"))
    }

    @Test("an output that an input pattern could match later is refused; one beside the inputs is fine")
    func patterns() throws {
        let s = try Sandbox()
        try FileSystem.createDirectory(s.box + "/in/sub")
        try s.recipe(output: "in/out", input: "in/**/*.jsonl")
        let deep = try s.run(["run", "r.yaml"])
        #expect(deep.status == 1)
        #expect(deep.stderr.contains("could match the run's own files"), "\(deep.stderr)")
        try s.recipe(output: "in/out", input: "in/*/*")
        #expect(try s.run(["run", "r.yaml"]).status == 1)
        // `in/*.jsonl` never reaches a file inside in/out/: allowed.
        try s.recipe(output: "in/out", input: "in/*.jsonl")
        let ok = try s.run(["run", "r.yaml"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(FileSystem.exists(s.box + "/in/out/.winnow-run"))
        s.expectSentinels()
    }

    // MARK: - Cleaning only what Winnow wrote

    @Test("--overwrite removes only Winnow's names: a stray user file and a symlink's target survive")
    func overwriteKeepsStrays() throws {
        let s = try Sandbox()
        try s.recipe(output: "out")
        let first = try s.run(["run", "r.yaml"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileSystem.isRegularFile(s.box + "/out/.winnow-run"))
        // A user's notes in the run folder, and symlinks where Winnow's own names are.
        try FileSystem.writeAll(s.box + "/out/notes.txt", Array("mine\n".utf8))
        try FileSystem.createDirectory(s.box + "/precious")
        try FileSystem.writeAll(s.box + "/precious/a.txt", Array("do not delete\n".utf8))
        _ = symlink(s.box + "/precious", s.box + "/out/work")
        _ = symlink(s.box + "/precious", s.box + "/out/data/linked")
        let again = try s.run(["run", "r.yaml", "--overwrite"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(FileSystem.exists(s.box + "/out/notes.txt"))
        #expect(FileSystem.exists(s.box + "/precious/a.txt"))
        #expect(!FileSystem.exists(s.box + "/out/data/linked"))
        #expect(FileSystem.exists(s.box + "/out/data/part-00000.jsonl"))
        s.expectSentinels()
    }

    @Test("a run folder of an older version (manifest, no marker) is recognised; a fake manifest is not")
    func legacyAndFake() throws {
        let s = try Sandbox()
        try s.recipe(output: "old")
        #expect(try s.run(["run", "r.yaml"]).status == 0)
        try FileSystem.remove(s.box + "/old/.winnow-run")  // as an older Winnow left it
        let over = try s.run(["run", "r.yaml", "--overwrite"])
        #expect(over.status == 0, "\(over.stderr)")
        try FileSystem.createDirectory(s.box + "/fake")
        try FileSystem.writeAll(s.box + "/fake/run.sqlite", Array("not a database\n".utf8))
        try FileSystem.writeAll(s.box + "/fake/data.csv", Array("a,b\n".utf8))
        try s.recipe(output: "fake")
        let refused = try s.run(["run", "r.yaml", "--overwrite"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is not a Winnow run folder"), "\(refused.stderr)")
        #expect(FileSystem.exists(s.box + "/fake/data.csv") && FileSystem.exists(s.box + "/fake/run.sqlite"))
        s.expectSentinels()
    }

    @Test("an empty existing folder is taken over and marked")
    func emptyFolder() throws {
        let s = try Sandbox()
        try FileSystem.createDirectory(s.box + "/empty")
        try s.recipe(output: "empty")
        let r = try s.run(["run", "r.yaml"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileSystem.isRegularFile(s.box + "/empty/.winnow-run"))
    }

    // MARK: - One process per run folder

    @Test("a second process on a locked run folder refuses at once, naming the holder; nothing changes")
    func lockRefusesSecondProcess() throws {
        let s = try Sandbox()
        try s.recipe(output: "out")
        #expect(try s.run(["run", "r.yaml"]).status == 0)
        let before = try s.listing()
        // This test process holds the run (flock conflicts across processes).
        var held: RunFolder? = try RunFolder.open(s.box + "/out", inputs: [], mode: .resume)
        for args in [["run", "r.yaml"], ["run", "r.yaml", "--resume"], ["run", "r.yaml", "--overwrite"]] {
            let r = try s.run(args)
            #expect(r.status == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("is in use by another winnow process (pid \(getpid()))"), "\(args): \(r.stderr)")
        }
        #expect(try s.listing() == before)
        held?.unlock()
        held = nil
        let after = try s.run(["run", "r.yaml", "--overwrite"])
        #expect(after.status == 0, "\(after.stderr)")
        _ = held
    }

    @Test("task processes share the folder; a whole run beside them refuses")
    func sharedLockForTasks() throws {
        let s = try Sandbox()
        try s.recipe(output: "out")
        let task = try RunFolder.open(s.box + "/out", inputs: [], mode: .task)
        let r = try s.run(["run", "r.yaml", "--overwrite"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("running tasks of it"), "\(r.stderr)")
        // Another task process may join.
        let other = try RunFolder.open(s.box + "/out", inputs: [], mode: .task)
        other.unlock()
        task.unlock()
    }

    @Test("two real winnow run processes at once: the second refuses, naming the first; the first completes")
    func twoProcesses() throws {
        let s = try Sandbox()
        // A corpus big enough that the first run is still working when the test stops it.
        var jsonl: [UInt8] = []
        for i in 0..<60_000 {
            JSONLCodec().encode(Document(id: "b\(i)", text: "bulk document \(i) with several words in it"), into: &jsonl)
        }
        try FileSystem.writeAll(s.box + "/in/part-0.jsonl", jsonl)
        try s.recipe(output: "out")
        let first = Process()
        first.executableURL = URL(fileURLWithPath: winnowBinary())
        first.arguments = ["run", "r.yaml", "--quiet", "--workers", "1"]
        first.currentDirectoryURL = URL(fileURLWithPath: s.box)
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = s.home
        first.environment = env
        first.standardError = FileHandle.nullDevice
        try first.run()
        // As soon as the first process holds the lock (it writes its pid into run.lock), stop it
        // with SIGSTOP, so it holds the run for as long as the test needs: no timing involved.
        var polls = 0
        while polls < 20_000 && first.isRunning {
            if let text = try? FileSystem.readAll(s.box + "/out/run.lock"), String(decoding: text, as: UTF8.self).contains("pid") {
                break
            }
            usleep(2_000)
            polls += 1
        }
        kill(first.processIdentifier, SIGSTOP)
        try #require(first.isRunning, "the first run ended before it could be stopped")
        let second = try s.run(["run", "r.yaml", "--overwrite"])
        #expect(second.status == 1, "\(second.stderr)")
        #expect(second.stderr.contains("is in use by another winnow process (pid \(first.processIdentifier))"), "\(second.stderr)")
        let resume = try s.run(["run", "r.yaml", "--resume"])
        #expect(resume.status == 1, "\(resume.stderr)")
        kill(first.processIdentifier, SIGCONT)
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(try readOutput(s.box + "/out").count == 60_000)
        s.expectSentinels()
    }

    // MARK: - Single output files

    @Test("single-file outputs: a folder, a device, an input or someone's file is refused; Winnow's own file is replaced")
    func outputFiles() throws {
        let s = try Sandbox()
        let input = s.box + "/in/part-0.jsonl"
        #expect(throws: RunFolderError.self) { try OutputFile.check("", inputs: [input], kind: .npy, overwrite: true) }
        #expect(throws: RunFolderError.self) { try OutputFile.check(s.box, inputs: [input], kind: .npy, overwrite: true) }
        #expect(throws: RunFolderError.self) { try OutputFile.check("/dev/null", inputs: [input], kind: .npy, overwrite: true) }
        #expect(throws: RunFolderError.self) { try OutputFile.check(input, inputs: [input], kind: .npy, overwrite: true) }
        _ = symlink(input, s.box + "/alias.jsonl")
        #expect(throws: RunFolderError.self) { try OutputFile.check(s.box + "/alias.jsonl", inputs: [input], kind: .npy, overwrite: true) }
        // Someone's file: refused unless --overwrite.
        #expect(throws: RunFolderError.self) { try OutputFile.check(s.box + "/keep.txt", inputs: [input], kind: .npy, overwrite: false) }
        try OutputFile.check(s.box + "/keep.txt", inputs: [input], kind: .npy, overwrite: true)
        // A .npy file (Winnow's kind) and an empty file may be replaced.
        try FileSystem.writeAll(s.box + "/v.npy", [0x93] + Array("NUMPY\u{1}\u{0}".utf8))
        try OutputFile.check(s.box + "/v.npy", inputs: [input], kind: .npy, overwrite: false)
        try FileSystem.writeAll(s.box + "/empty.bin", [])
        try OutputFile.check(s.box + "/empty.bin", inputs: [input], kind: .fastText, overwrite: false)
        try OutputFile.check(s.box + "/new.npy", inputs: [input], kind: .npy, overwrite: false)
        s.expectSentinels()
    }

    @Test("winnow select to a single file refuses to replace its input and someone's file")
    func selectCommand() throws {
        let s = try Sandbox()
        let args = ["select", "--method", "top-k", "--score", "n", "--count", "3", "--input", "in/part-0.jsonl"]
        let onInput = try s.run(args + ["--output", "in/part-0.jsonl", "--overwrite"])
        #expect(onInput.status == 1)
        #expect(onInput.stderr.contains("is the input file"), "\(onInput.stderr)")
        try FileSystem.writeAll(s.box + "/theirs.jsonl", Array("{\"id\":\"x\",\"text\":\"theirs\"}\n".utf8))
        let onTheirs = try s.run(args + ["--output", "theirs.jsonl"])
        #expect(onTheirs.status == 1)
        #expect(onTheirs.stderr.contains("pass --overwrite"), "\(onTheirs.stderr)")
        #expect(try FileSystem.readAll(s.box + "/theirs.jsonl").count > 0)
        s.expectSentinels()
    }
}

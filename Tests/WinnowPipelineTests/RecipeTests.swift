import Testing
import WinnowCore
import WinnowIO
import WinnowPipeline

@Suite("Recipes")
struct RecipeTests {
    let good = """
        name: t
        input: { path: "in/*.jsonl", format: jsonl, shard_size: 1MB }
        output: { path: out, format: jsonl.zst, keep_removed: true }
        workers: 2
        seed: 7
        on_error: skip
        stages:
          - length: { min_words: 3 }
          - exact_dedup: {}
          - sample:
              fraction: 0.5
        """

    @Test("a good recipe decodes")
    func decodes() throws {
        let r = try Recipe.decode(good, file: "r.yaml")
        #expect(r.name == "t")
        #expect(r.stages.map(\.name) == ["length", "exact_dedup", "sample"])
        #expect(r.input.shardBytes == 1_000_000)
        #expect(r.input.root == "in")
        #expect(r.output.format == .jsonlZstd)
        #expect(r.onError == .skip && r.seed == 7 && r.workers == 2)
    }

    @Test("the planner cuts at corpus stages")
    func plan() throws {
        let r = try Recipe.decode(good, file: "r.yaml")
        let p = Plan(recipe: r, shards: [])
        #expect(p.phases.count == 2)
        #expect(p.phases[0].documentStages.map(\.name) == ["length"])
        #expect(p.phases[0].observe?.name == "exact_dedup")
        #expect(p.phases[0].materializes)
        #expect(p.phases[1].decide?.name == "exact_dedup")
        #expect(p.phases[1].documentStages.map(\.name) == ["sample"])
        #expect(p.phases[1].isFinal && p.phases[1].source == .phase(0))
    }

    @Test("a phase that only observes passes its source on")
    func noMaterialise() throws {
        let r = try Recipe.decode(
            "input: {path: a}\noutput: {path: o}\nstages:\n  - exact_dedup: {}\n", file: "r.yaml")
        let p = Plan(recipe: r, shards: [])
        #expect(!p.phases[0].materializes)
        #expect(p.phases[1].source == .input)
    }

    @Test("an observe-only phase over compressed input writes plain JSONL for the next phase")
    func materialiseCompressed() throws {
        let r = try Recipe.decode("input: {path: a}\noutput: {path: o}\nstages:\n  - exact_dedup: {}\n", file: "r.yaml")
        let p = Plan(recipe: r, shards: [InputShard(index: 0, path: "x.jsonl.gz", name: "x.jsonl.gz", size: 10)])
        #expect(p.phases[0].materializes)
        #expect(p.phases[0].workFormat == .jsonl)
        #expect(p.phases[1].source == .phase(0))
        #expect(p.phaseOutput(phase: 0, shard: 3) == "work/phase-0/part-00003.jsonl")
    }

    @Test("errors name the recipe file, line and column", arguments: [
        ("input: {path: a}\noutput: {path: o}\nstages: []\nworkerz: 2\n", "r.yaml:4:10: unknown key 'workerz'"),
        ("input: {path: a, formt: jsonl}\noutput: {path: o}\nstages: []\n", "r.yaml:1:25: unknown key 'formt' in input"),
        ("input: {path: a}\noutput: {path: o}\nstages:\n  - lenght: {min_words: 2}\n", "r.yaml:4:5: unknown stage 'lenght'"),
        ("input: {path: a}\noutput: {path: o}\nstages:\n  - length:\n      min_word: 2\n", "r.yaml:5:17: stage 'length' has no parameter 'min_word'"),
        ("input: {path: a}\noutput: {path: o}\nstages:\n  - length: {min_words: many}\n", "r.yaml:4:25: stage 'length': 'min_words' must be an integer"),
        ("input: {path: a, format: xml}\noutput: {path: o}\nstages: []\n", "r.yaml:1:26: input.format must be one of"),
        ("output: {path: o}\nstages: []\n", "r.yaml:1:1: recipe needs 'input'"),
        ("input: {path: a}\noutput: {path: o}\nstages: [\n", "r.yaml:"),
    ])
    func errors(text: String, prefix: String) {
        let error = #expect(throws: ConfigError.self) { _ = try Recipe.decode(text, file: "r.yaml") }
        #expect(error?.description.hasPrefix(prefix) == true, "\(error?.description ?? "no error")")
    }

    @Test("the registry documents every stage")
    func registry() {
        let text = StageRegistry.standard.render(markdown: true)
        for d in StageRegistry.standard.descriptors {
            #expect(text.contains("## `\(d.name)`"))
            for p in d.parameters { #expect(text.contains("`\(p.name)`")) }
            for r in d.dropReasons { #expect(text.contains("`\(r)`")) }
        }
    }
}

import Testing
import WinnowCore

@Suite("Stage parameters")
struct StageParametersTests {
    let specs = [
        ParameterSpec("min_words", "int", default: nil, "minimum"),
        ParameterSpec("fraction", "number", default: nil, "share"),
        ParameterSpec("langs", "[string]", default: nil, "languages"),
        ParameterSpec("strict", "bool", default: "false", "strictness"),
    ]

    func mapping(_ entries: [(String, ConfigValue.Kind, Int)]) -> ConfigValue {
        ConfigValue(.mapping(entries.map { ($0.0, ConfigValue($0.1, at: SourceLocation(file: "r.yaml", line: $0.2, column: 5))) }),
                    at: SourceLocation(file: "r.yaml", line: 1))
    }

    @Test("typed values are read")
    func reads() throws {
        let p = try StageParameters(stage: "x", value: mapping([
            ("min_words", .scalar("1_000"), 2), ("fraction", .scalar("0.25"), 3),
            ("langs", .sequence([ConfigValue(.scalar("en")), ConfigValue(.scalar("fr"))]), 4), ("strict", .scalar("yes"), 5),
        ]), specs: specs)
        #expect(try p.int("min_words") == 1000)
        #expect(try p.double("fraction") == 0.25)
        #expect(try p.strings("langs") == ["en", "fr"])
        #expect(try p.bool("strict", default: false))
        try p.finish()
    }

    @Test("an unknown key is an error naming file and line")
    func unknownKey() throws {
        let error = #expect(throws: ConfigError.self) {
            _ = try StageParameters(stage: "x", value: mapping([("min_word", .scalar("3"), 7)]), specs: specs)
        }
        #expect(error?.description.hasPrefix("r.yaml:7:5: stage 'x' has no parameter 'min_word'") == true)
    }

    @Test("wrong types and ranges are errors", arguments: [
        ("min_words", "three"), ("fraction", "1.5"), ("strict", "maybe"),
    ])
    func badValues(key: String, value: String) throws {
        let p = try StageParameters(stage: "x", value: mapping([(key, .scalar(value), 9)]), specs: specs)
        #expect(throws: ConfigError.self) {
            _ = try p.int("min_words", min: 0)
            _ = try p.double("fraction", min: 0, max: 1)
            _ = try p.bool("strict", default: false)
        }
    }

    @Test("no parameters is fine")
    func empty() throws {
        let p = try StageParameters(stage: "x", value: nil, specs: specs)
        #expect(try p.int("min_words", default: 4) == 4)
        try p.finish()
    }
}

@Suite("Stats")
struct StageStatsTests {
    @Test("merge adds counts, drops and counters")
    func merge() {
        var a = StageStats()
        a.record(.keep)
        a.record(.drop(reason: "too_short"))
        var b = StageStats()
        b.record(.drop(reason: "too_short"))
        b.record(.drop(reason: "too_long"))
        b.counters["x"] = 2
        a.merge(b)
        #expect(a.documentsIn == 4)
        #expect(a.kept == 1)
        #expect(a.dropped == ["too_short": 2, "too_long": 1])
        #expect(a.counters == ["x": 2])
    }
}

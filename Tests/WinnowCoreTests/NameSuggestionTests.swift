import Testing
import WinnowCore

@Suite("Name suggestions")
struct NameSuggestionTests {
    @Test("optimal-string-alignment distance", arguments: [
        ("", "", 0), ("run", "run", 0), ("", "abc", 3), ("abc", "", 3),
        ("rnu", "run", 1),  // one swap of neighbours
        ("min_word", "min_words", 1), ("lenght", "length", 1), ("kitten", "sitting", 3),
        ("ca", "abc", 3),  // OSA (not unrestricted Damerau–Levenshtein, which gives 2)
        ("é", "e", 1),  // characters, not bytes
    ])
    func distance(a: String, b: String, expected: Int) {
        #expect(NameSuggestion.distance(a, b) == expected)
        #expect(NameSuggestion.distance(b, a) == expected)
    }

    static let commands = ["run", "stages", "inspect", "dedup", "embed", "lid", "extract", "lm", "select", "help"]

    @Test("nearest name", arguments: [
        ("rnu", commands, "run"),
        ("stage", commands, "stages"),
        ("inspcet", commands, "inspect"),
        ("RUN", commands, "run"),  // case is ignored
        ("xyz", commands, nil),  // 3 letters: only distance 1
        ("ab", ["lm"], nil),  // distance 2 on a short word is no match
        ("dedpu", commands, "dedup"),
        ("min_word", ["max_words", "min_chars", "min_words"], "min_words"),
        ("exact_dup", ["exact_duplicate", "too_few_words"], "exact_duplicate"),  // a prefix
        ("exact", ["exact_duplicate", "exact_dedup"], "exact_dedup"),  // the shortest prefix match
        ("frobnicate", commands, nil),
        ("jsnl", ["jsonl", "text", "warc", "html", "mediawiki"], "jsonl"),
    ] as [(String, [String], String?)])
    func nearest(word: String, candidates: [String], expected: String?) {
        #expect(NameSuggestion.nearest(to: word, in: candidates) == expected)
    }

    @Test("the hint is ready to append, or empty")
    func hint() {
        #expect(NameSuggestion.hint(for: "rnu", in: Self.commands) == "; did you mean 'run'?")
        #expect(NameSuggestion.hint(for: "zzz", in: Self.commands) == "")
        #expect(NameSuggestion.hint(for: "run", in: Self.commands) == "")  // an exact name is not unknown
    }
}

import WinnowCore
@testable import WinnowFilters

/// Distinct filler words: "qa", "qb", … "qaa", … (letters only, never a stop word).
func fillerWord(_ i: Int, length: Int = 5) -> String {
    var s = ""
    var k = i
    repeat {
        s.append(Character(Unicode.Scalar(UInt8(97 + k % 26))))
        k /= 26
    } while k > 0
    let base = "q" + s
    return base.count >= length ? base : base + String(repeating: "z", count: length - base.count)
}

/// `n` distinct filler words plus "the" and "and", space-separated: a plain good document.
func plainWords(_ n: Int, length: Int = 5) -> [String] {
    ["the", "and"] + (0..<max(0, n - 2)).map { fillerWord($0, length: length) }
}

func verdictOf(_ stage: any DocumentStage, _ text: String) throws -> Verdict {
    var d = Document(id: "t", text: text)
    return try stage.process(&d, context: StageContext())
}

/// The boundary of a monotone family of documents: the first `m` in `range` whose verdict is
/// keep, with the verdicts at `m - 1` and `m`.
func boundary(_ range: ClosedRange<Int>, _ verdict: (Int) throws -> Verdict) rethrows -> (m: Int, below: Verdict, at: Verdict)? {
    var prev: Verdict? = nil
    for m in range {
        let v = try verdict(m)
        if v == .keep, let p = prev, p != .keep { return (m, p, v) }
        prev = v
    }
    return nil
}

import Testing
import WinnowDedup

@Suite("Suffix array")
struct SuffixArrayTests {
    func naiveSA(_ b: [UInt8]) -> [Int32] {
        (0..<b.count).sorted { b[$0...].lexicographicallyPrecedes(b[$1...]) }.map(Int32.init)
    }

    func naiveLPF(_ b: [UInt8]) -> [Int32] {
        (0..<b.count).map { p in
            var best = 0
            for q in 0..<p {
                var k = 0
                while p + k < b.count && b[q + k] == b[p + k] { k += 1 }
                best = max(best, k)
            }
            return Int32(best)
        }
    }

    @Test("SA-IS, LCP and LPF agree with brute force on 400 random strings")
    func random() {
        var state: UInt64 = 1
        for trial in 0..<400 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let n = Int(state >> 58) + 1 + (trial % 7) * 9
            let alphabet = [2, 3, 4, 26, 256][trial % 5]
            let b: [UInt8] = (0..<n).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(Int(state >> 33) % alphabet)
            }
            let sa = SuffixArray.build(bytes: b)
            #expect(sa == naiveSA(b), "\(b)")
            let lcp = SuffixArray.lcp(b, sa)
            for i in 1..<b.count {
                let x = Int(sa[i - 1])
                let y = Int(sa[i])
                var k = 0
                while x + k < b.count && y + k < b.count && b[x + k] == b[y + k] { k += 1 }
                #expect(Int(lcp[i]) == k)
            }
            #expect(SuffixArray.longestPreviousFactor(sa: sa, lcp: lcp) == naiveLPF(b), "\(b)")
        }
    }

    @Test("classic examples")
    func classic() {
        #expect(SuffixArray.build(bytes: Array("banana".utf8)) == [5, 3, 1, 0, 4, 2])
        #expect(SuffixArray.build(bytes: Array("mississippi".utf8)) == [10, 7, 4, 1, 0, 9, 8, 6, 3, 5, 2])
        #expect(SuffixArray.build(bytes: Array("aaaaaaaa".utf8)) == [7, 6, 5, 4, 3, 2, 1, 0])
    }
}

/// Suffix arrays over bytes: SA-IS (Nong, Zhang & Chan 2009) in linear time, Kasai's LCP
/// array, and the longest-previous-factor array (Crochemore & Ilie 2008) that exact-substring
/// dedup needs: for each position, the longest prefix of its suffix that also starts earlier.
public enum SuffixArray {
    /// The suffix array of `text` (positions of its suffixes in lexicographic order).
    /// `alphabet` bounds the symbols (256 for bytes).
    public static func build(_ text: [Int32], alphabet: Int) -> [Int32] {
        let n = text.count
        if n == 0 { return [] }
        if n == 1 { return [0] }
        var sa = [Int32](repeating: -1, count: n)
        text.withUnsafeBufferPointer { t in
            sa.withUnsafeMutableBufferPointer { s in sais(t, s, alphabet) }
        }
        return sa
    }

    /// The suffix array of bytes.
    public static func build(bytes: [UInt8]) -> [Int32] {
        build(bytes.map { Int32($0) }, alphabet: 256)
    }

    private static func buckets(_ t: UnsafeBufferPointer<Int32>, _ k: Int, end: Bool) -> [Int32] {
        var count = [Int32](repeating: 0, count: k)
        for c in t { count[Int(c)] += 1 }
        var sum: Int32 = 0
        var b = [Int32](repeating: 0, count: k)
        for i in 0..<k {
            sum += count[i]
            b[i] = end ? sum : sum - count[i]
        }
        return b
    }

    /// SA-IS. `t` has symbols in 0..<k; `sa` receives the suffix array.
    private static func sais(_ t: UnsafeBufferPointer<Int32>, _ sa: UnsafeMutableBufferPointer<Int32>, _ k: Int) {
        let n = t.count
        // Types: true = S-type, false = L-type. The virtual sentinel after the end is S.
        var isS = [Bool](repeating: false, count: n)
        isS[n - 1] = false  // the last symbol is L (greater than the sentinel)
        if n >= 2 {
            for i in stride(from: n - 2, through: 0, by: -1) {
                isS[i] = t[i] < t[i + 1] || (t[i] == t[i + 1] && isS[i + 1])
            }
        }
        func isLMS(_ i: Int) -> Bool { i > 0 && isS[i] && !isS[i - 1] }

        func induce() {
            var bkt = buckets(t, k, end: false)
            // The sentinel suffix (position n) is first; its predecessor n-1 is L-type.
            sa[Int(bkt[Int(t[n - 1])])] = Int32(n - 1)
            bkt[Int(t[n - 1])] += 1
            for i in 0..<n {
                let j = Int(sa[i]) - 1
                if sa[i] > 0 && !isS[j] {
                    sa[Int(bkt[Int(t[j])])] = Int32(j)
                    bkt[Int(t[j])] += 1
                }
            }
            bkt = buckets(t, k, end: true)
            for i in stride(from: n - 1, through: 0, by: -1) {
                let j = Int(sa[i]) - 1
                if sa[i] > 0 && isS[j] {
                    bkt[Int(t[j])] -= 1
                    sa[Int(bkt[Int(t[j])])] = Int32(j)
                }
            }
        }

        // 1. Place LMS suffixes at bucket ends, induce, to sort LMS substrings.
        for i in 0..<n { sa[i] = -1 }
        var bkt = buckets(t, k, end: true)
        for i in 1..<n where isLMS(i) {
            bkt[Int(t[i])] -= 1
            sa[Int(bkt[Int(t[i])])] = Int32(i)
        }
        induce()

        // 2. Compact the sorted LMS substrings and name them.
        var m = 0
        for i in 0..<n where isLMS(Int(sa[i])) {
            sa[m] = sa[i]
            m += 1
        }
        for i in m..<n { sa[i] = -1 }
        var name: Int32 = 0
        var prev = -1
        for i in 0..<m {
            let pos = Int(sa[i])
            var diff = prev < 0
            if !diff {
                var d = 0
                while true {
                    let a = pos + d
                    let b = prev + d
                    if a >= n || b >= n || t[a] != t[b] || isS[a] != isS[b] {
                        diff = true
                        break
                    }
                    if d > 0 && (isLMS(a) || isLMS(b)) {
                        diff = !(isLMS(a) && isLMS(b))
                        break
                    }
                    d += 1
                }
            }
            if diff {
                name += 1
                prev = pos
            }
            sa[m + pos / 2] = name - 1
        }
        var reduced: [Int32] = []
        reduced.reserveCapacity(m)
        for i in m..<n where sa[i] >= 0 { reduced.append(sa[i]) }

        // 3. Sort the LMS suffixes: directly if names are unique, else recursively.
        var reducedSA = [Int32](repeating: -1, count: m)
        if Int(name) < m {
            reduced.withUnsafeBufferPointer { r in
                reducedSA.withUnsafeMutableBufferPointer { s in sais(r, s, Int(name)) }
            }
        } else {
            for i in 0..<m { reducedSA[Int(reduced[i])] = Int32(i) }
        }

        // 4. Place the sorted LMS suffixes and induce the full order.
        var lms: [Int32] = []
        lms.reserveCapacity(m)
        for i in 1..<n where isLMS(i) { lms.append(Int32(i)) }
        for i in 0..<n { sa[i] = -1 }
        bkt = buckets(t, k, end: true)
        for i in stride(from: m - 1, through: 0, by: -1) {
            let j = Int(lms[Int(reducedSA[i])])
            bkt[Int(t[j])] -= 1
            sa[Int(bkt[Int(t[j])])] = Int32(j)
        }
        induce()
    }

    /// Kasai's LCP array: lcp[i] = longest common prefix of suffixes sa[i-1] and sa[i]; lcp[0] = 0.
    public static func lcp<T: Equatable>(_ text: [T], _ sa: [Int32]) -> [Int32] {
        let n = text.count
        var rank = [Int32](repeating: 0, count: n)
        for i in 0..<n { rank[Int(sa[i])] = Int32(i) }
        var lcp = [Int32](repeating: 0, count: n)
        var h = 0
        for i in 0..<n {
            let r = Int(rank[i])
            if r > 0 {
                let j = Int(sa[r - 1])
                while i + h < n && j + h < n && text[i + h] == text[j + h] { h += 1 }
                lcp[r] = Int32(h)
                if h > 0 { h -= 1 }
            } else {
                h = 0
            }
        }
        return lcp
    }

    /// The longest-previous-factor array: lpf[p] = the length of the longest prefix of the
    /// suffix at p that also starts at some position before p.
    public static func longestPreviousFactor(sa: [Int32], lcp: [Int32]) -> [Int32] {
        let n = sa.count
        var lpf = [Int32](repeating: 0, count: n)
        if n == 0 { return lpf }
        var l = lcp
        l.append(0)
        var stack: [Int] = [0]
        for i in 1...n {
            while let top = stack.last, i == n || sa[i] < sa[top] {
                lpf[Int(sa[top])] = max(l[top], l[i])
                l[i] = min(l[top], l[i])
                stack.removeLast()
            }
            if i < n { stack.append(i) }
        }
        return lpf
    }
}

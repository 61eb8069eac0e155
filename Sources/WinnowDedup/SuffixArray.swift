/// Suffix arrays: SA-IS (Nong, Zhang & Chan 2009) in linear time over any integer alphabet,
/// Kasai's LCP array, and the longest-previous-factor array (Crochemore & Ilie 2008).
///
/// Memory of ``build(_:alphabet:into:)``: the caller's text and 32-bit suffix array, plus one
/// type bit per symbol (n/8 bytes) and two bucket arrays of 4·alphabet bytes; the reduced problem
/// of the recursion lives inside the suffix array itself (its LMS suffixes are at most n/2), so
/// each level adds only its own type bits (≤ n/16 bytes) and buckets of 8 bytes per name.
public enum SuffixArray {
    /// The suffix array of `text` (positions of its suffixes in lexicographic order).
    /// `alphabet` bounds the symbols (256 for bytes).
    public static func build(_ text: [Int32], alphabet: Int) -> [Int32] {
        var sa = [Int32](repeating: -1, count: text.count)
        text.withUnsafeBufferPointer { t in
            sa.withUnsafeMutableBufferPointer { s in build(t, alphabet: alphabet, into: s) }
        }
        return sa
    }

    /// The suffix array of bytes.
    public static func build(bytes: [UInt8]) -> [Int32] {
        var sa = [Int32](repeating: -1, count: bytes.count)
        bytes.withUnsafeBufferPointer { t in
            sa.withUnsafeMutableBufferPointer { s in build(t, alphabet: 256, into: s) }
        }
        return sa
    }

    /// Writes the suffix array of `text` into `sa` (same count, below 2³¹ symbols); every
    /// symbol must be in 0..<`alphabet`. Nothing happens when the counts differ.
    public static func build<T: FixedWidthInteger>(
        _ text: UnsafeBufferPointer<T>, alphabet: Int, into sa: UnsafeMutableBufferPointer<Int32>
    ) {
        let n = text.count
        guard n == sa.count, n < Int(Int32.max) else { return }
        if n == 0 { return }
        if n == 1 {
            sa[0] = 0
            return
        }
        sais(text, sa, max(1, alphabet))
    }

    /// SA-IS. `t` has symbols in 0..<k; `sa` (same count) receives the suffix array.
    /// `scratch`, when given, holds k free words for the bucket heads (the recursion passes
    /// the unused middle of the caller's suffix array, so its buckets cost no memory).
    private static func sais<T: FixedWidthInteger>(
        _ t: UnsafeBufferPointer<T>, _ sa: UnsafeMutableBufferPointer<Int32>, _ k: Int, scratch: UnsafeMutablePointer<Int32>? = nil
    ) {
        let n = t.count
        // Types, one bit each: 1 = S-type, 0 = L-type. The virtual sentinel after the end is S,
        // so the last symbol is L.
        let words = (n + 63) >> 6
        let types = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        types.initialize(repeating: 0, count: words)
        defer { types.deallocate() }
        @inline(__always) func isS(_ i: Int) -> Bool { (types[i >> 6] >> UInt64(i & 63)) & 1 != 0 }
        var nextS = false
        for i in stride(from: n - 2, through: 0, by: -1) {
            let a = t[i]
            let b = t[i + 1]
            let s = a < b || (a == b && nextS)
            if s { types[i >> 6] |= 1 << UInt64(i & 63) }
            nextS = s
        }
        @inline(__always) func isLMS(_ i: Int) -> Bool { i > 0 && isS(i) && !isS(i - 1) }

        // Bucket heads (k words). Symbol counts are kept beside them for small alphabets and
        // recounted from `t` for large ones (the recursion's names), so a recursion needs only
        // k words, which fit in the caller's unused middle more often.
        let keepCounts = k <= 1 << 16
        let bkt = scratch ?? UnsafeMutablePointer<Int32>.allocate(capacity: k)
        defer { if scratch == nil { bkt.deallocate() } }
        bkt.initialize(repeating: 0, count: k)
        let counts = UnsafeMutablePointer<Int32>.allocate(capacity: keepCounts ? k : 1)
        defer { counts.deallocate() }
        if keepCounts {
            counts.initialize(repeating: 0, count: k)
            for i in 0..<n { counts[Int(t[i])] += 1 }
        }
        func bucketStarts() {
            if keepCounts {
                var sum: Int32 = 0
                for c in 0..<k {
                    bkt[c] = sum
                    sum += counts[c]
                }
            } else {
                for c in 0..<k { bkt[c] = 0 }
                for i in 0..<n { bkt[Int(t[i])] += 1 }
                var sum: Int32 = 0
                for c in 0..<k {
                    let count = bkt[c]
                    bkt[c] = sum
                    sum += count
                }
            }
        }
        func bucketEnds() {
            if keepCounts {
                var sum: Int32 = 0
                for c in 0..<k {
                    sum += counts[c]
                    bkt[c] = sum
                }
            } else {
                for c in 0..<k { bkt[c] = 0 }
                for i in 0..<n { bkt[Int(t[i])] += 1 }
                var sum: Int32 = 0
                for c in 0..<k {
                    sum += bkt[c]
                    bkt[c] = sum
                }
            }
        }

        func induce() {
            bucketStarts()
            // The sentinel suffix (position n) is first; its predecessor n-1 is L-type.
            let last = Int(t[n - 1])
            sa[Int(bkt[last])] = Int32(n - 1)
            bkt[last] += 1
            for i in 0..<n {
                let v = Int(sa[i])
                if v > 0 && !isS(v - 1) {
                    let c = Int(t[v - 1])
                    sa[Int(bkt[c])] = Int32(v - 1)
                    bkt[c] += 1
                }
            }
            bucketEnds()
            for i in stride(from: n - 1, through: 0, by: -1) {
                let v = Int(sa[i])
                if v > 0 && isS(v - 1) {
                    let c = Int(t[v - 1])
                    bkt[c] -= 1
                    sa[Int(bkt[c])] = Int32(v - 1)
                }
            }
        }

        // 1. Place LMS suffixes at bucket ends, induce, to sort LMS substrings.
        for i in 0..<n { sa[i] = -1 }
        bucketEnds()
        for i in 1..<n where isLMS(i) {
            let c = Int(t[i])
            bkt[c] -= 1
            sa[Int(bkt[c])] = Int32(i)
        }
        induce()

        // 2. Compact the sorted LMS substrings into sa[0..<m] and name them; names go to
        //    sa[m + pos/2] (LMS positions are at least 2 apart, so m ≤ n/2 and these never
        //    collide), then move to the end: the reduced string is sa[n-m..<n].
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
                    if a >= n || b >= n || t[a] != t[b] || isS(a) != isS(b) {
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
        var j = n - 1
        if m > 0 {
            for i in stride(from: n - 1, through: m, by: -1) where sa[i] >= 0 {
                sa[j] = sa[i]
                j -= 1
            }
        }
        let reducedStart = n - m
        guard let base = sa.baseAddress else { return }

        // 3. Sort the LMS suffixes into sa[0..<m]: directly if names are unique, else recursively
        //    (the reduced string sa[n-m..<n] and its suffix array sa[0..<m] do not overlap).
        if Int(name) < m {
            let reduced = UnsafeBufferPointer<Int32>(start: base + reducedStart, count: m)
            // sa[m..<n-m] is unused while the recursion runs: its buckets go there when they fit.
            let names = Int(name)
            let scratch = names <= reducedStart - m ? base + m : nil
            sais(reduced, UnsafeMutableBufferPointer(start: base, count: m), names, scratch: scratch)
        } else {
            for i in 0..<m { sa[Int(sa[reducedStart + i])] = Int32(i) }
        }

        // 4. Map the reduced order back to LMS positions, place them at bucket ends, induce.
        j = reducedStart
        for i in 1..<n where isLMS(i) {
            sa[j] = Int32(i)
            j += 1
        }
        for i in 0..<m { sa[i] = sa[reducedStart + Int(sa[i])] }
        for i in m..<n { sa[i] = -1 }
        bucketEnds()
        for i in stride(from: m - 1, through: 0, by: -1) {
            let p = Int(sa[i])
            sa[i] = -1
            let c = Int(t[p])
            bkt[c] -= 1
            sa[Int(bkt[c])] = Int32(p)
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

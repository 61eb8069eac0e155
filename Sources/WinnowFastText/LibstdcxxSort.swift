/// `std::sort` exactly as GNU libstdc++ implements it (introsort: median-of-three quicksort down
/// to runs of 16, heapsort past 2·⌊log2 n⌋ levels, then insertion sort).
///
/// fastText orders its dictionary with `std::sort`, which is not stable: words of equal count
/// end up in an order only this algorithm reproduces. Sorting the same way gives the word ids,
/// hence the rows, fastText gives, so a model can be compared with fastText's row for row.
enum LibstdcxxSort {
    /// Sorts `a` in place with the strict weak order `less`.
    static func sort<T>(_ a: inout [T], by less: (T, T) -> Bool) {
        let n = a.count
        guard n > 1 else { return }
        a.withUnsafeMutableBufferPointer { b in
            introsortLoop(b, 0, n, depthLimit: 2 * (Int.bitWidth - 1 - n.leadingZeroBitCount), less)
            finalInsertionSort(b, 0, n, less)
        }
    }

    private static let threshold = 16

    private static func introsortLoop<T>(_ a: UnsafeMutableBufferPointer<T>, _ first: Int, _ last: Int, depthLimit: Int,
                                         _ less: (T, T) -> Bool) {
        var last = last
        var depth = depthLimit
        while last - first > threshold {
            if depth == 0 {
                makeHeap(a, first, last, less)
                var end = last
                while end - first > 1 {
                    end -= 1
                    popHeap(a, first, end, end, less)
                }
                return
            }
            depth -= 1
            let mid = first + (last - first) / 2
            moveMedianToFirst(a, first, first + 1, mid, last - 1, less)
            let cut = unguardedPartition(a, first + 1, last, pivot: first, less)
            introsortLoop(a, cut, last, depthLimit: depth, less)
            last = cut
        }
    }

    private static func moveMedianToFirst<T>(_ v: UnsafeMutableBufferPointer<T>, _ result: Int, _ a: Int, _ b: Int, _ c: Int,
                                             _ less: (T, T) -> Bool) {
        if less(v[a], v[b]) {
            if less(v[b], v[c]) { v.swapAt(result, b) }
            else if less(v[a], v[c]) { v.swapAt(result, c) }
            else { v.swapAt(result, a) }
        } else if less(v[a], v[c]) { v.swapAt(result, a) }
        else if less(v[b], v[c]) { v.swapAt(result, c) }
        else { v.swapAt(result, b) }
    }

    private static func unguardedPartition<T>(_ a: UnsafeMutableBufferPointer<T>, _ first: Int, _ last: Int, pivot: Int,
                                              _ less: (T, T) -> Bool) -> Int {
        var first = first, last = last
        while true {
            while less(a[first], a[pivot]) { first += 1 }
            last -= 1
            while less(a[pivot], a[last]) { last -= 1 }
            if !(first < last) { return first }
            a.swapAt(first, last)
            first += 1
        }
    }

    private static func finalInsertionSort<T>(_ a: UnsafeMutableBufferPointer<T>, _ first: Int, _ last: Int, _ less: (T, T) -> Bool) {
        if last - first > threshold {
            insertionSort(a, first, first + threshold, less)
            for i in (first + threshold)..<last { unguardedLinearInsert(a, i, less) }
        } else {
            insertionSort(a, first, last, less)
        }
    }

    private static func insertionSort<T>(_ a: UnsafeMutableBufferPointer<T>, _ first: Int, _ last: Int, _ less: (T, T) -> Bool) {
        guard first != last else { return }
        var i = first + 1
        while i < last {
            if less(a[i], a[first]) {
                let value = a[i]
                var j = i
                while j > first {
                    a[j] = a[j - 1]
                    j -= 1
                }
                a[first] = value
            } else {
                unguardedLinearInsert(a, i, less)
            }
            i += 1
        }
    }

    private static func unguardedLinearInsert<T>(_ a: UnsafeMutableBufferPointer<T>, _ position: Int, _ less: (T, T) -> Bool) {
        let value = a[position]
        var last = position
        var next = last - 1
        while less(value, a[next]) {
            a[last] = a[next]
            last = next
            next -= 1
        }
        a[last] = value
    }

    // MARK: - Heap (std::make_heap / std::__pop_heap / std::__adjust_heap)

    private static func makeHeap<T>(_ a: UnsafeMutableBufferPointer<T>, _ first: Int, _ last: Int, _ less: (T, T) -> Bool) {
        let len = last - first
        guard len >= 2 else { return }
        var parent = (len - 2) / 2
        while true {
            adjustHeap(a, first, parent, len, a[first + parent], less)
            if parent == 0 { return }
            parent -= 1
        }
    }

    private static func popHeap<T>(_ a: UnsafeMutableBufferPointer<T>, _ first: Int, _ last: Int, _ result: Int, _ less: (T, T) -> Bool) {
        let value = a[result]
        a[result] = a[first]
        adjustHeap(a, first, 0, last - first, value, less)
    }

    private static func adjustHeap<T>(_ a: UnsafeMutableBufferPointer<T>, _ first: Int, _ hole: Int, _ len: Int, _ value: T,
                                      _ less: (T, T) -> Bool) {
        let top = hole
        var hole = hole
        var second = hole
        while second < (len - 1) / 2 {
            second = 2 * (second + 1)
            if less(a[first + second], a[first + second - 1]) { second -= 1 }
            a[first + hole] = a[first + second]
            hole = second
        }
        if len & 1 == 0 && second == (len - 2) / 2 {
            second = 2 * (second + 1)
            a[first + hole] = a[first + second - 1]
            hole = second - 1
        }
        // std::__push_heap
        var parent = (hole - 1) / 2
        while hole > top && less(a[first + parent], value) {
            a[first + hole] = a[first + parent]
            hole = parent
            parent = (hole - 1) / 2
        }
        a[first + hole] = value
    }
}

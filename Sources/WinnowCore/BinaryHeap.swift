/// An element of a ``BinaryHeap``: says which of two leaves the heap first.
///
/// The order must be total and strict (ties broken by an index or the like) for results to be
/// deterministic.
public protocol HeapOrdered {
    /// Whether `a` comes out of the heap before `b`.
    static func precedes(_ a: Self, _ b: Self) -> Bool
}

/// An array-backed binary heap; ``pop()`` returns the element that ``HeapOrdered/precedes(_:_:)``
/// puts first. Push and pop are O(log n). Generic code is inlinable, so each element type gets a
/// specialised heap (it serves hot k-way merges).
///
/// ```swift
/// struct Job: HeapOrdered { var cost: Int; var id: Int
///     static func precedes(_ a: Job, _ b: Job) -> Bool { (a.cost, a.id) < (b.cost, b.id) } }
/// var heap = BinaryHeap<Job>()
/// heap.push(Job(cost: 3, id: 0)); heap.push(Job(cost: 1, id: 1))
/// heap.pop()?.id  // 1
/// ```
public struct BinaryHeap<Element: HeapOrdered> {
    @usableFromInline var storage: [Element] = []

    /// The elements in heap order (the first is ``first``; the rest in no useful order).
    @inlinable public var elements: [Element] { storage }

    /// An empty heap.
    @inlinable public init() {}

    /// An empty heap with room for `capacity` storage.
    @inlinable public init(capacity: Int) { storage.reserveCapacity(capacity) }

    /// The number of storage.
    @inlinable public var count: Int { storage.count }

    /// Whether the heap is empty.
    @inlinable public var isEmpty: Bool { storage.isEmpty }

    /// The element ``pop()`` would return.
    @inlinable public var first: Element? { storage.first }

    /// Adds an element.
    @inlinable public mutating func push(_ element: Element) {
        storage.append(element)
        var i = storage.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Element.precedes(storage[i], storage[parent]) else { break }
            storage.swapAt(i, parent)
            i = parent
        }
    }

    /// Removes and returns the first element (nil when empty).
    @inlinable @discardableResult public mutating func pop() -> Element? {
        guard let top = storage.first else { return nil }
        let last = storage.removeLast()
        if !storage.isEmpty {
            storage[0] = last
            var i = 0
            let n = storage.count
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var m = i
                if l < n && Element.precedes(storage[l], storage[m]) { m = l }
                if r < n && Element.precedes(storage[r], storage[m]) { m = r }
                if m == i { break }
                storage.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

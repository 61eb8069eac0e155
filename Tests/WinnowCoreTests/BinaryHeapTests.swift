import Testing
import WinnowCore

struct Item: HeapOrdered, Equatable {
    var key: Int
    var id: Int
    static func precedes(_ a: Item, _ b: Item) -> Bool { a.key != b.key ? a.key < b.key : a.id < b.id }
}

@Suite("BinaryHeap")
struct BinaryHeapTests {
    @Test("pops in the order precedes defines, ties by the tie-breaker, with pushes in between")
    func order() {
        var generator = SystemRandomNumberGenerator()
        var heap = BinaryHeap<Item>()
        var reference: [Item] = []
        var popped: [Item] = []
        var expected: [Item] = []
        for id in 0 ..< 2_000 {
            let item = Item(key: Int.random(in: 0 ..< 50, using: &generator), id: id)
            heap.push(item)
            reference.append(item)
            if id % 3 == 2 {
                reference.sort { Item.precedes($0, $1) }
                expected.append(reference.removeFirst())
                popped.append(heap.pop()!)
            }
        }
        #expect(heap.count == reference.count)
        #expect(heap.first == reference.min { Item.precedes($0, $1) })
        while let item = heap.pop() { popped.append(item) }
        expected += reference.sorted { Item.precedes($0, $1) }
        #expect(popped == expected)
        #expect(heap.isEmpty && heap.pop() == nil && heap.first == nil)
    }
}

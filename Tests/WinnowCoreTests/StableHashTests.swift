import Testing
import WinnowCore

@Suite("xxHash64")
struct StableHashTests {
    // Reference values from the `xxhash` Python package (xxhash.xxh64(data, seed).intdigest()).
    @Test("matches the reference implementation", arguments: [
        ("", UInt64(0), UInt64(0xef46_db37_51d8_e999)),
        ("abc", 0, 0x44bc_2cf5_ad77_0999),
        ("The quick brown fox jumps over the lazy dog", 0, 0x0b24_2d36_1fda_71bc),
        ("hello world, this is 33 bytes !!!", 7, 0xc8a7_7945_1641_ea81),
    ])
    func referenceVectors(text: String, seed: UInt64, expected: UInt64) {
        #expect(StableHash.xxh64(text, seed: seed) == expected)
    }

    @Test("long input (all four lanes)")
    func longInput() {
        let bytes = (0..<3).flatMap { _ in (0..<256).map { UInt8($0) } }
        #expect(StableHash.xxh64(bytes) == 0x8e03_c838_c596_036f)
    }

    @Test("checksums depend on content only")
    func checksum() {
        var a = StreamChecksum()
        var b = StreamChecksum()
        let x: [UInt8] = Array("some bytes".utf8)
        x.withUnsafeBytes { a.update($0) }
        x.withUnsafeBytes { b.update($0) }
        #expect(a == b)
        #expect(a.hex.count == 16)
        [UInt8(1)].withUnsafeBytes { b.update($0) }
        #expect(a != b)
    }
}

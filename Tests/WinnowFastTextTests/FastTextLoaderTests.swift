import Foundation
import Testing
@testable import WinnowFastText

@Suite("fastText model loading")
struct FastTextLoaderTests {
    static let modelNames = [
        "tiny-softmax-bigram.bin", "tiny-hs.bin", "tiny-ova.bin", "tiny-nosubwords.bin",
        "tiny-hs-qout-qnorm.ftz", "tiny-softmax-dsub3.ftz", "tiny-hs-as-ova.bin",
    ]

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(name))))
    }

    @Test("loads every fixture model", arguments: modelNames)
    func loads(name: String) throws {
        let model = try FastTextModel(contentsOf: Fixtures.path(name))
        #expect(model.dimension == 8)
        #expect(model.isQuantized == name.hasSuffix(".ftz"))
        #expect(model.labels.allSatisfy { $0.hasPrefix("__label__") })
        #expect(!model.labels.isEmpty)
    }

    @Test("reads the arguments stored in the file")
    func arguments() throws {
        let a = try FastTextModel(contentsOf: Fixtures.path("tiny-ova.bin")).arguments
        #expect(a.loss == .oneVsAll)
        #expect(a.model == .supervised)
        #expect(a.wordNgrams == 3)
        #expect(a.minn == 2 && a.maxn == 4)
        #expect(a.bucket == 1000)
        // maxn 0 and wordNgrams 1: fastText stores bucket 0.
        let n = try FastTextModel(contentsOf: Fixtures.path("tiny-nosubwords.bin")).arguments
        #expect(n.maxn == 0 && n.bucket == 0)
    }

    @Test("a bad magic number is reported at byte 0")
    func badMagic() throws {
        var bytes = try Self.bytes("tiny-hs.bin")
        bytes[0] ^= 0xFF
        #expect {
            try FastTextModel(bytes: bytes, path: "x.bin")
        } throws: { error in
            guard let e = error as? FastTextError else { return false }
            return e.kind == .badMagic && e.offset == 0 && e.description.hasPrefix("x.bin: at byte 0: not a fastText model")
        }
    }

    @Test("an unknown version is refused at byte 4")
    func badVersion() throws {
        var bytes = try Self.bytes("tiny-hs.bin")
        bytes[4] = 13
        #expect {
            try FastTextModel(bytes: bytes)
        } throws: { error in
            (error as? FastTextError).map { $0.kind == .unsupportedVersion && $0.offset == 4 } ?? false
        }
    }

    @Test("a file cut anywhere is refused as truncated, at or before the cut", arguments: [0, 3, 7, 20, 59, 60, 200, 5_000, 36_000])
    func truncated(length: Int) throws {
        let bytes = Array(try Self.bytes("tiny-hs.bin").prefix(length))
        do {
            _ = try FastTextModel(bytes: bytes, path: "cut.bin")
            Issue.record("a file cut at \(length) bytes loaded")
        } catch {
            #expect(error.kind == .truncated, "\(error)")
            #expect((error.offset ?? Int.max) <= length, "\(error)")
            #expect(error.description.contains("truncated"))
        }
    }

    @Test("a truncated quantised file names the field that does not fit")
    func truncatedQuantized() throws {
        let full = try Self.bytes("tiny-hs-qout-qnorm.ftz")
        let bytes = Array(full.prefix(full.count - 10))
        do {
            _ = try FastTextModel(bytes: bytes, path: "q.ftz")
            Issue.record("a truncated .ftz loaded")
        } catch {
            #expect(error.kind == .truncated)
            #expect(error.description.contains("output matrix"), "\(error)")
        }
    }

    @Test("trailing bytes are refused with their offset")
    func trailing() throws {
        let full = try Self.bytes("tiny-hs.bin")
        do {
            _ = try FastTextModel(bytes: full + [1, 2, 3])
            Issue.record("trailing bytes accepted")
        } catch {
            #expect(error.kind == .corrupt)
            #expect(error.offset == full.count)
        }
    }

    @Test("an unknown loss is reported at its offset")
    func badLoss() throws {
        var bytes = try Self.bytes("tiny-hs.bin")
        // magic, version, then dim ws epoch minCount neg wordNgrams (6 × 4 bytes): loss at 32.
        bytes[32] = 9
        do {
            _ = try FastTextModel(bytes: bytes)
            Issue.record("bad loss accepted")
        } catch {
            #expect(error.kind == .corrupt && error.offset == 32, "\(error)")
        }
    }

    @Test("a dictionary size that does not fit the file is truncation, not a huge allocation")
    func hugeDictionary() throws {
        var bytes = try Self.bytes("tiny-hs.bin")
        // The dictionary starts after magic, version and the 13 arguments (12 × 4 + 8 bytes) = 64.
        let size = Int32(100_000_000).littleEndian
        withUnsafeBytes(of: size) { for i in 0..<4 { bytes[64 + i] = $0[i] } }
        do {
            _ = try FastTextModel(bytes: bytes)
            Issue.record("corrupt dictionary accepted")
        } catch {
            #expect(error.offset == 64, "\(error)")
        }
    }

    @Test("a missing file is a clear error")
    func missing() {
        do {
            _ = try FastTextModel(contentsOf: "/nonexistent/lid.176.ftz")
            Issue.record("missing file loaded")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/lid.176.ftz: cannot open"))
        }
    }

    /// Random byte corruptions (fixed seed) either load or throw a FastTextError, and whatever
    /// loads can predict: no read outside the file or the matrices.
    @Test("corrupted files never crash", arguments: ["tiny-hs.bin", "tiny-hs-qout-qnorm.ftz", "tiny-softmax-dsub3.ftz"])
    func corruption(name: String) throws {
        let original = try Self.bytes(name)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        var loaded = 0
        for _ in 0..<300 {
            var bytes = original
            // Mostly the header, dictionary and quantiser fields (the first 4 KiB), sometimes anywhere.
            for _ in 0..<(1 + next() % 3) {
                let at = next() % 4 == 0 ? next() % bytes.count : next() % min(4096, bytes.count)
                bytes[at] = UInt8(truncatingIfNeeded: next())
            }
            do {
                let model = try FastTextModel(bytes: bytes, path: name)
                loaded += 1
                for text in ["rain and snow", "crème brûlée Käse", "", "дождь 寿司 🎸"] {
                    _ = model.predict(text, k: nil)
                }
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
        #expect(loaded > 0)
    }
}

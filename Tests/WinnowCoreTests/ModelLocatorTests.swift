import Foundation
import Testing
import WinnowCore

@Suite("Model lookup")
struct ModelLocatorTests {
    @Test("explicit path, then $WINNOW_MODELS, ./models, ~/.cache/winnow/models")
    func order() throws {
        let root = NSTemporaryDirectory() + "winnow-models-\(UUID().uuidString.prefix(8))"
        let env = ["WINNOW_MODELS": root + "/env", "HOME": root + "/home"]
        #expect(ModelLocator.candidates(for: "m", environment: env) == [root + "/env/m", "models/m", root + "/home/.cache/winnow/models/m"])

        try FileManager.default.createDirectory(atPath: root + "/home/.cache/winnow/models/m", withIntermediateDirectories: true)
        #expect(try ModelLocator.locate("m", environment: env) == root + "/home/.cache/winnow/models/m")
        try FileManager.default.createDirectory(atPath: root + "/env/m", withIntermediateDirectories: true)
        #expect(try ModelLocator.locate("m", environment: env) == root + "/env/m")
        #expect(try ModelLocator.locate("m", explicit: root + "/home/.cache/winnow/models/m", environment: env) == root + "/home/.cache/winnow/models/m")
    }

    @Test("a missing model names every place tried and how to fetch it")
    func missing() {
        let env = ["WINNOW_MODELS": "/nonexistent/a", "HOME": "/nonexistent/h"]
        let e = #expect(throws: FileError.self) { try ModelLocator.locate("absent-model", environment: env) }
        #expect(e?.description.contains("/nonexistent/a/absent-model") == true)
        #expect(e?.description.contains("make deps-models") == true)
        let explicit = #expect(throws: FileError.self) { try ModelLocator.locate("x", explicit: "/nonexistent/given", environment: env) }
        #expect(explicit?.path == "/nonexistent/given")
    }
}

import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WinnowEmbed
import WinnowPrompt
@testable import WinnowServer
import WinnowTokenizers

/// The model from `models/` (or `$WINNOW_MODELS`), loaded once for all server tests.
enum ServerFixtures {
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0 ..< 3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let modelPath: String = {
        if let root = ProcessInfo.processInfo.environment["WINNOW_MODELS"], !root.isEmpty { return root + "/all-MiniLM-L6-v2" }
        return packageRoot + "/models/all-MiniLM-L6-v2"
    }()
    static var hasModel: Bool { FileManager.default.fileExists(atPath: modelPath + "/model.safetensors") }
    static let skipMessage = "needs the all-MiniLM-L6-v2 folder at models/ or $WINNOW_MODELS (run scripts/fetch-models.sh)"

    static let embedder: Result<Embedder, EmbedError> = Result { () throws(EmbedError) in
        try Embedder(folder: ModelFolder(path: modelPath))
    }

    static let pool = ExamplePool(examples: [
        Example(input: "How far is the Moon from Earth ?", output: "NUM", label: "NUM"),
        Example(input: "Who wrote Hamlet ?", output: "HUM", label: "HUM"),
        Example(input: "What is the capital of France ?", output: "LOC", label: "LOC"),
        Example(input: "How many miles to the Sun ?", output: "NUM", label: "NUM"),
        Example(input: "Who painted the Mona Lisa ?", output: "HUM", label: "HUM"),
    ])

    /// The prompt compressor, counting whitespace words, sharing the server's embedder as
    /// `winnow serve` does: the model path it is given does not exist, so it would throw if it
    /// tried to load a second copy.
    static let compressor: Result<PromptCompressor, any Error> = Result {
        var settings = PromptCompressor.Configuration()
        settings.tokenizer = "whitespace"
        settings.embedderPath = modelPath + "/no-such-copy"
        return try PromptCompressor(configuration: settings, embedder: try embedder.get())
    }

    /// Shared models with one pool named `tiny` (and the compressor unless `compress` is false).
    static func models(compress: Bool = true) throws -> ServerModels {
        let embedder = try embedder.get()
        let (index, _) = try ExampleIndex.build(pool: pool, embedder: embedder, modelID: "test", cache: nil, workers: 1)
        return ServerModels(
            embedder: embedder, modelName: "all-MiniLM-L6-v2", pools: ["tiny": index],
            compressor: compress ? try compressor.get() : nil,
            counters: [try WordPieceTokenCounter(tokenizer: embedder.tokenizer)], computeThreads: 2)
    }

    static func application(
        maxBodyBytes: Int = 1 << 20, compress: Bool = true, maxEmbeddingInputs: Int = 16, idleTimeout: Duration = .seconds(30),
        readTimeout: Duration = .seconds(30)
    ) throws -> some ApplicationProtocol {
        let configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0, maxBodyBytes: maxBodyBytes, maxEmbeddingInputs: maxEmbeddingInputs, idleTimeout: idleTimeout,
            readTimeout: readTimeout)
        return WinnowServer.buildApplication(models: compress ? try shared.get() : try models(compress: false), configuration: configuration)
    }

    /// One set of models (with the compressor) for every test application: building the pool's
    /// index embeds it, which a hundred parameterised cases need not repeat.
    static let shared: Result<ServerModels, any Error> = Result { try models() }

    /// Whether a served vector is `expected` within the tolerance docs/server.md states. The
    /// shared models serve the tests running at the same time, so a request's texts may share
    /// forward passes with another test's (cross-request batching), and the last bits may
    /// differ; a request alone gets the exact bits (`EmbeddingBatchingTests.aloneIsExact`).
    static func matches(_ vector: [Float], _ expected: [Float]) -> Bool {
        vector.count == expected.count && EmbeddingBatchingTests.maxDifference(vector, expected) <= EmbeddingBatchingTests.tolerance
    }

    static func json(_ object: Any) -> ByteBuffer {
        ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
    }

    static func object(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// The `error` object of an OpenAI-style error body.
    static func error(_ response: TestResponse) -> [String: Any] {
        object(response)["error"] as? [String: Any] ?? [:]
    }

    static func floats(_ value: Any?) -> [Float] {
        (value as? [Any] ?? []).map { Float(($0 as? NSNumber)?.doubleValue ?? .nan) }
    }
}

@Suite("winnow serve endpoints (router, no socket)", .enabled(if: ServerFixtures.hasModel, "\(ServerFixtures.skipMessage)"))
struct ServerRouterTests {
    @Test("GET /healthz names the model and the pools")
    func health() async throws {
        try await ServerFixtures.application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                let body = ServerFixtures.object(response)
                #expect(body["status"] as? String == "ok")
                #expect(body["model"] as? String == "all-MiniLM-L6-v2")
                #expect(body["dimension"] as? Int == 384)
                #expect(body["pools"] as? [String] == ["tiny"])
            }
        }
    }

    @Test("POST /v1/embeddings answers as OpenAI, with the Embedder's vectors (within the batching tolerance)")
    func embeddings() async throws {
        let embedder = try ServerFixtures.embedder.get()
        let texts = ["A man is eating food.", "Ein Mann isst Brot, und das schon seit Stunden.", ""]
        let expected = embedder.embed(texts)
        let tokens = texts.reduce(0) { $0 + embedder.tokenizer.encode($1).count }
        try await ServerFixtures.application().test(.router) { client in
            let body = ServerFixtures.json(["input": texts, "model": "all-MiniLM-L6-v2"])
            try await client.execute(uri: "/v1/embeddings", method: .post, headers: [.contentType: "application/json"], body: body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let object = ServerFixtures.object(response)
                #expect(object["object"] as? String == "list")
                #expect(object["model"] as? String == "all-MiniLM-L6-v2")
                let usage = object["usage"] as? [String: Any]
                #expect(usage?["prompt_tokens"] as? Int == tokens)
                #expect(usage?["total_tokens"] as? Int == tokens)
                let data = object["data"] as? [[String: Any]] ?? []
                #expect(data.count == 3)
                for (i, item) in data.enumerated() {
                    #expect(item["object"] as? String == "embedding")
                    #expect(item["index"] as? Int == i)
                    #expect(ServerFixtures.matches(ServerFixtures.floats(item["embedding"]), expected[i]))
                }
            }
            // One string in, one vector out: the same as embedding it alone.
            let one = ServerFixtures.json(["input": texts[0], "model": "sentence-transformers/all-MiniLM-L6-v2"])
            try await client.execute(uri: "/v1/embeddings", method: .post, body: one) { response in
                let data = ServerFixtures.object(response)["data"] as? [[String: Any]] ?? []
                #expect(data.count == 1)
                #expect(ServerFixtures.matches(ServerFixtures.floats(data.first?["embedding"]), embedder.embed([texts[0]])[0]))
            }
        }
    }

    @Test("a request of many batches is split across the compute threads and keeps the Embedder's bits and order")
    func manyBatches() async throws {
        let embedder = try ServerFixtures.embedder.get()
        // 16 texts of 40–250 tokens: more padded tokens than one 2,048-token batch holds.
        let words = "the quick brown fox jumps over a lazy dog while seven wizards quietly judge boxing matches".split(separator: " ")
        let texts = (0 ..< 16).map { i in (0 ..< 40 + (i * 37) % 210).map { String(words[($0 * (i + 3)) % words.count]) }.joined(separator: " ") }
        #expect(Embedder.batches(lengths: texts.map { embedder.tokenizer.encode($0).count }).count > 1)
        let expected = embedder.embed(texts)
        try await ServerFixtures.application().test(.router) { client in
            let body = ServerFixtures.json(["input": texts, "model": "all-MiniLM-L6-v2"])
            try await client.execute(uri: "/v1/embeddings", method: .post, body: body) { response in
                #expect(response.status == .ok)
                let data = ServerFixtures.object(response)["data"] as? [[String: Any]] ?? []
                #expect(data.count == texts.count)
                for (i, item) in data.enumerated() {
                    #expect(item["index"] as? Int == i)
                    #expect(ServerFixtures.matches(ServerFixtures.floats(item["embedding"]), expected[i]))
                }
            }
        }
    }

    @Test("encoding_format base64 carries float32 little-endian (the Embedder's vectors within the batching tolerance)")
    func base64() async throws {
        let embedder = try ServerFixtures.embedder.get()
        let expected = embedder.embed(["base64 please"])[0]
        try await ServerFixtures.application().test(.router) { client in
            let body = ServerFixtures.json(["input": ["base64 please"], "model": "all-MiniLM-L6-v2", "encoding_format": "base64"])
            try await client.execute(uri: "/v1/embeddings", method: .post, body: body) { response in
                #expect(response.status == .ok)
                let item = (ServerFixtures.object(response)["data"] as? [[String: Any]])?.first
                let bytes = Data(base64Encoded: item?["embedding"] as? String ?? "") ?? Data()
                let floats = stride(from: 0, to: bytes.count, by: 4).map { offset in
                    Float(bitPattern: bytes[offset ..< offset + 4].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
                }
                #expect(ServerFixtures.matches(floats, expected))
            }
        }
    }

    @Test(
        "malformed requests get 400 (404 for an unknown model) with an OpenAI error body naming the field",
        arguments: [
            ("{\"input\": \"a\", \"model\": ", 400, nil),
            ("", 400, nil),
            ("[1, 2]", 400, nil),
            ("{\"model\": \"all-MiniLM-L6-v2\"}", 400, "input"),
            ("{\"input\": \"a\"}", 400, "model"),
            ("{\"input\": 5, \"model\": \"all-MiniLM-L6-v2\"}", 400, "input"),
            ("{\"input\": [1, 2, 3], \"model\": \"all-MiniLM-L6-v2\"}", 400, "input"),
            ("{\"input\": [], \"model\": \"all-MiniLM-L6-v2\"}", 400, "input"),
            ("{\"input\": \"a\", \"model\": \"all-MiniLM-L6-v2\", \"colour\": 1}", 400, "colour"),
            ("{\"input\": \"a\", \"model\": \"all-MiniLM-L6-v2\", \"encoding_format\": \"hex\"}", 400, "encoding_format"),
            ("{\"input\": \"a\", \"model\": \"all-MiniLM-L6-v2\", \"dimensions\": 128}", 400, "dimensions"),
            ("{\"input\": \"a\", \"model\": \"text-embedding-3-small\"}", 404, "model"),
        ] as [(String, Int, String?)])
    func malformed(body: String, status: Int, param: String?) async throws {
        try await ServerFixtures.application().test(.router) { client in
            try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status.code == status)
                #expect(response.headers[.contentType] == "application/json")
                let error = ServerFixtures.error(response)
                #expect(!(error["message"] as? String ?? "").isEmpty)
                #expect(error["type"] as? String == "invalid_request_error")
                #expect(error["param"] as? String == param)
            }
        }
    }

    @Test("too many inputs is a 400; a body over the limit is a 413 with a JSON error")
    func limits() async throws {
        try await ServerFixtures.application(maxBodyBytes: 4096).test(.router) { client in
            let many = ServerFixtures.json(["input": Array(repeating: "x", count: 17), "model": "all-MiniLM-L6-v2"])
            try await client.execute(uri: "/v1/embeddings", method: .post, body: many) { response in
                #expect(response.status == .badRequest)
                #expect(ServerFixtures.error(response)["param"] as? String == "input")
            }
            let big = ServerFixtures.json(["input": String(repeating: "word ", count: 2000), "model": "all-MiniLM-L6-v2"])
            for uri in ["/v1/embeddings", "/v1/examples"] {
                try await client.execute(uri: uri, method: .post, body: big) { response in
                    #expect(response.status == .contentTooLarge)
                    #expect(ServerFixtures.error(response)["code"] as? String == "request_too_large")
                }
            }
        }
    }

    @Test("an unknown endpoint is a 404 with a JSON error")
    func notFound() async throws {
        try await ServerFixtures.application().test(.router) { client in
            try await client.execute(uri: "/v1/nothing", method: .post, body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .notFound)
                #expect(ServerFixtures.error(response)["type"] as? String == "not_found_error")
            }
        }
    }

    @Test("POST /v1/examples selects from a named pool and from inline examples, within the budget")
    func examples() async throws {
        try await ServerFixtures.application().test(.router) { client in
            let named = ServerFixtures.json([
                "query": "How far away is Mars ?", "pool": "tiny", "k": 2, "budget": 30, "tokenizer": "wordpiece",
            ])
            try await client.execute(uri: "/v1/examples", method: .post, body: named) { response in
                #expect(response.status == .ok)
                let object = ServerFixtures.object(response)
                #expect(object["object"] as? String == "example_selection")
                #expect(object["pool"] as? String == "tiny")
                #expect(object["tokenizer"] as? String == "wordpiece")
                let chosen = object["examples"] as? [[String: Any]] ?? []
                #expect(chosen.count == 2)
                #expect(chosen.allSatisfy { $0["label"] as? String == "NUM" })
                let total = object["total_tokens"] as? Int ?? .max
                #expect(total <= 30)
                #expect(total == chosen.reduce(0) { $0 + ($1["tokens"] as? Int ?? 0) })
            }
            let inline = ServerFixtures.json([
                "query": "Who composed the Magic Flute ?", "method": "bm25", "k": 1,
                "examples": [["input": "Who composed Carmen ?", "output": "HUM"], ["input": "Where is Lima ?", "output": "LOC"]],
            ])
            try await client.execute(uri: "/v1/examples", method: .post, body: inline) { response in
                #expect(response.status == .ok)
                let chosen = ServerFixtures.object(response)["examples"] as? [[String: Any]] ?? []
                #expect(chosen.first?["input"] as? String == "Who composed Carmen ?")
            }
            let inlineKNN = ServerFixtures.json([
                "query": "Who wrote the Odyssey ?", "k": 1,
                "examples": [["input": "Where is Lima ?", "output": "LOC"], ["input": "Who wrote Faust ?", "output": "HUM"]],
            ])
            try await client.execute(uri: "/v1/examples", method: .post, body: inlineKNN) { response in
                let chosen = ServerFixtures.object(response)["examples"] as? [[String: Any]] ?? []
                #expect(chosen.first?["output"] as? String == "HUM")
            }
        }
    }

    @Test(
        "bad /v1/examples requests get 400/404 naming the field",
        arguments: [
            (#"{"query": "q"}"#, 400, "pool"),
            (#"{"query": "q", "pool": "tiny", "examples": [{"input": "a", "output": "b"}]}"#, 400, "pool"),
            (#"{"query": "q", "pool": "nope"}"#, 404, "pool"),
            (#"{"query": "q", "pool": "tiny", "k": 0}"#, 400, "k"),
            (#"{"query": "q", "pool": "tiny", "k": "eight"}"#, 400, "k"),
            (#"{"query": "q", "pool": "tiny", "lambda": 3}"#, 400, "lambda"),
            (#"{"query": "q", "pool": "tiny", "method": "magic"}"#, 400, "method"),
            (#"{"query": "q", "pool": "tiny", "tokenizer": "tiktoken:/etc/passwd"}"#, 400, "tokenizer"),
            (#"{"query": "q", "examples": []}"#, 400, "examples"),
            (#"{"query": "q", "examples": [{"input": "a"}]}"#, 400, "examples[0].output"),
            (#"{"pool": "tiny"}"#, 400, "query"),
        ] as [(String, Int, String)])
    func badExamples(body: String, status: Int, param: String) async throws {
        let buffer = ByteBuffer(string: body)
        try await ServerFixtures.application().test(.router) { client in
            try await client.execute(uri: "/v1/examples", method: .post, body: buffer) { response in
                #expect(response.status.code == status)
                #expect(ServerFixtures.error(response)["param"] as? String == param)
            }
        }
    }
}

@Suite("POST /v1/compress (router)", .enabled(if: ServerFixtures.hasModel, "\(ServerFixtures.skipMessage)"))
struct ServerCompressTests {
    static let contexts = [
        "The Eiffel Tower was completed in 1889 for the World's Fair in Paris. It is 330 metres tall and was the tallest man-made structure for 41 years.",
        "Bananas are berries, botanically speaking, while strawberries are not. They grow in tropical regions and are rich in potassium.",
        "Gustave Eiffel's company designed and built the tower. The design was by Maurice Koechlin and Émile Nouguier, two senior engineers.",
    ]

    @Test("compresses as the PromptCompressor does, within the target")
    func compress() async throws {
        let request = CompressionRequest(context: Self.contexts, question: "Who designed the Eiffel Tower?", targetTokens: 40)
        var direct = try ServerFixtures.compressor.get().compress(request)
        direct.timingsMS = nil
        let expected = direct
        let body = try JSONEncoder().encode(request)
        try await ServerFixtures.application().test(.router) { client in
            try await client.execute(uri: "/v1/compress", method: .post, body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .ok)
                var result = try JSONDecoder().decode(CompressionResult.self, from: Data(response.body.readableBytesView))
                result.timingsMS = nil
                #expect(result == expected)
                #expect(result.compressedTokens < result.originTokens)
            }
        }
    }

    @Test(
        "bad compression requests get a 400 naming the field",
        arguments: [
            (#"{"context": ["a b c"], "rate": 2}"#, "rate"),
            (#"{"context": ["a b c"], "colour": 1}"#, nil),
            (#"{"context": 5}"#, "context"),
            (#"{"context": ["a"], "tokenizer": "tiktoken:/etc/passwd"}"#, "tokenizer"),
            (#"{"context": ["a"], "#, nil),
        ] as [(String, String?)])
    func bad(body: String, param: String?) async throws {
        try await ServerFixtures.application().test(.router) { client in
            try await client.execute(uri: "/v1/compress", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest)
                let error = ServerFixtures.error(response)
                #expect(!(error["message"] as? String ?? "").isEmpty)
                if let param { #expect(error["param"] as? String == param) }
            }
        }
    }

    @Test("without a compressor the endpoint answers 503 with a JSON error")
    func unavailable() async throws {
        try await ServerFixtures.application(compress: false).test(.router) { client in
            try await client.execute(uri: "/v1/compress", method: .post, body: ByteBuffer(string: #"{"context": ["a"]}"#)) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(ServerFixtures.error(response)["type"] as? String == "server_error")
            }
        }
    }
}

@Suite("winnow serve over loopback", .enabled(if: ServerFixtures.hasModel, "\(ServerFixtures.skipMessage)"))
struct ServerLiveTests {
    @Test("a real socket: embeddings, a declared oversize body (413) and malformed JSON (400)")
    func live() async throws {
        let embedder = try ServerFixtures.embedder.get()
        try await ServerFixtures.application(maxBodyBytes: 2048).test(.live) { client in
            let body = ServerFixtures.json(["input": "over the wire", "model": "all-MiniLM-L6-v2"])
            try await client.execute(uri: "/v1/embeddings", method: .post, headers: [.contentType: "application/json"], body: body) { response in
                #expect(response.status == .ok)
                let data = ServerFixtures.object(response)["data"] as? [[String: Any]] ?? []
                #expect(ServerFixtures.matches(ServerFixtures.floats(data.first?["embedding"]), embedder.embed(["over the wire"])[0]))
            }
            let big = ServerFixtures.json(["input": String(repeating: "a ", count: 4000), "model": "all-MiniLM-L6-v2"])
            try await client.execute(uri: "/v1/embeddings", method: .post, body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(ServerFixtures.error(response)["code"] as? String == "request_too_large")
            }
            try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: "{oops")) { response in
                #expect(response.status == .badRequest)
                #expect(ServerFixtures.error(response)["type"] as? String == "invalid_request_error")
            }
        }
    }
}

import Foundation
import Hummingbird
import WinnowEmbed

/// `POST /v1/embeddings`, as OpenAI's: `{"input": "…" | ["…", …], "model": "…",
/// "encoding_format": "float" | "base64", "dimensions": N, "user": "…"}`.
struct EmbeddingsRequest: Decodable, Sendable {
    /// The texts.
    var input: EmbeddingInput
    /// The model name.
    var model: String
    /// `float` (default) or `base64` (little-endian float32 bytes, as OpenAI sends them).
    var encodingFormat: String?
    /// The vector length; only the model's own is accepted (MiniLM cannot be shortened).
    var dimensions: Int?
    /// The caller's id (ignored).
    var user: String?

    static let keys: Set<String> = ["input", "model", "encoding_format", "dimensions", "user"]

    enum CodingKeys: String, CodingKey {
        case input, model, dimensions, user
        case encodingFormat = "encoding_format"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        input = try c.decode(EmbeddingInput.self, forKey: .input)
        model = try c.decode(String.self, forKey: .model)
        encodingFormat = try c.decodeIfPresent(String.self, forKey: .encodingFormat)
        dimensions = try c.decodeIntegerIfPresent(Int.self, forKey: .dimensions)
        user = try c.decodeIfPresent(String.self, forKey: .user)
    }
}

/// `input`: one string or an array of strings (OpenAI's token-id arrays are refused: ids of
/// another tokenizer mean nothing to this model).
struct EmbeddingInput: Decodable, Sendable {
    var texts: [String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            texts = [one]
        } else if let many = try? container.decode([String].self) {
            texts = many
        } else if (try? container.decode([Int].self)) != nil || (try? container.decode([[Int]].self)) != nil {
            throw APIError.invalid("token-id input is not supported; send text", param: "input")
        } else {
            throw APIError.invalid("\"input\" must be a string or an array of strings", param: "input")
        }
    }
}

/// The response: `{"object": "list", "data": [{"object": "embedding", "index": i,
/// "embedding": [...]}], "model": …, "usage": {"prompt_tokens": N, "total_tokens": N}}`.
struct EmbeddingsResponse: Encodable, Sendable {
    var object = "list"
    var data: [Item]
    var model: String
    var usage: Usage

    struct Item: Encodable, Sendable {
        var object = "embedding"
        var index: Int
        var embedding: Vector
    }

    /// A vector as a JSON array of numbers or a base64 string of little-endian float32.
    enum Vector: Encodable, Sendable {
        case floats([Float])
        case base64(String)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .floats(let values): try container.encode(values)
            case .base64(let text): try container.encode(text)
            }
        }
    }

    struct Usage: Encodable, Sendable {
        var promptTokens: Int
        var totalTokens: Int

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case totalTokens = "total_tokens"
        }
    }
}

enum EmbeddingsEndpoint {
    static func handle(_ request: Request, models: ServerModels, configuration: ServerConfiguration) async throws -> Response {
        let maxInputs = configuration.maxEmbeddingInputs
        let body = try await JSONBody.decode(
            EmbeddingsRequest.self, from: request, limit: configuration.maxBodyBytes, allowedKeys: EmbeddingsRequest.keys
        ) { fields in
            if let list = fields["input"] as? [Any], list.count > maxInputs { throw tooMany(list.count, maxInputs) }
        }
        guard models.serves(model: body.model) else {
            throw APIError(
                .notFound, "The model `\(body.model)` does not exist; this server embeds with `\(models.modelName)`",
                type: "invalid_request_error", param: "model", code: "model_not_found")
        }
        let format = body.encodingFormat ?? "float"
        guard format == "float" || format == "base64" else {
            throw APIError.invalid("\"encoding_format\" must be \"float\" or \"base64\"", param: "encoding_format")
        }
        if let dimensions = body.dimensions, dimensions != models.embedder.dimension {
            throw APIError.invalid(
                "\(models.modelName) makes \(models.embedder.dimension)-dimensional vectors; \"dimensions\" cannot change that",
                param: "dimensions")
        }
        let texts = body.input.texts
        guard !texts.isEmpty else { throw APIError.invalid("\"input\" is an empty array", param: "input") }
        guard texts.count <= maxInputs else { throw tooMany(texts.count, maxInputs) }
        let embedder = models.embedder
        let compute = models.compute
        let metrics = models.metrics
        let cost = texts.reduce(0) { $0 + min(embedder.tokenizer.maxLength, ServerModels.cost(bytes: $1.utf8.count)) }
        let batcher = models.batcher
        let (vectors, tokens) = try await models.admitted(cost: cost, deadline: configuration.requestTimeout) { ticket in
            let encoded = try await compute.run(ticket) { texts.map { embedder.tokenizer.encode($0) } }
            let tokens = encoded.reduce(0) { $0 + $1.count }
            return (try await batched(encoded, ticket: ticket, compute: compute, batcher: batcher), tokens)
        }
        metrics.tokens(route: "/v1/embeddings", tokens)
        let items = vectors.enumerated().map { index, vector in
            EmbeddingsResponse.Item(index: index, embedding: format == "base64" ? .base64(base64(vector)) : .floats(vector))
        }
        return try JSONBody.response(
            EmbeddingsResponse(data: items, model: models.modelName, usage: .init(promptTokens: tokens, totalTokens: tokens)))
    }

    /// Embeds a request's texts through the shared batcher: submits them, queues one turn per
    /// batch the request would need alone (compute jobs, taken in turn with other requests'
    /// jobs), and returns once every vector is back — computed by its own turns or by other
    /// requests' turns that had room. Its turns still queued then leave the queue; on
    /// cancellation (deadline) its pending texts are withdrawn.
    static func batched(
        _ encoded: [[Int32]], ticket: ComputePool.Ticket, compute: ComputePool, batcher: EmbeddingBatcher
    ) async throws -> [[Float]] {
        let owner = ticket.id
        let result = batcher.submit(owner: owner, encoded: encoded)
        defer { batcher.withdraw(owner: owner) }
        @Sendable func turn() async throws -> [[Float]]? {
            try await compute.run(ticket, measured: { ((), batcher.turn(owner: owner)) })
            return nil
        }
        return try await withThrowingTaskGroup(of: [[Float]]?.self) { group in
            defer { group.cancelAll() }
            group.addTask { try await result.wait() }
            var running = batcher.turns(lengths: encoded.map(\.count))
            for _ in 0 ..< running { group.addTask(operation: turn) }
            while let next = try await group.next() {
                if let vectors = next { return vectors }
                running -= 1
                // Not reached when the turns work as documented; never leave texts stranded.
                if running == 0, batcher.hasPending(owner: owner) {
                    running += 1
                    group.addTask(operation: turn)
                }
            }
            throw CancellationError()
        }
    }

    static func tooMany(_ count: Int, _ limit: Int) -> APIError {
        APIError.invalid("at most \(limit) inputs per request (got \(count))", param: "input")
    }

    /// Little-endian float32 bytes, base64-encoded (what OpenAI's `encoding_format: base64` sends).
    static func base64(_ vector: [Float]) -> String {
        var bytes = Data(capacity: vector.count * 4)
        for value in vector { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes.base64EncodedString()
    }
}

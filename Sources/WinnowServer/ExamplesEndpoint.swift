import Foundation
import Hummingbird
import WinnowEmbed
import WinnowPrompt

/// `POST /v1/examples`: `{"query": "…", "pool": "<name>" | "examples": [{"input", "output",
/// "label"}], "k": 8, "method": "knn" | "mmr" | "bm25" | "random", "lambda": 0.5, "budget": N,
/// "tokenizer": "whitespace", "balance_labels": false, "seed": 0}`.
struct ExamplesRequest: Decodable, Sendable {
    var query: String
    var pool: String?
    var examples: [Example]?
    var k: Int?
    var method: String?
    var lambda: Double?
    var budget: Int?
    var tokenizer: String?
    var balanceLabels: Bool?
    var seed: UInt64?

    static let keys: Set<String> = ["query", "pool", "examples", "k", "method", "lambda", "budget", "tokenizer", "balance_labels", "seed"]

    enum CodingKeys: String, CodingKey {
        case query, pool, examples, k, method, lambda, budget, tokenizer, seed
        case balanceLabels = "balance_labels"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        query = try c.decode(String.self, forKey: .query)
        pool = try c.decodeIfPresent(String.self, forKey: .pool)
        examples = try c.decodeIfPresent([Example].self, forKey: .examples)
        k = try c.decodeIntegerIfPresent(Int.self, forKey: .k)
        method = try c.decodeIfPresent(String.self, forKey: .method)
        lambda = try c.decodeIfPresent(Double.self, forKey: .lambda)
        budget = try c.decodeIntegerIfPresent(Int.self, forKey: .budget)
        tokenizer = try c.decodeIfPresent(String.self, forKey: .tokenizer)
        balanceLabels = try c.decodeIfPresent(Bool.self, forKey: .balanceLabels)
        seed = try c.decodeIntegerIfPresent(UInt64.self, forKey: .seed)
    }
}

/// The response: the selection's fields (as `winnow examples --json`) plus `"object"` and `"pool"`.
struct ExamplesResponse: Encodable, Sendable {
    var pool: String?
    var selection: ExampleSelection

    enum CodingKeys: String, CodingKey { case object, pool }

    func encode(to encoder: any Encoder) throws {
        try selection.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("example_selection", forKey: .object)
        try container.encode(pool, forKey: .pool)
    }
}

enum ExamplesEndpoint {
    static func handle(_ request: Request, models: ServerModels, configuration: ServerConfiguration) async throws -> Response {
        let body = try await JSONBody.decode(
            ExamplesRequest.self, from: request, limit: configuration.maxBodyBytes, allowedKeys: ExamplesRequest.keys)
        guard let method = ExampleSelectionMethod(rawValue: body.method ?? "knn") else {
            throw APIError.invalid("\"method\" must be knn, mmr, bm25 or random", param: "method")
        }
        let options = ExampleSelectionOptions(
            k: body.k ?? 8, method: method, lambda: body.lambda ?? 0.5, budget: body.budget,
            balanceLabels: body.balanceLabels ?? false, seed: body.seed ?? 0)
        do {
            try options.validate()
        } catch let error as PromptError {
            throw APIError.invalid("\"\(error.location)\" \(error.message)", param: error.location)
        }
        let counter = try models.counter(named: body.tokenizer ?? "whitespace")
        let embedder = models.embedder
        let query = body.query
        let selection: ExampleSelection
        switch (body.pool, body.examples) {
        case (let name?, nil):
            guard let index = models.pools[name] else {
                let known = models.pools.keys.sorted().joined(separator: ", ")
                throw APIError(.notFound, "no example pool named \"\(name)\" (this server has: \(known.isEmpty ? "none" : known))", param: "pool")
            }
            let compute = models.compute
            selection = try await models.admitted(cost: ServerModels.cost(bytes: query.utf8.count), deadline: configuration.requestTimeout) { ticket in
                try await compute.run(ticket) {
                    try index.select(queries: [query], embedder: embedder, options: options, counter: counter)[0]
                }
            }
        case (nil, let examples?):
            guard !examples.isEmpty else { throw APIError.invalid("\"examples\" is empty", param: "examples") }
            guard examples.count <= configuration.maxInlineExamples else {
                throw APIError.invalid(
                    "at most \(configuration.maxInlineExamples) inline examples (got \(examples.count)); start the server with --pool for larger pools",
                    param: "examples")
            }
            let compute = models.compute
            let bytes = examples.reduce(query.utf8.count) { $0 + $1.input.utf8.count }
            selection = try await models.admitted(cost: ServerModels.cost(bytes: bytes, texts: examples.count + 1), deadline: configuration.requestTimeout) { ticket in
                try await compute.run(ticket, units: bytes / 4) {
                let pool = ExamplePool(examples: examples)
                let vectors = method.needsEmbeddings ? try embedder.embedMatrix(examples.map(\.input), workers: 1) : nil
                let index = ExampleIndex(pool: pool, vectors: vectors, dimension: embedder.dimension)
                return try index.select(queries: [query], embedder: embedder, options: options, counter: counter)[0]
                }
            }
        default:
            throw APIError.invalid("give exactly one of \"pool\" and \"examples\"", param: "pool")
        }
        return try JSONBody.response(ExamplesResponse(pool: body.pool, selection: selection))
    }
}

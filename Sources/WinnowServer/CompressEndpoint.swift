import Foundation
import Hummingbird
import WinnowPrompt

/// `POST /v1/compress`: a ``CompressionRequest`` (as `winnow compress --json` reads it) in, a
/// ``CompressionResult`` out.
enum CompressEndpoint {
    static func handle(_ request: Request, models: ServerModels, configuration: ServerConfiguration) async throws -> Response {
        guard let compressor = models.compressor else {
            throw APIError(.serviceUnavailable, "this server was started without the prompt compressor", type: "server_error")
        }
        let data = try await JSONBody.read(request, limit: configuration.maxBodyBytes)
        let compression: CompressionRequest
        do {
            compression = try CompressionRequest.decode(json: data)
        } catch let error as PromptError {
            throw APIError.invalid(error.description, param: param(error.location))
        }
        // A counter with a file path reads that file: only the one given at start is allowed.
        if let spec = compression.tokenizer, spec.contains(":"), spec != compressor.configuration.tokenizer {
            throw APIError.invalid(
                "token counter \"\(spec)\" was not loaded at start (give it to `winnow serve --compress-tokenizer`)",
                param: "tokenizer")
        }
        let result: CompressionResult
        do {
            let compute = models.compute
            result = try await models.admitted(cost: ServerModels.cost(bytes: data.count), deadline: configuration.requestTimeout) { ticket in
                try await compute.run(ticket, units: data.count / 4) { try compressor.compress(compression) }
            }
        } catch let error as PromptError {
            throw APIError.invalid(error.description, param: param(error.location))
        }
        return try JSONBody.response(result)
    }

    /// The request field a ``PromptError`` location names (`request.rate` → `rate`), if any.
    static func param(_ location: String) -> String? {
        guard location.hasPrefix("request.") else { return nil }
        return String(location.dropFirst("request.".count))
    }
}

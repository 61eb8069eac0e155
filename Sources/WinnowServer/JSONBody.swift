import Foundation
import Hummingbird
import NIOHTTP1
import WinnowPrompt

/// Reading JSON request bodies and writing JSON responses, with OpenAI-style 400/413 errors.
enum JSONBody {
    /// Reads at most `limit` bytes of body and decodes them as `T`.
    /// - Parameters:
    ///   - allowedKeys: the top-level fields `T` knows; any other is a 400 (a typo must not be
    ///     silently ignored).
    /// - Throws: ``APIError`` 413 when the body (or its declared Content-Length) is over the
    ///   limit; 400 for an empty body, invalid JSON (with the byte offset), a non-object, an
    ///   unknown, missing or mistyped field (named in `param`).
    ///   - check: runs on the parsed top-level fields before they are decoded (cheap limits, such
    ///     as a list's length, go here so an oversized list is refused before it is copied).
    static func decode<T: Decodable>(
        _ type: T.Type, from request: Request, limit: Int, allowedKeys: Set<String>, check: ([String: Any]) throws -> Void = { _ in }
    ) async throws -> T {
        try decode(type, from: try await readBytes(request, limit: limit), allowedKeys: allowedKeys, check: check)
    }

    /// Reads at most `limit` bytes of body and checks that they hold one JSON object.
    /// - Throws: ``APIError`` 413 over the limit; 400 for an empty body, invalid JSON or a non-object.
    static func read(_ request: Request, limit: Int) async throws -> Data {
        let data = try await readBytes(request, limit: limit)
        _ = try object(data)
        return data
    }

    /// The body's bytes, at most `limit`, all that its Content-Length declares.
    private static func readBytes(_ request: Request, limit: Int) async throws -> Data {
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > limit { throw tooLarge(limit) }
        var buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge(limit)
        } catch let error as HTTPParserError {
            var mapped = HTTPGuard.apiError(for: error)
            mapped.headers[.connection] = "close"
            throw mapped
        } catch {
            // The parser failed mid-body (a bad chunk) or the connection broke: the client's fault.
            var mapped = APIError(.badRequest, "the request body could not be read (\(error))", code: "incomplete_body")
            mapped.headers[.connection] = "close"
            throw mapped
        }
        // A client that half-closes after fewer bytes than it declared ends the stream early.
        if let declared, buffer.readableBytes < declared {
            var error = APIError(
                .badRequest, "the request body ended after \(buffer.readableBytes) of the \(declared) bytes its Content-Length declares",
                code: "incomplete_body")
            error.headers[.connection] = "close"
            throw error
        }
        return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
    }

    /// The body's top-level JSON object.
    static func object(_ data: Data) throws -> [String: Any] {
        guard !data.isEmpty else { throw APIError.invalid("the request body is empty; expected a JSON object") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            // Foundation refuses a number no double holds (`1e400`) as invalid JSON: name its field.
            if let field = JSONNumberRange.outOfRangeField(in: data) {
                throw APIError.invalid("field \"\(field)\": number out of range", param: field)
            }
            throw APIError.invalid("the request body is not valid JSON (\(describe(error)))")
        }
        guard let fields = object as? [String: Any] else { throw APIError.invalid("the request body must be a JSON object") }
        return fields
    }

    /// Decodes a complete body (see ``decode(_:from:limit:allowedKeys:)``).
    static func decode<T: Decodable>(
        _ type: T.Type, from data: Data, allowedKeys: Set<String>, check: ([String: Any]) throws -> Void = { _ in }
    ) throws -> T {
        let fields = try object(data)
        if let unknown = fields.keys.sorted().first(where: { !allowedKeys.contains($0) }) {
            throw APIError.invalid("unknown field \"\(unknown)\"", param: unknown)
        }
        try check(fields)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as APIError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            let path = keyPath(context.codingPath + [key])
            throw APIError.invalid("missing required field \"\(path)\"", param: path)
        } catch let DecodingError.typeMismatch(expected, context) {
            let path = keyPath(context.codingPath)
            throw APIError.invalid("field \"\(path)\" must be \(typeName(expected))", param: path)
        } catch let DecodingError.valueNotFound(expected, context) {
            let path = keyPath(context.codingPath)
            throw APIError.invalid("field \"\(path)\" must be \(typeName(expected)), not null", param: path)
        } catch let DecodingError.dataCorrupted(context) {
            let path = keyPath(context.codingPath)
            if path.isEmpty, let field = JSONNumberRange.outOfRangeField(in: data) {
                throw APIError.invalid("field \"\(field)\": number out of range", param: field)
            }
            throw APIError.invalid("field \"\(path)\": \(context.debugDescription)", param: path.isEmpty ? nil : path)
        }
    }

    /// A JSON response.
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "request body larger than the limit of \(limit) bytes", code: "request_too_large")
    }

    private static func keyPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is Bool.Type: "true or false"
        case is [Any].Type: "an array"
        default: "\(type)"
        }
    }

    private static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        return (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? nsError.localizedDescription
    }
}

import Foundation
import Hummingbird

/// Reading JSON request bodies and writing JSON responses, with OpenAI-style 400/413 errors.
enum JSONBody {
    /// Reads at most `limit` bytes of body and decodes them as `T`.
    /// - Parameters:
    ///   - allowedKeys: the top-level fields `T` knows; any other is a 400 (a typo must not be
    ///     silently ignored).
    /// - Throws: ``APIError`` 413 when the body (or its declared Content-Length) is over the
    ///   limit; 400 for an empty body, invalid JSON (with the byte offset), a non-object, an
    ///   unknown, missing or mistyped field (named in `param`).
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int, allowedKeys: Set<String>) async throws -> T {
        try decode(type, from: try await read(request, limit: limit), allowedKeys: allowedKeys)
    }

    /// Reads at most `limit` bytes of body and checks that they hold one JSON object.
    /// - Throws: ``APIError`` 413 over the limit; 400 for an empty body, invalid JSON or a non-object.
    static func read(_ request: Request, limit: Int) async throws -> Data {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw tooLarge(limit)
        }
        var buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge(limit)
        }
        let data = Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        _ = try object(data)
        return data
    }

    /// The body's top-level JSON object.
    static func object(_ data: Data) throws -> [String: Any] {
        guard !data.isEmpty else { throw APIError.invalid("the request body is empty; expected a JSON object") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw APIError.invalid("the request body is not valid JSON (\(describe(error)))")
        }
        guard let fields = object as? [String: Any] else { throw APIError.invalid("the request body must be a JSON object") }
        return fields
    }

    /// Decodes a complete body (see ``decode(_:from:limit:allowedKeys:)``).
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, allowedKeys: Set<String>) throws -> T {
        let fields = try object(data)
        if let unknown = fields.keys.sorted().first(where: { !allowedKeys.contains($0) }) {
            throw APIError.invalid("unknown field \"\(unknown)\"", param: unknown)
        }
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

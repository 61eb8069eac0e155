import Foundation
import Hummingbird

/// An error answered as OpenAI's API does: a status and
/// `{"error": {"message": …, "type": …, "param": …, "code": …}}`.
///
/// Library errors are mapped to these at the edge (``ErrorMiddleware``); HTTP types never reach
/// the library modules.
public struct APIError: Error, Sendable, HTTPResponseError, CustomStringConvertible {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// What went wrong, for the client.
    public var message: String
    /// OpenAI's error type: `invalid_request_error`, `not_found_error`, `server_error`, ….
    public var type: String
    /// The request field at fault, when there is one.
    public var param: String?
    /// A machine-readable code (`model_not_found`, `request_too_large`, …).
    public var code: String?
    /// Extra response headers (`Allow` on a 405, `Connection: close` after a broken body).
    public var headers: HTTPFields = [:]

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, _ message: String, type: String? = nil, param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type ?? APIError.defaultType(for: status)
        self.param = param
        self.code = code
    }

    /// A 400 for a bad request field.
    public static func invalid(_ message: String, param: String? = nil) -> APIError {
        APIError(.badRequest, message, param: param)
    }

    /// `status message`.
    public var description: String { "\(status.code) \(message)" }

    /// The JSON body.
    public var body: ErrorBody {
        ErrorBody(error: .init(message: message, type: type, param: param, code: code))
    }

    /// The JSON body's bytes, keys always in OpenAI's order (`message`, `type`, `param`,
    /// `code`). `JSONEncoder` without `.sortedKeys` orders keys by a hash seeded per dictionary,
    /// so the same error came out with its keys in a different order from one response to the next.
    public var jsonBytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        func value(_ s: String?) -> String {
            guard let s else { return "null" }
            return (try? encoder.encode(s)).map { String(decoding: $0, as: UTF8.self) } ?? #""?""#
        }
        return Array(#"{"error":{"message":\#(value(message)),"type":\#(value(type)),"param":\#(value(param)),"code":\#(value(code))}}"#.utf8)
    }

    /// The response: the JSON body with `Content-Type: application/json`, plus ``headers``.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields: HTTPFields = [.contentType: "application/json"]
        fields.append(contentsOf: headers)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: jsonBytes)))
    }

    static func defaultType(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 401: "authentication_error"
        case 404: "not_found_error"
        case 400 ..< 500: "invalid_request_error"
        default: "server_error"
        }
    }
}

/// OpenAI's error envelope.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// The error.
    public var error: Detail

    /// The error's fields; `param` and `code` are written as null when absent, as OpenAI does.
    public struct Detail: Codable, Sendable, Equatable {
        public var message: String
        public var type: String
        public var param: String?
        public var code: String?

        enum CodingKeys: String, CodingKey { case message, type, param, code }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(type, forKey: .type)
            try container.encode(param, forKey: .param)
            try container.encode(code, forKey: .code)
        }
    }
}

import Hummingbird
import NIOHTTP1
import WinnowCore

/// Turns every error into an OpenAI-style JSON error response: ``APIError`` as is, Hummingbird's
/// `HTTPError` (404, 405 …) with its status, a body over the size limit as 413, an HTTP parser
/// error met while reading the body as 400 (431 for headers too large), a user-facing
/// library error (bad option, bad tokenizer file) as 400; anything else as 500 without internals
/// (logged).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch {
            let mapped = ErrorMiddleware.apiError(for: error)
            if mapped.status == .internalServerError { context.logger.error("internal error: \(String(describing: error))") }
            return try mapped.response(from: request, context: context)
        }
    }

    /// The API error for a thrown error.
    static func apiError(for error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPParserError:
            // The body's framing broke mid-request (bad chunk, connection ended): a client fault.
            var mapped = HTTPGuard.apiError(for: error)
            mapped.headers[.connection] = "close"
            return mapped
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            // NIOTooManyBytesError from collecting a body over the limit.
            return APIError(.contentTooLarge, "request body too large", code: "request_too_large")
        case let error as HTTPError:
            let message = error.body ?? (error.status == .notFound ? "no such endpoint" : error.status.reasonPhrase)
            return APIError(error.status, message)
        case let error as any HTTPResponseError:
            return APIError(error.status, error.status.reasonPhrase)
        case let error as any UserFacingError:
            return APIError(.badRequest, error.description)
        default:
            return APIError(.internalServerError, "internal server error")
        }
    }
}

import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// A channel handler between the HTTP/1 codec and Hummingbird's request handling that covers
/// what the router never sees:
///
/// - **A request read deadline.** From a request's head to its end, the client has
///   `readTimeout` to send the body; a client trickling it byte by byte gets a JSON 408 and the
///   connection is closed. (Headers sent slowly are dropped by Hummingbird's idle timeout, which
///   only counts complete HTTP parts as activity.)
/// - **JSON for the parser's own errors.** When NIO's HTTP parser fails (a bad `Content-Length`,
///   a header over the size limit, garbage instead of a request line), Hummingbird answers a
///   bare `400` with an empty body and closes; this handler fills in the OpenAI-style JSON
///   error body (and 431 for headers too large), as every other error has.
final class HTTPGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let readTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// A request's head was read and its end was not yet.
    private var readingRequest = false
    /// A response head was written and its end was not yet.
    private var responding = false
    private var closed = false
    /// The parser error seen on this connection, if any.
    private var parserError: HTTPParserError?
    /// The JSON body to put into Hummingbird's bare parser-error response.
    private var pendingBody: ByteBuffer?

    init(readTimeout: TimeAmount) {
        self.readTimeout = readTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readingRequest = true
            deadline?.cancel()
            let loop = context.eventLoop.assumeIsolatedUnsafeUnchecked()
            deadline = loop.scheduleTask(in: readTimeout) { [self] in self.readTimedOut(context: context) }
        case .body:
            break
        case .end:
            readingRequest = false
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError { parserError = error }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            responding = true
            // Hummingbird's answer to a parser error: 400, `Content-Length: 0`, no type.
            if let parserError, head.status == .badRequest, head.headerFields[.contentType] == nil,
                head.headerFields[.contentLength] == "0"
            {
                let error = HTTPGuard.apiError(for: parserError)
                let body = ByteBuffer(bytes: error.jsonBytes)
                head.status = error.status
                head.headerFields[.contentType] = "application/json"
                head.headerFields[.contentLength] = String(body.readableBytes)
                pendingBody = body
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            responding = false
            if let body = pendingBody {
                pendingBody = nil
                context.write(wrapOutboundOut(.body(body)), promise: nil)
            }
            context.write(data, promise: promise)
        }
    }

    /// The body did not arrive in time: a JSON 408 unless a response is already on its way, then close.
    private func readTimedOut(context: ChannelHandlerContext) {
        deadline = nil
        guard readingRequest, !closed else { return }
        if !responding {
            let seconds = Double(readTimeout.nanoseconds) / 1e9
            let error = APIError(
                .requestTimeout, "the request body did not arrive within \(String(format: "%g", seconds)) s", code: "request_timeout")
            let body = ByteBuffer(bytes: error.jsonBytes)
            let head = HTTPResponse(
                status: .requestTimeout,
                headerFields: [.contentType: "application/json", .contentLength: String(body.readableBytes), .connection: "close"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.close(promise: nil)
    }

    /// The API error for a parser error: 431 for headers over the limit, else 400 naming the fault.
    static func apiError(for error: HTTPParserError) -> APIError {
        switch error {
        case .headerOverflow:
            return APIError(.init(code: 431, reasonPhrase: "Request Header Fields Too Large"), "request headers larger than the limit",
                type: "invalid_request_error", code: "headers_too_large")
        case .invalidEOFState, .closedConnection:
            return APIError(.badRequest, "the connection ended before the request was complete", code: "incomplete_body")
        case .invalidContentLength, .unexpectedContentLength:
            return APIError(.badRequest, "malformed HTTP request: invalid Content-Length", code: "malformed_request")
        case .invalidChunkSize:
            return APIError(.badRequest, "malformed HTTP request: invalid chunk size", code: "malformed_request")
        default:
            return APIError(.badRequest, "malformed HTTP request (\(error))", code: "malformed_request")
        }
    }
}

@available(*, unavailable)
extension HTTPGuard: Sendable {}

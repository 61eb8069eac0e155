import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import WinnowServer

/// The server's child channel when a connection is accepted but never handed to a handler — what
/// happens to connections still queued when the server task is cancelled. It used to trap the
/// whole process ("Deinited NIOAsyncWriter without calling finish()"), seen in the full test
/// suite when the in-process server lagged behind its clients.
@Suite("winnow serve: connections accepted but never served")
struct ConnectionChannelTests {
    @Test("an accepted connection dropped before it is served is closed, and the process lives on")
    func droppedUnserved() async throws {
        let childChannel = ConnectionChannel(http1: HTTP1Channel(responder: { _, _, _ in }))
        let logger = Logger(label: "winnow-test")
        // The same bootstrap as Hummingbird's server: the accepted connections queue up in `inbound`.
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: "127.0.0.1", port: 0) { channel in childChannel.setup(channel: channel, logger: logger) }
        let port = try #require(server.channel.localAddress?.port)
        let clients = try await RawHTTPClient.offPool { try (0 ..< 3).map { _ in try RawHTTPClient(port: port, timeout: 60) } }
        defer { for client in clients { client.close() } }
        try await server.executeThenClose { inbound in
            var accepted = 0
            // Take each connection off the queue and drop it, as a cancelled accept loop does.
            for try await _ in inbound {
                accepted += 1
                if accepted == clients.count { break }
            }
        }
        // Each was closed: its client reads end-of-stream (not the receive timeout).
        for client in clients {
            #expect(try await RawHTTPClient.offPool { client.waitForClose() })
        }
    }
}

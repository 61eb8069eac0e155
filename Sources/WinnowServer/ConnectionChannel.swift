import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Hummingbird's HTTP/1 child channel with one difference: a connection that was accepted but
/// never served is closed instead of trapping the process.
///
/// NIO accepts connections on its event loops and queues them (up to about ten) for the
/// server's accept loop, a Swift task. Each queued connection holds a `NIOAsyncWriter`, which
/// traps with "Deinited NIOAsyncWriter without calling finish()" when it is dropped before
/// `executeThenClose` ran on it. That happens when the server task is cancelled while
/// connections wait in that queue — e.g. whenever the accept loop lags behind (a busy machine)
/// at the moment the server is torn down. ``AcceptedConnection`` closes such a connection
/// properly when it is dropped unserved.
struct ConnectionChannel: ServerChildChannel {
    typealias Value = AcceptedConnection

    let http1: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<AcceptedConnection> {
        http1.setup(channel: channel, logger: logger).map { AcceptedConnection($0) }
    }

    func handle(value: AcceptedConnection, logger: Logger) async {
        value.served.store(true, ordering: .relaxed)
        await http1.handle(value: value.asyncChannel, logger: logger)
    }
}

/// One accepted HTTP/1 connection on its way from the accept queue to its handler.
final class AcceptedConnection: ServerChildChannelValue {
    let asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>
    /// Whether a handler took the connection (it then finishes and closes it).
    let served = Atomic(false)

    var channel: any Channel { asyncChannel.channel }

    init(_ asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>) {
        self.asyncChannel = asyncChannel
    }

    deinit {
        guard !served.load(ordering: .relaxed) else { return }
        // Dropped unserved: finish the writer and close the socket, as a handler would have.
        // The task keeps the writer alive until then, so it is never deinited unfinished.
        let asyncChannel = self.asyncChannel
        Task { try? await asyncChannel.executeThenClose { _, _ in } }
    }
}

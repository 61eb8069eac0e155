import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking loopback HTTP/1.1 client over a POSIX socket, for what a well-behaved client
/// library cannot send: bodies shorter than their Content-Length, half-closes, bytes one at a
/// time, garbage. Every read has a socket timeout, so a test cannot hang on a silent server; it
/// is generous (``defaultTimeout``) because it is a guard against a hang, not a measurement: in
/// the full test suite the in-process server shares Swift's few global-executor threads with
/// every other test, and may not run for a while when those tests block them.
struct RawHTTPClient {
    /// The receive and send timeout of a socket, seconds.
    static let defaultTimeout: Double = 300

    /// The parsed answer.
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]

        /// The body as a JSON object (nil when it is not one).
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
        /// The `error` object of an OpenAI-style error body.
        var error: [String: Any] { json?["error"] as? [String: Any] ?? [:] }
    }

    enum Failure: Error { case connect(Int32), send(Int32), malformed(String) }

    let fd: Int32

    /// Connects to 127.0.0.1:`port` (or [::1]:`port`, where `localhost` resolved to IPv6).
    /// - Parameter timeout: the socket's receive timeout, seconds.
    init(port: Int, timeout: Double = RawHTTPClient.defaultTimeout) throws {
        if let fd = RawHTTPClient.open(port: port, v6: false) ?? RawHTTPClient.open(port: port, v6: true) {
            self.fd = fd
        } else {
            throw Failure.connect(errno)
        }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    private static func open(port: Int, v6: Bool) -> Int32? {
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var ok: Int32
        if v6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(port).bigEndian)
            address.sin6_addr = in6addr_loopback
            ok = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            ok = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        if ok != 0 {
            Glibc.close(fd)
            return nil
        }
        return fd
    }

    /// Sends all of `bytes`.
    /// - Returns: false when the server has closed the connection (EPIPE, ECONNRESET).
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Half-closes: the server reads end-of-stream, the client can still read the answer.
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Whether the server has closed the connection (a read would return end-of-stream or
    /// reset) — checked without waiting.
    func serverClosed() -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// Everything until the server closes (or the receive timeout).
    func readToEnd() -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += chunk[0 ..< n]
        }
        return out
    }

    /// Waits until the server closes the connection, discarding what it sends.
    /// - Returns: true at end-of-stream or reset, false when the receive timeout expired first.
    func waitForClose() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { continue }
            if n == 0 { return true }
            if errno == EINTR { continue }
            return errno != EAGAIN && errno != EWOULDBLOCK
        }
    }

    func close() { Glibc.close(fd) }

    /// Runs blocking socket work on a thread of its own. Not on a GCD global queue: on Linux
    /// those are the same few threads (one per core) that run Swift's tasks, so a blocked client
    /// there would starve the in-process server it waits for.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try work() }) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// ``exchange(port:_:halfClose:)`` off the cooperative pool.
    static func send(port: Int, _ raw: [UInt8], halfClose: Bool = false) async throws -> Reply {
        try await offPool { try exchange(port: port, raw, halfClose: halfClose) }
    }

    /// One request with `Connection: close`, answered and parsed.
    static func exchange(port: Int, _ raw: [UInt8], halfClose: Bool = false, timeout: Double = defaultTimeout) throws -> Reply {
        let client = try RawHTTPClient(port: port, timeout: timeout)
        defer { client.close() }
        client.send(raw)
        if halfClose { client.shutdownWrite() }
        return try parse(client.readToEnd())
    }

    /// A request's bytes: `METHOD path HTTP/1.1`, Host, `Connection: close`, Content-Length
    /// (`declared`, or the body's length), extra header lines, then the body.
    static func request(
        _ path: String, method: String = "POST", body: String = "", declared: Int? = nil, extra: [String] = []
    ) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if method != "GET" || !body.isEmpty { head += "Content-Length: \(declared ?? body.utf8.count)\r\n" }
        for line in extra { head += line + "\r\n" }
        return Array((head + "\r\n" + body).utf8)
    }

    /// Parses a complete HTTP/1.1 response (Content-Length or read-to-close body).
    static func parse(_ bytes: [UInt8]) throws -> Reply {
        guard let split = bytes.indices.first(where: { bytes[$0...].starts(with: [13, 10, 13, 10]) }) else {
            throw Failure.malformed("no complete head in \(bytes.count) bytes: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        let lines = String(decoding: bytes[..<split], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure.malformed("status line \(lines[0])") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(split + 4)...])
        if let length = headers["content-length"].flatMap(Int.init), body.count >= length { body = Array(body.prefix(length)) }
        return Reply(status: status, headers: headers, body: body)
    }
}

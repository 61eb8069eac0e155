import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import WinnowServer

/// Hostile values for every numeric and list option of every endpoint: each gets a 4xx with an
/// OpenAI-style JSON error naming the field — never a 5xx, never a crash (issue 15 §3, issue 24).
enum HostileRequests {
    static let big = "9223372036854775807"  // Int.max
    static let overInt = "99999999999999999999"  // 2^66 and more: no Int holds it
    static let overUInt = "18446744073709551616"  // 2^64

    /// (endpoint, body, expected param).
    static let rows: [(String, String, String)] = {
        var rows: [(String, String, String)] = []
        func examples(_ field: String, _ value: String, extra: String = "") {
            rows.append(("/v1/examples", #"{"query": "How far is Mars ?", "pool": "tiny", "\#(field)": \#(value)\#(extra)}"#, field))
        }
        // The crash of issue 24: ⌈k / labels⌉ overflowed for k near Int.max with label balance.
        examples("k", big, extra: #", "balance_labels": true"#)
        examples("k", big, extra: #", "method": "mmr""#)  // MMR's 20·k candidates
        examples("k", big, extra: #", "method": "random", "budget": 10"#)
        for value in ["0", "-1", "-9223372036854775808", "2.5", "1e400", overInt, #""8""#, "true", "[]", "100001", "NaN", "Infinity"] {
            examples("k", value)
        }
        for value in ["0", "-5", big, "1.5", "1e400", overInt, #""100""#, "1000000001"] { examples("budget", value) }
        for value in ["-0.1", "1.5", "1e400", "-1e400", #""0.5""#, "NaN", "-Infinity"] { examples("lambda", value) }
        for value in ["-1", "1.5", overUInt, "1e400", #""7""#] { examples("seed", value) }
        for value in [#""yes""#, "1"] { examples("balance_labels", value) }
        rows.append(("/v1/examples", #"{"query": "q", "examples": []}"#, "examples"))
        rows.append(("/v1/examples", #"{"query": "q", "examples": "a pool"}"#, "examples"))
        rows.append(("/v1/examples", #"{"query": "q", "examples": [5]}"#, "examples[0]"))
        rows.append(("/v1/examples", #"{"query": 5, "pool": "tiny"}"#, "query"))
        let many = Array(repeating: #"{"input": "a", "output": "b"}"#, count: 4097).joined(separator: ",")
        rows.append(("/v1/examples", #"{"query": "q", "examples": [\#(many)]}"#, "examples"))

        func embeddings(_ field: String, _ value: String) {
            rows.append(("/v1/embeddings", #"{"input": "hello", "model": "all-MiniLM-L6-v2", "\#(field)": \#(value)}"#, field))
        }
        for value in ["0", "-1", big, "1.5", "1e400", overInt, #""384x""#, "NaN"] { embeddings("dimensions", value) }
        for value in ["[]", "[[1, 2]]", "[5]", #"[null]"#, "{}", "true"] {
            rows.append(("/v1/embeddings", #"{"input": \#(value), "model": "all-MiniLM-L6-v2"}"#, "input"))
        }
        let seventeen = Array(repeating: #""x""#, count: 17).joined(separator: ",")
        rows.append(("/v1/embeddings", #"{"input": [\#(seventeen)], "model": "all-MiniLM-L6-v2"}"#, "input"))
        embeddings("encoding_format", "5")

        func compress(_ field: String, _ value: String) {
            rows.append(("/v1/compress", #"{"context": ["one two three four five"], "\#(field)": \#(value)}"#, field))
        }
        for value in ["0", "-1", "1.5", "1e400", "-1e400", #""0.5""#, "NaN", "Infinity"] { compress("rate", value) }
        for value in ["-1", big, "2.5", "1e30", overInt, "1000000001"] { compress("target_tokens", value) }
        for value in ["-0.5", "2", "1e400"] { compress("dynamic_context_compression_ratio", value) }
        for value in ["-1", "11", "1e400"] { compress("context_budget_margin", value) }
        for value in ["0.5", "11", "1e400"] { compress("token_budget_ratio", value) }
        for (value, param) in [("5", "context"), ("[5]", "context[0]"), ("{}", "context"), ("[null]", "context[0]")] {
            rows.append(("/v1/compress", #"{"context": \#(value)}"#, param))
        }
        for (value, param) in [("5", "force_tokens"), ("[1]", "force_tokens[0]"), (#""x""#, "force_tokens")] {
            rows.append(("/v1/compress", #"{"context": ["one two three four five"], "force_tokens": \#(value)}"#, param))
        }
        rows.append(("/v1/compress", #"{"context": ["a b"], "rate": 0.5, "target_tokens": 3}"#, "target_tokens"))
        return rows
    }()
}

@Suite("winnow serve under hostile input", .enabled(if: ServerFixtures.hasModel, "\(ServerFixtures.skipMessage)"))
struct ServerHardeningTests {
    @Test("hostile numeric and list values get a 4xx JSON error naming the field", arguments: HostileRequests.rows)
    func hostileValues(endpoint: String, body: String, param: String) async throws {
        try await ServerFixtures.application().test(.router) { client in
            try await client.execute(uri: endpoint, method: .post, body: ByteBuffer(string: body)) { response in
                #expect((400 ..< 500).contains(Int(response.status.code)), "\(response.status) for \(body)")
                #expect(response.headers[.contentType] == "application/json")
                let error = ServerFixtures.error(response)
                #expect(!(error["message"] as? String ?? "").isEmpty)
                #expect(error["param"] as? String == param, "\(error) for \(body)")
            }
        }
    }

    @Test("100,000 strings to /v1/embeddings: a 400 naming input, before any is embedded")
    func hugeInputList() async throws {
        let list = "[" + Array(repeating: #""some text""#, count: 100_000).joined(separator: ",") + "]"
        let body = #"{"input": \#(list), "model": "all-MiniLM-L6-v2"}"#
        try await ServerFixtures.application(maxBodyBytes: 8 << 20, maxEmbeddingInputs: 2048).test(.router) { client in
            try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest)
                let error = ServerFixtures.error(response)
                #expect(error["param"] as? String == "input")
                #expect((error["message"] as? String ?? "").contains("2048"))
            }
        }
    }

    @Test("a wrong method is a 405 with Allow and a JSON error")
    func wrongMethod() async throws {
        try await ServerFixtures.application().test(.router) { client in
            for (uri, method, allow) in [
                ("/v1/embeddings", HTTPRequest.Method.get, "POST"), ("/v1/compress", .put, "POST"), ("/v1/examples", .delete, "POST"),
                ("/healthz", .post, "GET"),
            ] {
                try await client.execute(uri: uri, method: method, body: ByteBuffer(string: "{}")) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(uri)")
                    #expect(response.headers[.allow] == allow)
                    #expect(ServerFixtures.error(response)["type"] as? String == "invalid_request_error")
                }
            }
        }
    }

    @Test("GET /v1/embeddings is a 405 with Allow: POST and an OpenAI JSON error body")
    func getEmbeddings() async throws {
        try await ServerFixtures.application().test(.router) { client in
            try await client.execute(uri: "/v1/embeddings", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
                #expect(response.headers[.contentType] == "application/json")
                let error = ServerFixtures.error(response)
                #expect(error["code"] as? String == "method_not_allowed")
                #expect((error["message"] as? String)?.contains("/v1/embeddings") == true)
            }
        }
    }

    /// The object keys of a JSON text, in the order they are written.
    static func keySequence(_ json: String) -> [String] {
        var keys: [String] = []
        var i = json.startIndex
        while let open = json[i...].firstIndex(of: "\"") {
            var j = json.index(after: open)
            while j < json.endIndex, json[j] != "\"" { j = json.index(j, offsetBy: json[j] == "\\" ? 2 : 1, limitedBy: json.endIndex) ?? json.endIndex }
            guard j < json.endIndex else { break }
            let after = json[json.index(after: j)...].drop { $0 == " " }
            if after.first == ":" { keys.append(String(json[json.index(after: open) ..< j])) }
            i = json.index(after: j)
        }
        return keys
    }

    /// The vectors of an embeddings response.
    struct Served: Decodable {
        struct Item: Decodable { var embedding: [Float] }
        var data: [Item]
    }

    @Test("the same request gets byte-identical bodies, keys in one fixed order (errors: message, type, param, code)")
    func stableKeyOrder() async throws {
        try await ServerFixtures.application().test(.router) { client in
            let requests: [(String, HTTPRequest.Method, String?)] = [
                ("/v1/embeddings", .get, nil),
                ("/v1/embeddings", .post, #"{"input": "hello", "model": "all-MiniLM-L6-v2", "dimensions": 0}"#),
                ("/v1/compress", .post, #"{"context": ["a b c"], "rate": 2}"#),
                ("/v1/nowhere", .get, nil),
                ("/v1/embeddings", .post, #"{"input": "hello", "model": "all-MiniLM-L6-v2"}"#),
                ("/v1/compress", .post, #"{"context": ["one two three four five six"], "question": "two?", "rate": 0.5}"#),
                ("/healthz", .get, nil),
            ]
            for (uri, method, body) in requests {
                var bodies: [String] = []
                for _ in 0 ..< 12 {
                    try await client.execute(uri: uri, method: method, body: body.map { ByteBuffer(string: $0) }) { response in
                        bodies.append(String(buffer: response.body))
                    }
                }
                // The key sequence (every level, in order) is the same in every response; the
                // bytes are too, except a compression's timings_ms values.
                let keys = bodies.map(ServerHardeningTests.keySequence)
                #expect(Set(keys.map { $0.joined(separator: ",") }).count == 1, "\(method) \(uri): \(Set(bodies).sorted())")
                let succeeded = !bodies[0].hasPrefix(#"{"error""#)
                if succeeded && uri == "/v1/embeddings" {
                    // A served vector may share a forward pass with a concurrent test's texts
                    // (cross-request batching): equal within the tolerance docs/server.md states;
                    // every other byte of the body identical.
                    let numbers = try Regex(#""embedding":\[[^\]]*\]"#)
                    let rest = bodies.map { $0.replacing(numbers, with: #""embedding":[]"#) }
                    #expect(Set(rest).count == 1, "\(method) \(uri): \(Set(rest).sorted())")
                    let vectors = try bodies.map { try JSONDecoder().decode(Served.self, from: Data($0.utf8)).data[0].embedding }
                    for vector in vectors {
                        #expect(vector.count == vectors[0].count && EmbeddingBatchingTests.maxDifference(vector, vectors[0]) <= EmbeddingBatchingTests.tolerance)
                    }
                } else if !(succeeded && uri == "/v1/compress") {
                    #expect(Set(bodies).count == 1, "\(method) \(uri): \(Set(bodies).sorted())")
                }
                if bodies[0].hasPrefix(#"{"error""#) {
                    #expect(keys[0] == ["error", "message", "type", "param", "code"], "\(uri): \(bodies[0])")
                }
            }
        }
    }
}

@Suite("winnow serve: broken HTTP over loopback", .enabled(if: ServerFixtures.hasModel, "\(ServerFixtures.skipMessage)"))
struct ServerBrokenHTTPTests {
    @Test("a body shorter than its Content-Length, then a half-close, is a JSON 400 (was a 500)")
    func truncatedUpload() async throws {
        try await ServerFixtures.application().test(.live) { client in
            let port = try #require(client.port)
            let body = #"{"input": "half a request", "model": "all-M"#
            let reply = try await RawHTTPClient.send(
                port: port, RawHTTPClient.request("/v1/embeddings", body: body, declared: 1000), halfClose: true)
            #expect(reply.status == 400)
            #expect(reply.headers["content-type"] == "application/json")
            #expect(reply.error["code"] as? String == "incomplete_body", "\(reply.error)")
        }
    }

    @Test(
        "errors raised by the HTTP parser come back as JSON errors",
        arguments: [
            ("bad Content-Length", "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n{}", 400),
            ("two Content-Lengths", "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
            ("garbage request line", "HELLO\r\n\r\n", 400),
            ("header over the limit", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 20_000) + "\r\n\r\n", 431),
            ("bad chunk size", "POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
            ("binary", "\u{01}\u{02}\u{03}\u{04}\r\n\r\n", 400),
        ] as [(String, String, Int)])
    func parserErrors(name: String, raw: String, status: Int) async throws {
        try await ServerFixtures.application().test(.live) { client in
            let port = try #require(client.port)
            let reply = try await RawHTTPClient.send(port: port, Array(raw.utf8), halfClose: true)
            #expect(reply.status == status, "\(name)")
            #expect(reply.headers["content-type"] == "application/json", "\(name): \(reply.headers)")
            #expect(!(reply.error["message"] as? String ?? "").isEmpty, "\(name): \(String(decoding: reply.body, as: UTF8.self))")
        }
    }

    @Test("a client sending its headers one byte at a time is dropped after the idle timeout")
    func slowHeaders() async throws {
        try await ServerFixtures.application(idleTimeout: .milliseconds(300)).test(.live) { client in
            let port = try #require(client.port)
            let raw = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: \(String(repeating: "p", count: 200))\r\n\r\n".utf8)
            let socket = try RawHTTPClient(port: port, timeout: 5)
            defer { socket.close() }
            var sentBeforeClose = raw.count
            for (i, byte) in raw.enumerated() {
                if socket.serverClosed() || !socket.send([byte]) {
                    sentBeforeClose = i
                    break
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            // Dropped long before the head was complete (≈300 ms of ≈4.8 s of trickling).
            #expect(sentBeforeClose < raw.count)
            #expect(try await RawHTTPClient.offPool { socket.readToEnd() }.isEmpty)
        }
    }

    @Test("a client trickling its body gets a JSON 408 and is dropped after the read timeout")
    func slowBody() async throws {
        try await ServerFixtures.application(readTimeout: .milliseconds(300)).test(.live) { client in
            let port = try #require(client.port)
            let body = Array(#"{"input": "\#(String(repeating: "slow ", count: 40))", "model": "all-MiniLM-L6-v2"}"#.utf8)
            let socket = try RawHTTPClient(port: port, timeout: 5)
            defer { socket.close() }
            socket.send(Array(RawHTTPClient.request("/v1/embeddings", body: "", declared: body.count)))
            var sent = 0
            for byte in body {
                if socket.serverClosed() || !socket.send([byte]) { break }
                sent += 1
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(sent < body.count)
            let reply = try RawHTTPClient.parse(try await RawHTTPClient.offPool { socket.readToEnd() })
            #expect(reply.status == 408)
            #expect(reply.error["code"] as? String == "request_timeout")
        }
    }

    /// 200 concurrent loopback clients for a bounded time (≤ 3 s of new requests, ≤ 40 each),
    /// a mix of valid and invalid requests: no crash, no 5xx, no connection error, every
    /// response JSON, and the server still answers afterwards. A connection closed without an
    /// answer is a failure. The server's idle and read timeouts are set far above anything a
    /// slow machine needs, so none of them fires (a request here is sent whole at once); the
    /// clients wait longer still (``RawHTTPClient/defaultTimeout``).
    @Test("200 concurrent clients with valid and invalid requests: no 5xx, every response JSON")
    func concurrentClients() async throws {
        let mix: [(name: String, raw: [UInt8], halfClose: Bool, ok: Bool)] = [
            ("healthz", RawHTTPClient.request("/healthz", method: "GET"), false, true),
            ("embed", RawHTTPClient.request("/v1/embeddings", body: #"{"input": "a short text", "model": "all-MiniLM-L6-v2"}"#), false, true),
            ("bad json", RawHTTPClient.request("/v1/embeddings", body: #"{"input": "a", "#), false, false),
            ("unknown field", RawHTTPClient.request("/v1/embeddings", body: #"{"input": "a", "model": "all-MiniLM-L6-v2", "x": 1}"#), false, false),
            ("huge k", RawHTTPClient.request("/v1/examples", body: #"{"query": "q", "pool": "tiny", "k": 9223372036854775807, "balance_labels": true}"#), false, false),
            ("bm25", RawHTTPClient.request("/v1/examples", body: #"{"query": "Who wrote it ?", "pool": "tiny", "method": "bm25", "k": 2}"#), false, true),
            ("bad rate", RawHTTPClient.request("/v1/compress", body: #"{"context": ["a b c"], "rate": 7}"#), false, false),
            ("truncated", RawHTTPClient.request("/v1/compress", body: #"{"context": ["a b"#, declared: 500), true, false),
            ("wrong method", RawHTTPClient.request("/v1/embeddings", method: "DELETE"), false, false),
            ("unknown path", RawHTTPClient.request("/v2/nothing", method: "GET"), false, false),
            ("garbage", Array("NOT HTTP AT ALL\r\n\r\n".utf8), true, false),
            ("bad length", Array("POST /v1/compress HTTP/1.1\r\nHost: x\r\nContent-Length: -4\r\n\r\n".utf8), true, false),
        ]
        struct Tally: Sendable {
            var requests = 0
            var failures: [String] = []
        }
        final class Shared: Sendable { let tally = Mutex(Tally()) }
        let serverTimeout = Duration.seconds(RawHTTPClient.defaultTimeout * 0.8)
        try await ServerFixtures.application(idleTimeout: serverTimeout, readTimeout: serverTimeout).test(.live) { client in
            let port = try #require(client.port)
            let shared = Shared()
            let deadline = Date().addingTimeInterval(3)
            let group = DispatchGroup()
            for c in 0 ..< 200 {
                group.enter()
                let thread = Thread {
                    defer { group.leave() }
                    var i = 0
                    while i < 40, Date() < deadline {
                        let request = mix[(c * 7 + i * 5) % mix.count]
                        i += 1
                        var problem: String?
                        do {
                            let reply = try RawHTTPClient.exchange(port: port, request.raw, halfClose: request.halfClose)
                            if reply.status >= 500 || (request.ok && reply.status != 200) || (!request.ok && reply.status < 400) {
                                problem = "\(request.name): status \(reply.status)"
                            } else if reply.json == nil || reply.headers["content-type"] != "application/json" {
                                problem = "\(request.name): not JSON: \(String(decoding: reply.body.prefix(100), as: UTF8.self))"
                            }
                        } catch {
                            problem = "\(request.name): \(error)"
                        }
                        shared.tally.withLock {
                            $0.requests += 1
                            if let problem, $0.failures.count < 20 { $0.failures.append(problem) }
                        }
                    }
                }
                thread.stackSize = 256 << 10
                thread.start()
            }
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in group.notify(queue: .global()) { done.resume() } }
            let result = shared.tally.withLock { $0 }
            #expect(result.failures.isEmpty, "\(result.failures)")
            #expect(result.requests >= 200)
            let health = try await RawHTTPClient.send(port: port, RawHTTPClient.request("/healthz", method: "GET"))
            #expect(health.status == 200)
        }
    }
}

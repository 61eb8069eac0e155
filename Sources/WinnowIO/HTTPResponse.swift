import CZlib

/// The HTTP response inside a WARC `response` record: status, header fields and the body as
/// the client saw it (chunked transfer coding undone; gzip/deflate content coding undone when
/// the body really is compressed — some crawlers store decoded bodies under the original header).
public struct HTTPResponse: Sendable {
    /// The status code (e.g. 200), nil when the status line has none.
    public var status: Int?
    /// Header fields in order.
    public var headers: [(name: String, value: String)]
    /// The body bytes.
    public var body: [UInt8]

    /// The first header field of that name (ASCII case-insensitive).
    public func header(_ name: String) -> String? {
        let n = name.lowercased()
        return headers.first(where: { $0.name.lowercased() == n })?.value
    }

    /// Parses a response record's block; nil when it does not start with an `HTTP/` status line.
    /// - Parameter maxBodyBytes: the largest body produced by undoing a content coding.
    public static func parse(_ block: [UInt8], maxBodyBytes: Int = 64 << 20) -> HTTPResponse? {
        guard block.count >= 5, block[0] == 0x48, block[1] == 0x54, block[2] == 0x54, block[3] == 0x50, block[4] == 0x2F else {
            return nil
        }
        // End of the header section: the first empty line.
        var end = block.count
        var bodyStart = block.count
        var i = 0
        let limit = min(block.count, 1 << 20)
        while i < limit {
            if block[i] == 0x0A {
                if i + 1 < block.count && block[i + 1] == 0x0A {
                    end = i
                    bodyStart = i + 2
                    break
                }
                if i + 2 < block.count && block[i + 1] == 0x0D && block[i + 2] == 0x0A {
                    end = i
                    bodyStart = i + 3
                    break
                }
            }
            i += 1
        }
        let lines = block.withUnsafeBytes { splitLines(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }.filter { !$0.isEmpty }
        var response = HTTPResponse(status: nil, headers: [], body: [])
        if let statusLine = lines.first {
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            if parts.count >= 2 { response.status = Int(parts[1]) }
        }
        for line in lines.dropFirst() {
            if let f = line.first, f == " " || f == "\t", !response.headers.isEmpty {
                response.headers[response.headers.count - 1].value += " " + String(line).trimmingASCIISpaces()
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            response.headers.append(
                (String(line[..<colon]).trimmingASCIISpaces(), String(line[line.index(after: colon)...]).trimmingASCIISpaces()))
        }
        var body = Array(block[bodyStart...])
        if let te = response.header("Transfer-Encoding"), te.lowercased().contains("chunked"), let plain = dechunk(body) {
            body = plain
        }
        if let ce = response.header("Content-Encoding")?.lowercased(), ce.contains("gzip") || ce.contains("deflate"),
            body.count >= 2
        {
            let gz = body[0] == 0x1F && body[1] == 0x8B
            let zl = body[0] & 0x0F == 8 && (UInt16(body[0]) << 8 | UInt16(body[1])) % 31 == 0
            if gz || zl, let plain = inflateAll(body, maxBytes: maxBodyBytes) { body = plain }
        }
        response.body = body
        return response
    }

    /// Undoes chunked transfer coding; nil when the bytes are not validly chunked.
    static func dechunk(_ b: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            // Chunk size in hex, optional extensions, CRLF.
            var size = 0
            var digits = 0
            while i < b.count, let d = hexValue(b[i]) {
                size = size * 16 + d
                digits += 1
                if digits > 12 { return nil }
                i += 1
            }
            if digits == 0 { return nil }
            while i < b.count && b[i] != 0x0A { i += 1 }
            i += 1
            if size == 0 { return out }
            if i + size > b.count {
                // A last chunk cut short: keep what is there.
                out.append(contentsOf: b[min(i, b.count)...])
                return out
            }
            out.append(contentsOf: b[i..<(i + size)])
            i += size
            if i < b.count && b[i] == 0x0D { i += 1 }
            if i < b.count && b[i] == 0x0A { i += 1 }
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        default: return nil
        }
    }

    /// Inflates gzip or zlib data whole; nil when it is not valid or grows past `maxBytes`.
    static func inflateAll(_ input: [UInt8], maxBytes: Int) -> [UInt8]? {
        var zs = z_stream()
        guard czlib_inflateInit2(&zs, 15 + 32) == Z_OK else { return nil }
        defer { inflateEnd(&zs) }
        var out = [UInt8](repeating: 0, count: max(4096, min(maxBytes, input.count * 4)))
        var produced = 0
        var input = input
        let ok: Bool = input.withUnsafeMutableBufferPointer { ib in
            zs.next_in = ib.baseAddress
            zs.avail_in = uInt(ib.count)
            while true {
                if produced == out.count {
                    if out.count >= maxBytes { return false }
                    out += [UInt8](repeating: 0, count: min(out.count, maxBytes - out.count))
                }
                let rc: Int32 = out.withUnsafeMutableBufferPointer { ob in
                    zs.next_out = ob.baseAddress! + produced
                    zs.avail_out = uInt(ob.count - produced)
                    let rc = inflate(&zs, Z_NO_FLUSH)
                    produced = ob.count - Int(zs.avail_out)
                    return rc
                }
                if rc == Z_STREAM_END { return true }
                if rc == Z_OK { continue }
                if rc == Z_BUF_ERROR && zs.avail_out == 0 { continue }
                // Z_BUF_ERROR with input exhausted: a body cut short; keep what inflated.
                return rc == Z_BUF_ERROR && produced > 0
            }
        }
        guard ok else { return nil }
        out.removeLast(out.count - produced)
        return out
    }
}

/// Splits header bytes into lines at LF, dropping a CR before it (byte-wise: in Swift strings
/// "\r\n" is one Character, so splitting a String at "\n" would not split CRLF lines).
func splitLines(_ bytes: UnsafeRawBufferPointer) -> [Substring] {
    var lines: [Substring] = []
    var start = 0
    for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x0A {
        var end = i
        if end > start && bytes[end - 1] == 0x0D { end -= 1 }
        lines.append(Substring(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)))
        start = i + 1
    }
    return lines
}

import CZlib
import Foundation
import WinnowCore
import WinnowIO

/// Where ../shared/data is, found from this file's path (the package root's sibling).
enum SharedData {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let root = packageRoot + "/../shared/data"
    static let warcSamples = root + "/web/warc-samples"
    static let gensim = root + "/text/gensim-test-data"
    static let wikiDump = gensim + "/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"

    static var hasWARC: Bool { !warcFiles.isEmpty }
    static var hasWiki: Bool { FileManager.default.fileExists(atPath: wikiDump) }

    /// The sample WARC files, sorted.
    static var warcFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: warcSamples)) ?? []).filter { $0.hasSuffix(".warc.gz") }.sorted()
            .map { warcSamples + "/" + $0 }
    }

    static let skipWARC = "needs ../shared/data/web/warc-samples (absent: skipped)"
    static let skipWiki = "needs ../shared/data/text/gensim-test-data (absent: skipped)"
}

/// A WARC record as bytes, for building test files.
func warcRecord(type: String, uri: String? = nil, id: String, contentType: String, block: [UInt8], extra: [String] = []) -> [UInt8] {
    var h = "WARC/1.1\r\nWARC-Type: \(type)\r\nWARC-Record-ID: <urn:uuid:\(id)>\r\nWARC-Date: 2024-01-02T03:04:05Z\r\n"
    if let uri { h += "WARC-Target-URI: \(uri)\r\n" }
    for e in extra { h += e + "\r\n" }
    h += "Content-Type: \(contentType)\r\nContent-Length: \(block.count)\r\n\r\n"
    return Array(h.utf8) + block + Array("\r\n\r\n".utf8)
}

/// An HTTP response record around a body.
func httpRecord(uri: String, id: String, headers: [String], body: [UInt8], status: String = "200 OK") -> [UInt8] {
    var http = "HTTP/1.1 \(status)\r\n"
    for h in headers { http += h + "\r\n" }
    http += "\r\n"
    return warcRecord(type: "response", uri: uri, id: id, contentType: "application/http; msgtype=response", block: Array(http.utf8) + body)
}

/// gzip-compresses bytes as one member (zlib, level 6).
func gzipMember(_ bytes: [UInt8]) -> [UInt8] {
    var zs = z_stream()
    precondition(czlib_deflateInit2(&zs, 6, 31) == Z_OK)
    defer { deflateEnd(&zs) }
    var out = [UInt8](repeating: 0, count: bytes.count + 1024)
    var input = bytes
    let n: Int = input.withUnsafeMutableBufferPointer { ib in
        out.withUnsafeMutableBufferPointer { ob in
            zs.next_in = ib.baseAddress
            zs.avail_in = uInt(ib.count)
            zs.next_out = ob.baseAddress
            zs.avail_out = uInt(ob.count)
            precondition(deflate(&zs, Z_FINISH) == Z_STREAM_END)
            return ob.count - Int(zs.avail_out)
        }
    }
    return Array(out[0..<n])
}

/// Compressed offsets where each gzip member of `bytes` starts (found by inflating member by
/// member with zlib, independently of the reader under test).
func gzipMemberOffsets(_ bytes: [UInt8]) -> [Int] {
    var offsets: [Int] = []
    var pos = 0
    var out = [UInt8](repeating: 0, count: 1 << 16)
    while pos < bytes.count {
        offsets.append(pos)
        var zs = z_stream()
        precondition(czlib_inflateInit2(&zs, 31) == Z_OK)
        var input = Array(bytes[pos...])
        let used: Int = input.withUnsafeMutableBufferPointer { ib in
            zs.next_in = ib.baseAddress
            zs.avail_in = uInt(ib.count)
            while true {
                let rc: Int32 = out.withUnsafeMutableBufferPointer { ob in
                    zs.next_out = ob.baseAddress
                    zs.avail_out = uInt(ob.count)
                    return inflate(&zs, Z_NO_FLUSH)
                }
                if rc == Z_STREAM_END { break }
                precondition(rc == Z_OK || rc == Z_BUF_ERROR, "bad gzip in test data")
            }
            return ib.count - Int(zs.avail_in)
        }
        inflateEnd(&zs)
        pos += used
    }
    return offsets
}

/// Every record of a WARC file, and every error, in order.
func readRecords(_ path: String, maxRecordBytes: Int = 64 << 20) throws -> (records: [WARCRecord], errors: [InputError]) {
    let r = try WARCRecordReader(path: path, maxRecordBytes: maxRecordBytes)
    var records: [WARCRecord] = []
    var errors: [InputError] = []
    var guardCount = 0
    while guardCount < 100_000 {
        guardCount += 1
        do {
            guard let rec = try r.next() else { break }
            records.append(rec)
        } catch let e as InputError {
            errors.append(e)
        }
    }
    return (records, errors)
}

/// Every document of a reader, and every error, in order.
func readDocuments(_ reader: DocumentReader) throws -> (docs: [Document], errors: [InputError]) {
    var docs: [Document] = []
    var errors: [InputError] = []
    var guardCount = 0
    while guardCount < 100_000 {
        guardCount += 1
        do {
            guard let d = try reader.next() else { break }
            docs.append(d)
        } catch let e as InputError {
            errors.append(e)
        }
    }
    return (docs, errors)
}

/// Bytes from a hex string.
func hexBytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = hex.utf8.makeIterator()
    while let a = it.next(), let b = it.next() {
        out.append(UInt8(String(decoding: [a, b], as: UTF8.self), radix: 16)!)
    }
    return out
}

/// Every index where `needle` starts in `haystack`.
func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
    var hits: [Int] = []
    guard !needle.isEmpty, haystack.count >= needle.count else { return hits }
    var i = 0
    while i <= haystack.count - needle.count {
        if haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle { hits.append(i) }
        i += 1
    }
    return hits
}

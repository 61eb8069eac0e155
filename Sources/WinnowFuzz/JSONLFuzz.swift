import WinnowCore
import WinnowIO

extension FuzzTargets {
    /// The JSONL scanner, codec and reader.
    ///
    /// Invariants: every record the codec decodes encodes to a line that decodes back to the
    /// same document (output is always strict JSON); reading the input as one file or as two
    /// byte-range shards cut anywhere gives the same documents in the same order and the same
    /// number of errors (no record lost or read twice at a shard cut); the reader ends.
    public static let jsonl = FuzzTarget(
        name: "jsonl", summary: "JSONScanner, JSONLCodec round trip, JSONLReader whole and cut into two shards",
        maxLength: 16 << 10
    ) { bytes in
        if let finding = codecRoundTrip(bytes) { return finding }
        var scanner = JSONScanner(bytes)
        _ = try? scanner.value()
        return ScratchFile.with(bytes, suffix: ".jsonl") { path in readerInvariants(bytes, path: path) } ?? nil
    }

    private static let codec = JSONLCodec()

    /// Decodes the input as one record; a decoded document must survive encode → decode.
    static func codecRoundTrip(_ bytes: UnsafeRawBufferPointer) -> FuzzFinding? {
        guard let doc = try? codec.decode(bytes, fallbackID: { "fuzz/0" }) else { return nil }
        return roundTrip(doc)
    }

    /// `doc` with every non-finite Double in its metadata and scores as the codec writes it.
    static func finiteOnly(_ doc: Document) -> Document {
        func fix(_ v: MetadataValue) -> MetadataValue {
            switch v {
            case .double(let d) where !d.isFinite: return .null
            case .array(let a): return .array(a.map(fix))
            case .object(let o): return .object(o.mapValues(fix))
            default: return v
            }
        }
        var d = doc
        d.metadata = d.metadata.mapValues(fix)
        return d
    }

    static func roundTrip(_ doc: Document) -> FuzzFinding? {
        var line: [UInt8] = []
        codec.encode(doc, into: &line)
        if line.last == 0x0A { line.removeLast() }
        if let problem = StrictJSON.problem(in: line) {
            return FuzzFinding("jsonl", "a decoded record encodes to a line that is not strict JSON (\(problem)): \(escape(line))")
        }
        do {
            let again = try line.withUnsafeBytes { try codec.decode($0, fallbackID: { "fuzz/0" }) }
            // Non-finite Doubles (`NaN`, `Infinity` literals read as Python writes them) are
            // written as `null` by design: compare with them as null.
            if again != finiteOnly(doc) {
                return FuzzFinding(
                    "jsonl", "a decoded record does not read back the same after encoding: \(escape(line))")
            }
        } catch {
            return FuzzFinding("jsonl", "a decoded record encodes to a line that does not decode (\(error)): \(escape(line))")
        }
        return nil
    }

    static func readerInvariants(_ bytes: UnsafeRawBufferPointer, path: String) -> FuzzFinding? {
        var options = ReaderOptions()
        options.maxLineBytes = FuzzLimits.recordBytes
        let size = Int64(bytes.count)
        let whole: DrainResult
        switch readPiece(InputPiece(path: path, name: "fuzz.jsonl", size: size), options: options) {
        case .failure(let finding): return finding
        case .success(let r): whole = r
        }
        for doc in whole.documents {
            if let finding = roundTrip(doc) { return finding }
        }
        // Shards by byte range are made only for uncompressed files (planShards).
        let magic = Array(bytes.prefix(4))
        guard bytes.count >= 2, Compression.fromMagic(magic) == nil, !whole.capped, whole.fatal == nil else { return nil }
        let cut = Int64(1 + Int(StableHash.xxh64(bytes) % UInt64(bytes.count - 1)))
        var parts = DrainResult()
        for (start, end) in [(Int64(0), cut), (cut, size)] {
            switch readPiece(InputPiece(path: path, name: "fuzz.jsonl", start: start, end: end, size: end - start), options: options) {
            case .failure(let finding): return finding
            case .success(let r):
                if r.capped || r.fatal != nil { return nil }
                parts.documents += r.documents
                parts.inputErrors += r.inputErrors
            }
        }
        if parts.documents.map(finiteOnly) != whole.documents.map(finiteOnly) || parts.inputErrors.count != whole.inputErrors.count {
            return FuzzFinding(
                "jsonl",
                "reading the file whole gives \(whole.documents.count) documents and \(whole.inputErrors.count) errors, "
                    + "but cut into shards at byte \(cut) it gives \(parts.documents.count) documents and \(parts.inputErrors.count) errors"
                    + firstDifference(whole.documents, parts.documents))
        }
        return nil
    }

    static func readPiece(_ piece: InputPiece, options: ReaderOptions) -> Result<DrainResult, FuzzFinding> {
        do {
            return drain(try JSONLReader(piece: piece, options: options), target: "jsonl")
        } catch {
            return .success(DrainResult(fatal: error))
        }
    }

    static func firstDifference(_ a: [Document], _ b: [Document]) -> String {
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? "\(a[i].id): \(a[i].text.prefix(60).debugDescription)" : "nothing"
            let y = i < b.count ? "\(b[i].id): \(b[i].text.prefix(60).debugDescription)" : "nothing"
            if x != y || (i < a.count && i < b.count && finiteOnly(a[i]) != finiteOnly(b[i])) {
                return " (first difference at document \(i): \(x) vs \(y))"
            }
        }
        return ""
    }

    /// Bytes shown in a message: printable ASCII as is, the rest as `\xNN`, at most 300 bytes.
    static func escape<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = ""
        for b in bytes.prefix(300) {
            if b >= 0x20 && b < 0x7F && b != 0x5C { out.unicodeScalars.append(Unicode.Scalar(b)) } else {
                out += "\\x" + String(b, radix: 16, uppercase: false).leftPadded(2)
            }
        }
        return bytes.count > 300 ? out + "…" : out
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

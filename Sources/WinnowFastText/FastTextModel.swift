#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fastText supervised model (`.bin`, or quantised `.ftz`) loaded into memory, ready to
/// predict labels exactly as fastText's `predict` does.
///
/// The model is immutable and `Sendable`: load it once and share it between worker threads.
///
/// ```swift
/// let model = try FastTextModel(contentsOf: "models/lid.176.ftz")
/// let top = model.predict("Der schnelle braune Fuchs", k: 1)   // [__label__de 0.97…]
/// ```
public final class FastTextModel: Sendable {
    /// fastText's magic number, the file's first four bytes.
    public static let magic: Int32 = 793_712_314
    /// The newest format version (fastText 0.9); version 11 files load too.
    public static let version: Int32 = 12

    /// The largest quantised input matrix (in floats) decoded to plain rows at load time.
    static let maxDecodedInputFloats = 64 << 20

    /// The file the model came from (`<memory>` for bytes given directly).
    public let path: String
    /// The format version read from the file.
    public let fileVersion: Int32
    /// The training arguments stored in the file.
    public let arguments: FastTextArguments
    /// The labels, in the model's order (e.g. `__label__en`).
    public let labels: [String]
    /// Whether the input matrix is product-quantised (an `.ftz` file).
    public let isQuantized: Bool

    let dictionary: FastTextDictionary
    let input: FastTextMatrix
    let output: FastTextMatrix
    /// Hierarchical-softmax tree children (`-1` for a leaf); empty for other losses.
    let treeLeft: [Int32]
    let treeRight: [Int32]

    /// Vector size.
    public var dimension: Int { arguments.dim }
    /// Number of words in the dictionary (not counting labels).
    public var wordCount: Int { dictionary.nwords }

    /// Reads and validates a model file.
    /// - Parameter path: a fastText `.bin` or `.ftz` file.
    /// - Throws: ``FastTextError`` naming the file and byte offset when it cannot be read, is
    ///   truncated or corrupt, or is not a supervised model.
    public convenience init(contentsOf path: String) throws(FastTextError) {
        try self.init(bytes: try Self.readFile(path), path: path)
    }

    /// Parses a model from its bytes.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - path: the name used in error messages.
    /// - Throws: ``FastTextError`` as for ``init(contentsOf:)``.
    public init(bytes: [UInt8], path: String = "<memory>") throws(FastTextError) {
        self.path = path
        var r = ByteReader(bytes: bytes, path: path)
        let magic = try r.int32("magic number")
        guard magic == Self.magic else {
            throw r.error(.badMagic, "not a fastText model: magic number is \(magic), expected \(Self.magic)", at: 0)
        }
        let version = try r.int32("format version")
        guard version == 11 || version == 12 else {
            throw r.error(.unsupportedVersion, "unsupported fastText format version \(version) (this loader reads 11 and 12)", at: 4)
        }
        fileVersion = version

        var a = try Self.readArguments(&r)
        if version == 11 && a.model == .supervised { a.maxn = 0 }  // old supervised models had no char n-grams
        guard a.model == .supervised else {
            throw r.error(.unsupported, "this is a word-vector model (\(a.model)); only supervised classifiers can predict labels", at: 8)
        }
        arguments = a

        let dictionaryAt = r.offset
        let dictionary = try FastTextDictionary(reading: &r, arguments: a)
        guard dictionary.nlabels > 0 else {
            throw r.error(.corrupt, "a supervised model needs at least one label; the dictionary has none", at: dictionaryAt)
        }
        self.dictionary = dictionary
        labels = (0..<dictionary.nlabels).map { dictionary.word(dictionary.nwords + $0) }

        let quantizedInput = try r.bool("input quantisation flag")
        let inputAt = r.offset
        if quantizedInput {
            let q = try QuantizedMatrix(reading: &r, what: "input matrix")
            // Averaging rows is the hot path: decode the codes once into plain rows (lid.176:
            // 50,000 × 16 floats, 3.2 MB), unless that would take more than 256 MiB.
            input = q.rows * q.columns <= Self.maxDecodedInputFloats
                ? .dense(rows: q.rows, columns: q.columns, data: q.decoded()) : .quantized(q)
        } else {
            input = try FastTextMatrix.readDense(&r, what: "input matrix")
            if dictionary.pruneSize >= 0 {
                throw r.error(.corrupt, "the dictionary is pruned but the input matrix is not quantised", at: inputAt)
            }
        }
        isQuantized = quantizedInput
        guard input.columns == a.dim else {
            throw r.error(.corrupt, "input matrix has \(input.columns) columns but dim is \(a.dim)", at: inputAt)
        }
        guard input.rows >= dictionary.inputRowsNeeded else {
            throw r.error(
                .corrupt,
                "input matrix has \(input.rows) rows but \(dictionary.nwords) words + \(dictionary.inputRowsNeeded - dictionary.nwords) n-gram rows are needed",
                at: inputAt)
        }

        let qoutAt = r.offset
        let quantizedOutput = try r.bool("output quantisation flag")
        let outputAt = r.offset
        if quantizedOutput && !quantizedInput {
            throw r.error(.corrupt, "the output matrix is marked quantised but the input matrix is not", at: qoutAt)
        }
        output = quantizedOutput
            ? .quantized(try QuantizedMatrix(reading: &r, what: "output matrix"))
            : try FastTextMatrix.readDense(&r, what: "output matrix")
        guard output.columns == a.dim, output.rows == dictionary.nlabels else {
            throw r.error(
                .corrupt, "output matrix is \(output.rows) × \(output.columns); expected \(dictionary.nlabels) labels × \(a.dim)",
                at: outputAt)
        }
        guard r.remaining == 0 else {
            throw r.error(.corrupt, "\(r.remaining) unexpected bytes after the output matrix")
        }

        if a.loss == .hierarchicalSoftmax {
            let labelCounts = Array(dictionary.counts[dictionary.nwords...])
            (treeLeft, treeRight) = Self.buildTree(counts: labelCounts)
        } else {
            (treeLeft, treeRight) = ([], [])
        }
    }

    // MARK: - Loading helpers

    static func readFile(_ path: String) throws(FastTextError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let e = errno
            throw FastTextError(path: path, offset: nil, kind: .cannotRead(errno: e), message: "cannot open: \(String(cString: strerror(e)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            throw FastTextError(path: path, offset: nil, kind: .cannotRead(errno: e), message: "cannot stat: \(String(cString: strerror(e)))")
        }
        let size = Int(st.st_size)
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var done = 0
            guard let base = buffer.baseAddress else {
                initialized = 0
                return
            }
            while done < size {
                let n = read(fd, base + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { break }
                done += n
            }
            initialized = done
        }
        if failure != 0 {
            throw FastTextError(path: path, offset: bytes.count, kind: .cannotRead(errno: failure),
                                message: "read failed: \(String(cString: strerror(failure)))")
        }
        return bytes
    }

    static func readArguments(_ r: inout ByteReader) throws(FastTextError) -> FastTextArguments {
        func int(_ name: String, min: Int32 = 0) throws(FastTextError) -> Int {
            let at = r.offset
            let v = try r.int32("argument \(name)")
            guard v >= min else { throw r.error(.corrupt, "argument \(name) is \(v), expected ≥ \(min)", at: at) }
            return Int(v)
        }
        let dim = try int("dim", min: 1)
        let ws = try int("ws")
        let epoch = try int("epoch")
        let minCount = try int("minCount")
        let neg = try int("neg")
        let wordNgrams = try int("wordNgrams")
        let lossAt = r.offset
        let lossRaw = try r.int32("argument loss")
        guard let loss = FastTextArguments.Loss(rawValue: lossRaw) else {
            throw r.error(.corrupt, "unknown loss \(lossRaw) (expected 1 hs, 2 ns, 3 softmax or 4 ova)", at: lossAt)
        }
        let modelAt = r.offset
        let modelRaw = try r.int32("argument model")
        guard let model = FastTextArguments.Model(rawValue: modelRaw) else {
            throw r.error(.corrupt, "unknown model kind \(modelRaw) (expected 1 cbow, 2 skipgram or 3 supervised)", at: modelAt)
        }
        let bucket = try int("bucket")
        let minn = try int("minn")
        let maxn = try int("maxn")
        let lrUpdateRate = try int("lrUpdateRate")
        let t = try r.float64("argument t")
        return FastTextArguments(
            dim: dim, ws: ws, epoch: epoch, minCount: minCount, neg: neg, wordNgrams: wordNgrams, loss: loss, model: model,
            bucket: bucket, minn: minn, maxn: maxn, lrUpdateRate: lrUpdateRate, t: t)
    }

    /// The Huffman tree of HierarchicalSoftmaxLoss::buildTree: leaves are the labels
    /// (`0..<osz`), sorted by decreasing count in the file; internal nodes follow. Every child
    /// index is below its parent's, whatever the counts.
    static func buildTree(counts: [Int64]) -> (left: [Int32], right: [Int32]) {
        let osz = counts.count
        let nodes = 2 * osz - 1
        var count = [Int64](repeating: 1_000_000_000_000_000, count: nodes)
        var left = [Int32](repeating: -1, count: nodes)
        var right = [Int32](repeating: -1, count: nodes)
        for i in 0..<osz { count[i] = counts[i] }
        var leaf = osz - 1
        var node = osz
        var i = osz
        while i < nodes {
            var mini = (0, 0)
            for j in 0..<2 {
                let pick: Int
                // `node < i`: only built nodes can be picked. With real counts (below 1e15) this
                // is fastText's rule exactly; it keeps a corrupt count from picking an unbuilt node.
                if leaf >= 0 && (node >= i || count[leaf] < count[node]) {
                    pick = leaf
                    leaf -= 1
                } else {
                    pick = node
                    node += 1
                }
                if j == 0 { mini.0 = pick } else { mini.1 = pick }
            }
            left[i] = Int32(mini.0)
            right[i] = Int32(mini.1)
            count[i] = count[mini.0] &+ count[mini.1]
            i += 1
        }
        return (left, right)
    }
}

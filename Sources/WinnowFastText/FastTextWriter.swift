/// Serialises a supervised model in fastText's `.bin` layout (format version 12), which both
/// ``FastTextModel`` and fastText itself (`fasttext.load_model`) read:
/// magic, version, the Args block, the Dictionary (no pruned n-grams), `false` (input not
/// quantised), the input DenseMatrix, `false`, the output DenseMatrix. All little-endian.
struct FastTextWriter {
    private(set) var bytes: [UInt8] = []

    mutating func int32(_ v: Int32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func int64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func float64(_ v: Double) { int64(Int64(bitPattern: v.bitPattern)) }
    mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }

    /// `Args::save`: thirteen fields, in fastText's order.
    mutating func arguments(_ a: FastTextArguments) {
        for v in [a.dim, a.ws, a.epoch, a.minCount, a.neg, a.wordNgrams] { int32(Int32(v)) }
        int32(a.loss.rawValue)
        int32(a.model.rawValue)
        for v in [a.bucket, a.minn, a.maxn, a.lrUpdateRate] { int32(Int32(v)) }
        float64(a.t)
    }

    /// `Dictionary::save` for an unpruned dictionary: sizes, token count, `-1`, then each entry
    /// as its bytes, a NUL, its count (int64) and its type (one byte).
    mutating func dictionary(_ d: TrainingDictionary) {
        int32(Int32(d.nwords + d.nlabels))
        int32(Int32(d.nwords))
        int32(Int32(d.nlabels))
        int64(d.ntokens)
        int64(-1)
        for i in 0..<(d.nwords + d.nlabels) {
            bytes.append(contentsOf: d.entry(i))
            bytes.append(0)
            int64(d.counts[i])
            bytes.append(i < d.nwords ? FastTextDictionary.wordType : FastTextDictionary.labelType)
        }
    }

    /// `DenseMatrix::save`: rows and columns (int64), then the values row by row.
    mutating func matrix(rows: Int, columns: Int, _ data: [Float]) {
        precondition(data.count == rows * columns)
        int64(Int64(rows))
        int64(Int64(columns))
        #if _endian(little)
        data.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        bytes.reserveCapacity(bytes.count + 4 * data.count)
        for v in data { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        #endif
    }

    /// The whole file.
    static func model(arguments: FastTextArguments, dictionary: TrainingDictionary, input: [Float], output: [Float]) -> [UInt8] {
        var w = FastTextWriter()
        w.bytes.reserveCapacity(4 * (input.count + output.count) + dictionary.wordBytes.count + 16 * dictionary.counts.count + 256)
        w.int32(FastTextModel.magic)
        w.int32(FastTextModel.version)
        w.arguments(arguments)
        w.dictionary(dictionary)
        w.bool(false)
        w.matrix(rows: input.count / arguments.dim, columns: arguments.dim, input)
        w.bool(false)
        w.matrix(rows: dictionary.nlabels, columns: arguments.dim, output)
        return w.bytes
    }
}

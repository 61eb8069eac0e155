#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WinnowCore

/// write(2), named apart from ``FastTextWriter/write(arguments:dictionary:input:output:toFile:)``.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }

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

    /// The bytes before the input matrix's values, those between the two matrices' values; the
    /// values follow each as Float32 little-endian.
    static func parts(arguments: FastTextArguments, dictionary: TrainingDictionary, inputRows: Int) -> (head: [UInt8], middle: [UInt8]) {
        var w = FastTextWriter()
        w.int32(FastTextModel.magic)
        w.int32(FastTextModel.version)
        w.arguments(arguments)
        w.dictionary(dictionary)
        w.bool(false)
        w.int64(Int64(inputRows))
        w.int64(Int64(arguments.dim))
        var m = FastTextWriter()
        m.bool(false)
        m.int64(Int64(dictionary.nlabels))
        m.int64(Int64(arguments.dim))
        return (w.bytes, m.bytes)
    }

    /// The whole file.
    static func model(arguments: FastTextArguments, dictionary: TrainingDictionary, input: [Float], output: [Float]) -> [UInt8] {
        var (w, middle) = parts(arguments: arguments, dictionary: dictionary, inputRows: input.count / arguments.dim)
        w.reserveCapacity(w.count + 4 * (input.count + output.count) + middle.count)
        appendFloats(input, to: &w)
        w.append(contentsOf: middle)
        appendFloats(output, to: &w)
        return w
    }

    private static func appendFloats(_ data: [Float], to bytes: inout [UInt8]) {
        #if _endian(little)
        data.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for v in data { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        #endif
    }

    /// Writes the file piece by piece: the matrices go from memory to the file without a copy.
    static func write(arguments: FastTextArguments, dictionary: TrainingDictionary, input: [Float], output: [Float],
                      toFile path: String) throws(FileError) {
        #if _endian(little)
        let (head, middle) = parts(arguments: arguments, dictionary: dictionary, inputRows: input.count / arguments.dim)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FileError(path: path, "cannot create: \(String(cString: strerror(errno)))") }
        var failure: Int32 = 0
        func put(_ raw: UnsafeRawBufferPointer) {
            var done = 0
            while failure == 0 && done < raw.count {
                let n = posixWrite(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno != EINTR { failure = errno }
                } else {
                    done += n
                }
            }
        }
        head.withUnsafeBytes(put)
        input.withUnsafeBytes(put)
        middle.withUnsafeBytes(put)
        output.withUnsafeBytes(put)
        if close(fd) != 0 && failure == 0 { failure = errno }
        if failure != 0 { throw FileError(path: path, "cannot write: \(String(cString: strerror(failure)))") }
        #else
        let bytes = model(arguments: arguments, dictionary: dictionary, input: input, output: output)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0, bytes.withUnsafeBytes({ posixWrite(fd, $0.baseAddress!, $0.count) }) == bytes.count, close(fd) == 0 else {
            throw FileError(path: path, "cannot write: \(String(cString: strerror(errno)))")
        }
        #endif
    }
}

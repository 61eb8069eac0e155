#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WinnowCore

/// Hyperparameters of supervised training, with fastText's `supervised` defaults.
public struct FastTextTrainingOptions: Sendable, Hashable {
    /// Vector size (`-dim`).
    public var dim = 100
    /// Passes over the data (`-epoch`).
    public var epoch = 5
    /// Initial learning rate (`-lr`); it decays linearly to 0 over training.
    public var learningRate = 0.1
    /// Maximum word n-gram length (`-wordNgrams`; 1: words only).
    public var wordNgrams = 1
    /// Hash buckets for word and character n-grams (`-bucket`; forced to 0, as in fastText,
    /// when `wordNgrams` is 1 and `maxn` is 0).
    public var bucket = 2_000_000
    /// Minimum occurrences of a word (`-minCount`).
    public var minCount = 1
    /// Minimum occurrences of a label (`-minCountLabel`).
    public var minCountLabel = 0
    /// Character n-gram lengths (`-minn`, `-maxn`; 0: none, the supervised default).
    public var minn = 0
    /// See ``minn``.
    public var maxn = 0
    /// `.softmax` (default), `.oneVsAll` or `.hierarchicalSoftmax`.
    public var loss: FastTextArguments.Loss = .softmax
    /// Tokens between learning-rate updates (`-lrUpdateRate`).
    public var lrUpdateRate = 100
    /// Seed of the initial input matrix and of the label drawn for multi-label lines (`-seed`).
    public var seed = 0
    /// fastText's `-thread` as it shapes the initial input matrix: fastText fills that matrix in
    /// ten blocks, block `b < thread` from `minstd_rand(b + seed)`, and leaves the other blocks
    /// at 0 (with `-thread 1`, 90 % of it). Training here is single-threaded whatever this is;
    /// the default is fastText's default, 12 (every block filled). Set it to the thread count
    /// of a fastText run to start from exactly its initial matrix.
    public var initThreads = 12

    /// fastText's defaults.
    public init() {}

    /// The bucket count training uses.
    public var effectiveBucket: Int { wordNgrams <= 1 && maxn == 0 ? 0 : bucket }

    /// Checks the values.
    /// - Throws: ``FastTextTrainingError`` naming the bad option.
    public func validate() throws(FastTextTrainingError) {
        func check(_ ok: Bool, _ message: String) throws(FastTextTrainingError) {
            if !ok { throw FastTextTrainingError(message) }
        }
        try check(dim >= 1 && dim <= 10_000, "dim must be between 1 and 10000, got \(dim)")
        try check(epoch >= 0, "epoch must be ≥ 0, got \(epoch)")
        try check(learningRate > 0 && learningRate.isFinite, "lr must be a positive number, got \(learningRate)")
        try check(wordNgrams >= 1 && wordNgrams <= 32, "wordNgrams must be between 1 and 32, got \(wordNgrams)")
        try check(bucket >= 0 && bucket <= Int(Int32.max), "bucket must be between 0 and \(Int32.max), got \(bucket)")
        try check(effectiveBucket > 0 || (wordNgrams <= 1 && maxn == 0), "bucket must be > 0 with wordNgrams > 1 or maxn > 0")
        try check(minCount >= 1 && minCountLabel >= 0, "minCount must be ≥ 1 and minCountLabel ≥ 0")
        try check(minn >= 0 && maxn >= 0 && (maxn == 0 || minn <= maxn), "need 0 ≤ minn ≤ maxn (or maxn 0), got minn \(minn), maxn \(maxn)")
        try check(lrUpdateRate >= 1, "lrUpdateRate must be ≥ 1, got \(lrUpdateRate)")
        try check(seed >= 0 && seed <= Int(Int32.max) - 10, "seed must be between 0 and \(Int32.max - 10), got \(seed)")
        try check(initThreads >= 1, "initThreads must be ≥ 1, got \(initThreads)")
        try check(loss != .negativeSampling, "loss ns is not supported for training; use softmax, ova or hs")
    }

    /// The Args block written into the model.
    var arguments: FastTextArguments {
        FastTextArguments(
            dim: dim, ws: 5, epoch: epoch, minCount: minCount, neg: 5, wordNgrams: wordNgrams, loss: loss,
            model: .supervised, bucket: effectiveBucket, minn: minn, maxn: maxn, lrUpdateRate: lrUpdateRate, t: 1e-4)
    }
}

/// Bad training options or a training run that cannot finish (e.g. no labelled line).
public struct FastTextTrainingError: UserFacingError, Hashable {
    /// What is wrong.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// Where training is, reported to the progress callback.
public struct FastTextTrainingProgress: Sendable {
    /// Fraction of the planned tokens processed (0–1).
    public var fraction: Double
    /// The current learning rate.
    public var learningRate: Double
    /// Mean loss over the examples since the previous report.
    public var loss: Double
    /// Examples (lines) processed so far.
    public var examples: Int
}

/// A trained model: its matrices and dictionary, as fastText's `.bin` bytes or written to a file.
public struct FastTextTrainingResult: Sendable {
    /// The labels, in the model's order.
    public var labels: [String]
    /// Words in the dictionary (after `minCount`).
    public var words: Int
    /// Tokens in the training text (`</s>` and labels included).
    public var tokens: Int64
    /// Lines in the training text.
    public var lines: Int
    let arguments: FastTextArguments
    let dictionary: TrainingDictionary
    let input: [Float]
    let output: [Float]

    /// The model in fastText's `.bin` format (load it with ``FastTextModel/init(bytes:path:)`` or fastText).
    public var modelBytes: [UInt8] {
        FastTextWriter.model(arguments: arguments, dictionary: dictionary, input: input, output: output)
    }

    /// Writes the `.bin` file (the matrices straight from memory, without a copy).
    /// - Throws: ``FileError`` when the file cannot be created or written.
    public func write(toFile path: String) throws(FileError) {
        try FastTextWriter.write(arguments: arguments, dictionary: dictionary, input: input, output: output, toFile: path)
    }
}

/// fastText's `supervised` training, single-threaded and deterministic: the same text, options
/// and seed always give the same model bytes.
///
/// It follows fastText 0.9.2 step by step: the dictionary of `Dictionary::readFromFile`, the
/// input rows of `Dictionary::getLine` (words, character n-grams, hashed word n-grams), the
/// uniform `±1/dim` input initialisation of `DenseMatrix::uniform` (same generator), a zero
/// output matrix, then, line after line in file order, `Model::update` (the averaged input
/// rows, the loss's gradient on the output rows, the gradient divided by the row count added
/// to every input row) with the learning rate `lr · (1 − tokens/(epoch · ntokens))` refreshed
/// every `lrUpdateRate` tokens.
public enum FastTextTrainer {
    /// Trains a classifier on a fastText-format text (`__label__a __label__b words …` per line).
    /// - Parameters:
    ///   - text: the training file's bytes.
    ///   - path: the name used in error messages.
    ///   - options: hyperparameters.
    ///   - progress: called about 200 times during training.
    /// - Returns: the model.
    /// - Throws: ``InputError`` (`path:line`) for a line without a label or with invalid UTF-8;
    ///   ``FastTextTrainingError`` for bad options, a text with no label, or a diverging run.
    public static func train(
        _ text: [UInt8], path: String, options: FastTextTrainingOptions = FastTextTrainingOptions(),
        progress: ((FastTextTrainingProgress) -> Void)? = nil
    ) throws -> FastTextTrainingResult {
        try options.validate()
        let corpus = try TokenizedCorpus(text, path: path)
        let (dictionary, newId) = corpus.threshold(minCount: options.minCount, minCountLabel: options.minCountLabel)
        guard dictionary.nlabels > 0 else {
            throw FastTextTrainingError("\(path): no labels (tokens starting with __label__) survive minCountLabel \(options.minCountLabel)")
        }
        let (floats, overflow) = (dictionary.nwords + options.effectiveBucket).multipliedReportingOverflow(by: options.dim)
        guard !overflow, floats <= 1 << 36 else {
            throw FastTextTrainingError(
                "the input matrix would be (\(dictionary.nwords) words + \(options.effectiveBucket) buckets) × dim \(options.dim) floats; lower bucket or dim")
        }
        let examples = Examples(corpus: corpus, dictionary: dictionary, newId: newId, options: options)
        var state = TrainingState(options: options, dictionary: dictionary)
        try state.run(examples, progress: progress)
        return FastTextTrainingResult(
            labels: (0..<dictionary.nlabels).map { dictionary.word(dictionary.nwords + $0) }, words: dictionary.nwords,
            tokens: dictionary.ntokens, lines: corpus.lineEnd.count, arguments: options.arguments, dictionary: dictionary,
            input: state.input, output: state.output)
    }
}

/// Every line's input rows, labels and token count (what `Dictionary::getLine` returns; the
/// dictionary does not change during training, so it is computed once).
struct Examples {
    var rows: [Int32] = []
    var rowEnd: [Int] = []
    var labels: [Int32] = []
    var labelEnd: [Int] = []
    var tokenCount: [Int64] = []

    var count: Int { tokenCount.count }

    init(corpus: TokenizedCorpus, dictionary: TrainingDictionary, newId: [Int32], options: FastTextTrainingOptions) {
        let bucket = options.effectiveBucket
        let nwords = dictionary.nwords
        let noPrune = IntMap(capacity: 0)
        // Rows of each word entry: its id (when kept), then its character n-grams (not for `</s>`).
        var entryRows: [[Int32]] = []
        entryRows.reserveCapacity(newId.count)
        var wrapped: [UInt8] = []
        for e in 0..<newId.count {
            var r: [Int32] = []
            if !corpus.entryIsLabel[e] {
                if newId[e] >= 0 { r.append(newId[e]) }
                let word = corpus.entryBytes[corpus.entryStart[e]..<corpus.entryStart[e + 1]]
                if options.maxn > 0 && !word.elementsEqual(TokenizedCorpus.eos) {
                    wrapped = [UInt8(ascii: "<")] + word + [UInt8(ascii: ">")]
                    FastTextDictionary.computeSubwords(
                        wrapped, into: &r, minn: options.minn, maxn: options.maxn, bucket: bucket, nwords: nwords,
                        pruneSize: -1, pruneIndex: noPrune)
                }
            }
            entryRows.append(r)
        }
        var hashes: [Int32] = []
        var lineRows: [Int32] = []
        var start = 0
        for end in corpus.lineEnd {
            hashes.removeAll(keepingCapacity: true)
            lineRows.removeAll(keepingCapacity: true)
            for t in start..<end {
                let e = Int(corpus.tokens[t])
                if corpus.entryIsLabel[e] {
                    if newId[e] >= 0 { labels.append(newId[e] - Int32(nwords)) }
                } else {
                    lineRows.append(contentsOf: entryRows[e])
                    hashes.append(Int32(bitPattern: corpus.entryHash[e]))
                }
            }
            FastTextDictionary.addWordNgrams(
                hashes, into: &lineRows, wordNgrams: options.wordNgrams, bucket: bucket, nwords: nwords, pruneSize: -1,
                pruneIndex: noPrune)
            rows.append(contentsOf: lineRows)
            rowEnd.append(rows.count)
            labelEnd.append(labels.count)
            tokenCount.append(Int64(end - start))
            start = end
        }
    }
}

/// The training arguments stored at the head of a fastText model file (`Args::save`). Only some
/// matter for prediction: `dim`, `wordNgrams`, `loss`, `model`, `bucket`, `minn` and `maxn`.
public struct FastTextArguments: Sendable, Hashable {
    /// The loss a model was trained with; it decides how scores are computed.
    public enum Loss: Int32, Sendable, Hashable {
        /// Hierarchical softmax over a Huffman tree of the labels (`-loss hs`, lid.176).
        case hierarchicalSoftmax = 1
        /// Negative sampling (`-loss ns`): independent sigmoids at prediction time.
        case negativeSampling = 2
        /// Softmax over all labels.
        case softmax = 3
        /// One-vs-all (`-loss ova`): independent sigmoids.
        case oneVsAll = 4
    }

    /// The kind of model.
    public enum Model: Int32, Sendable, Hashable {
        /// Word vectors, continuous bag of words.
        case cbow = 1
        /// Word vectors, skip-gram.
        case skipgram = 2
        /// A supervised classifier (the only kind that predicts labels).
        case supervised = 3
    }

    /// Size of the vectors.
    public var dim: Int
    /// Context window (training only).
    public var ws: Int
    /// Epochs (training only).
    public var epoch: Int
    /// Minimum word count (training only).
    public var minCount: Int
    /// Negatives sampled (training only).
    public var neg: Int
    /// Maximum length of word n-grams (1: words only).
    public var wordNgrams: Int
    /// The loss.
    public var loss: Loss
    /// The model kind.
    public var model: Model
    /// Number of hash buckets for character and word n-grams.
    public var bucket: Int
    /// Minimum character n-gram length.
    public var minn: Int
    /// Maximum character n-gram length (0: no subwords).
    public var maxn: Int
    /// Learning-rate update rate (training only).
    public var lrUpdateRate: Int
    /// Sampling threshold (training only).
    public var t: Double
}

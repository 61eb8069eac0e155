/// The Hugging Face `config.json` of a BERT encoder (the fields inference needs).
public struct BertConfiguration: Decodable, Sendable, Equatable {
    /// The `model_type`; only `"bert"` is supported.
    public var modelType: String
    /// Vocabulary size (rows of the word-embedding table).
    public var vocabularySize: Int
    /// Hidden size (width of every token vector).
    public var hiddenSize: Int
    /// Number of encoder layers.
    public var layerCount: Int
    /// Number of attention heads per layer.
    public var attentionHeadCount: Int
    /// Width of the feed-forward layer.
    public var intermediateSize: Int
    /// The activation, `"gelu"` (exact, erf form) is supported.
    public var hiddenActivation: String
    /// Rows of the position-embedding table (the longest input).
    public var maxPositionEmbeddings: Int
    /// Rows of the token-type-embedding table.
    public var typeVocabularySize: Int
    /// Epsilon of every layer normalisation.
    public var layerNormEpsilon: Float
    /// `position_embedding_type`; only `"absolute"` is supported.
    public var positionEmbeddingType: String

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case layerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenActivation = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabularySize = "type_vocab_size"
        case layerNormEpsilon = "layer_norm_eps"
        case positionEmbeddingType = "position_embedding_type"
    }

    /// Decodes the config, with BERT's defaults for optional fields.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "bert"
        vocabularySize = try c.decode(Int.self, forKey: .vocabularySize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        layerCount = try c.decode(Int.self, forKey: .layerCount)
        attentionHeadCount = try c.decode(Int.self, forKey: .attentionHeadCount)
        intermediateSize = try c.decode(Int.self, forKey: .intermediateSize)
        hiddenActivation = try c.decodeIfPresent(String.self, forKey: .hiddenActivation) ?? "gelu"
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512
        typeVocabularySize = try c.decodeIfPresent(Int.self, forKey: .typeVocabularySize) ?? 2
        layerNormEpsilon = try c.decodeIfPresent(Float.self, forKey: .layerNormEpsilon) ?? 1e-12
        positionEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "absolute"
    }
}

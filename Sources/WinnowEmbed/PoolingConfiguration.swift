/// How token vectors become one sentence vector: sentence-transformers' `1_Pooling/config.json`.
public struct PoolingConfiguration: Decodable, Sendable, Equatable {
    /// The sentence-vector width.
    public var dimension: Int
    /// Use the `[CLS]` token's vector.
    public var clsToken: Bool
    /// Average the token vectors over the attention mask.
    public var meanTokens: Bool
    /// Take the element-wise maximum over tokens.
    public var maxTokens: Bool
    /// Average scaled by √(token count).
    public var meanSqrtLengthTokens: Bool

    enum CodingKeys: String, CodingKey {
        case dimension = "word_embedding_dimension"
        case clsToken = "pooling_mode_cls_token"
        case meanTokens = "pooling_mode_mean_tokens"
        case maxTokens = "pooling_mode_max_tokens"
        case meanSqrtLengthTokens = "pooling_mode_mean_sqrt_len_tokens"
    }

    /// Decodes the config; absent modes are off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dimension = try c.decode(Int.self, forKey: .dimension)
        clsToken = try c.decodeIfPresent(Bool.self, forKey: .clsToken) ?? false
        meanTokens = try c.decodeIfPresent(Bool.self, forKey: .meanTokens) ?? false
        maxTokens = try c.decodeIfPresent(Bool.self, forKey: .maxTokens) ?? false
        meanSqrtLengthTokens = try c.decodeIfPresent(Bool.self, forKey: .meanSqrtLengthTokens) ?? false
    }
}

/// One entry of sentence-transformers' `modules.json`.
struct ModuleEntry: Decodable {
    var type: String
}

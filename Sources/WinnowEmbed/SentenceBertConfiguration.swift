/// sentence-transformers' `sentence_bert_config.json`: the token limit it applies.
public struct SentenceBertConfiguration: Decodable, Sendable, Equatable {
    /// The most tokens per text, `[CLS]` and `[SEP]` included; longer texts are truncated.
    public var maxSequenceLength: Int

    enum CodingKeys: String, CodingKey {
        case maxSequenceLength = "max_seq_length"
    }
}

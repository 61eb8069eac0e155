import TensorCore

/// A BERT encoder for inference (no dropout), with weights from a safetensors file.
///
/// The forward pass: word + position + token-type embeddings, layer norm, then for each layer
/// self-attention (Q, K, V projections, multi-head attention, output projection, residual,
/// layer norm) and the feed-forward block (dense, GELU, dense, residual, layer norm). The model
/// is immutable and can be shared by threads that each call ``forward(batch:)``.
public struct BertModel: Sendable {
    /// One encoder layer's weights.
    struct Layer: Sendable {
        /// Query, key and value projections stacked (`[3·hidden, hidden]`, bias `[3·hidden]`), so
        /// one sgemm computes all three.
        var qkvWeight, qkvBias: Tensor
        var attentionOutputWeight, attentionOutputBias, attentionNormGamma, attentionNormBeta: Tensor
        var intermediateWeight, intermediateBias, outputWeight, outputBias, outputNormGamma, outputNormBeta: Tensor
    }

    /// The architecture.
    public let configuration: BertConfiguration
    let wordEmbeddings: Tensor
    let positionEmbeddings: Tensor
    let tokenTypeEmbeddings: Tensor
    let embeddingNormGamma: Tensor
    let embeddingNormBeta: Tensor
    let layers: [Layer]

    /// Loads the model from `config.json` and `model.safetensors` in `folder`.
    ///
    /// Every tensor the architecture needs must be present with its exact shape, and every
    /// tensor in the file must be used; the only ones allowed to go unused are the
    /// `embeddings.position_ids` buffer and the `pooler.*` head, which sentence embedding does not use.
    /// A `bert.` prefix on every name is accepted.
    /// - Throws: ``EmbedError`` naming the file and the tensor or key at fault.
    public init(folder: ModelFolder) throws(EmbedError) {
        let configuration = try folder.decode(BertConfiguration.self, from: "config.json")
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(path: folder.file("model.safetensors"))
        } catch {
            throw EmbedError(error)
        }
        try self.init(configuration: configuration, weights: file, configPath: folder.file("config.json"))
    }

    /// Builds the model from a configuration and a safetensors file.
    /// - Throws: ``EmbedError`` when the configuration is unsupported or a tensor is missing,
    ///   mis-shaped or unused.
    public init(configuration c: BertConfiguration, weights file: SafeTensorsFile, configPath: String = "config.json") throws(EmbedError) {
        guard c.modelType == "bert" else { throw EmbedError(path: configPath, message: "model_type '\(c.modelType)' is not bert") }
        guard c.hiddenActivation == "gelu" else {
            throw EmbedError(path: configPath, message: "hidden_act '\(c.hiddenActivation)' is not supported (gelu is)")
        }
        guard c.positionEmbeddingType == "absolute" else {
            throw EmbedError(path: configPath, message: "position_embedding_type '\(c.positionEmbeddingType)' is not supported")
        }
        guard c.attentionHeadCount > 0, c.hiddenSize % c.attentionHeadCount == 0 else {
            throw EmbedError(path: configPath, message: "\(c.attentionHeadCount) heads do not divide hidden_size \(c.hiddenSize)")
        }
        self.configuration = c
        let prefix = file.names.allSatisfy { $0.hasPrefix("bert.") } ? "bert." : ""
        var loader = WeightLoader(file: file, prefix: prefix)
        let h = c.hiddenSize
        do {
            wordEmbeddings = try loader.take("embeddings.word_embeddings.weight", shape: [c.vocabularySize, h])
            positionEmbeddings = try loader.take("embeddings.position_embeddings.weight", shape: [c.maxPositionEmbeddings, h])
            tokenTypeEmbeddings = try loader.take("embeddings.token_type_embeddings.weight", shape: [c.typeVocabularySize, h])
            embeddingNormGamma = try loader.take("embeddings.LayerNorm.weight", shape: [h])
            embeddingNormBeta = try loader.take("embeddings.LayerNorm.bias", shape: [h])
            var layers: [Layer] = []
            for index in 0 ..< c.layerCount {
                let p = "encoder.layer.\(index)."
                var projections: [(weight: Tensor, bias: Tensor)] = []
                for name in ["query", "key", "value"] {
                    projections.append((
                        try loader.take(p + "attention.self.\(name).weight", shape: [h, h]),
                        try loader.take(p + "attention.self.\(name).bias", shape: [h])))
                }
                let (q, k, v) = (projections[0], projections[1], projections[2])
                layers.append(Layer(
                    qkvWeight: Tensor(shape: [3 * h, h], scalars: q.weight.scalars + k.weight.scalars + v.weight.scalars),
                    qkvBias: Tensor(shape: [3 * h], scalars: q.bias.scalars + k.bias.scalars + v.bias.scalars),
                    attentionOutputWeight: try loader.take(p + "attention.output.dense.weight", shape: [h, h]),
                    attentionOutputBias: try loader.take(p + "attention.output.dense.bias", shape: [h]),
                    attentionNormGamma: try loader.take(p + "attention.output.LayerNorm.weight", shape: [h]),
                    attentionNormBeta: try loader.take(p + "attention.output.LayerNorm.bias", shape: [h]),
                    intermediateWeight: try loader.take(p + "intermediate.dense.weight", shape: [c.intermediateSize, h]),
                    intermediateBias: try loader.take(p + "intermediate.dense.bias", shape: [c.intermediateSize]),
                    outputWeight: try loader.take(p + "output.dense.weight", shape: [h, c.intermediateSize]),
                    outputBias: try loader.take(p + "output.dense.bias", shape: [h]),
                    outputNormGamma: try loader.take(p + "output.LayerNorm.weight", shape: [h]),
                    outputNormBeta: try loader.take(p + "output.LayerNorm.bias", shape: [h])))
            }
            self.layers = layers
            // Not part of sentence embedding: the position-id buffer and the [CLS] pooler head.
            loader.ignore("embeddings.position_ids")
            loader.ignore("pooler.dense.weight")
            loader.ignore("pooler.dense.bias")
            try loader.finish()
        } catch {
            throw EmbedError(error)
        }
    }

    /// Runs the encoder on a batch of equally long (padded) id sequences.
    /// - Parameters:
    ///   - ids: token ids, `batch · sequenceLength`, row after row.
    ///   - mask: 1 for real tokens, 0 for padding, same layout.
    ///   - sequenceLength: the padded length, at most `maxPositionEmbeddings`.
    /// - Returns: the last hidden states, `[batch · sequenceLength, hidden]`.
    public func forward(ids: [Int32], mask: [Float], sequenceLength: Int) -> Tensor {
        let c = configuration
        precondition(sequenceLength <= c.maxPositionEmbeddings, "sequence of \(sequenceLength) tokens exceeds \(c.maxPositionEmbeddings) positions")
        let rows = ids.count
        var x = wordEmbeddings.gatherRows(ids)
        let positions = (0 ..< rows).map { Int32($0 % sequenceLength) }
        x.add(positionEmbeddings.gatherRows(positions))
        x.addBias(tokenTypeEmbeddings.gatherRows([0]))
        x.layerNorm(gamma: embeddingNormGamma, beta: embeddingNormBeta, epsilon: c.layerNormEpsilon)
        let keyMask = mask.map { $0 == 0 ? Float(-1e9) : 0 }
        for layer in layers {
            let qkv = Tensor.linear(x, weight: layer.qkvWeight, bias: layer.qkvBias)
            let context = Tensor.multiHeadAttention(packed: qkv, heads: c.attentionHeadCount, sequenceLength: sequenceLength, keyMask: keyMask)
            var attended = Tensor.linear(context, weight: layer.attentionOutputWeight, bias: layer.attentionOutputBias)
            attended.add(x)
            attended.layerNorm(gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta, epsilon: c.layerNormEpsilon)
            var intermediate = Tensor.linear(attended, weight: layer.intermediateWeight, bias: layer.intermediateBias)
            intermediate.gelu()
            var output = Tensor.linear(intermediate, weight: layer.outputWeight, bias: layer.outputBias)
            output.add(attended)
            output.layerNorm(gamma: layer.outputNormGamma, beta: layer.outputNormBeta, epsilon: c.layerNormEpsilon)
            x = output
        }
        return x
    }
}

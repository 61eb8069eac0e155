#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two matrices being trained and the SGD loop over them (fastText's `trainThread` for one
/// thread, `FastText::supervised`, `Model::update` and the three losses' `forward`).
struct TrainingState {
    let options: FastTextTrainingOptions
    let dim: Int
    let osz: Int
    /// `(nwords + bucket) × dim`, then `nlabels × dim`, row-major.
    var input: [Float]
    var output: [Float]
    /// Hierarchical softmax: each label's path of internal nodes (as output rows) and branch bits.
    private var paths: [[Int32]] = []
    private var codes: [[Bool]] = []

    init(options: FastTextTrainingOptions, dictionary: TrainingDictionary) {
        self.options = options
        dim = options.dim
        osz = dictionary.nlabels
        input = Self.uniformMatrix(
            count: (dictionary.nwords + options.effectiveBucket) * options.dim, dim: options.dim, seed: options.seed,
            threads: options.initThreads)
        output = [Float](repeating: 0, count: osz * dim)
        if options.loss == .hierarchicalSoftmax {
            (paths, codes) = Self.huffmanPaths(labelCounts: Array(dictionary.counts[dictionary.nwords...]))
        }
    }

    /// DenseMatrix::uniform(1/dim, thread, seed): blocks of `count / 10` values, block `b` (for
    /// each `b < min(thread, 10)`) drawn from `minstd_rand(b + seed)`; the other blocks and the
    /// last `count % 10` values stay 0, as in fastText.
    static func uniformMatrix(count: Int, dim: Int, seed: Int, threads: Int) -> [Float] {
        var data = [Float](repeating: 0, count: count)
        let a = Double(Float(1.0 / Double(dim)))
        let blockSize = count / 10
        data.withUnsafeMutableBufferPointer { d in
            for block in 0..<min(threads, 10) {
                var rng = MinstdRandom(seed: UInt64(block + seed))
                for i in (blockSize * block)..<min(count, blockSize * (block + 1)) {
                    d[i] = Float(rng.uniform(-a, a))
                }
            }
        }
        return data
    }

    /// HierarchicalSoftmaxLoss::buildTree's paths and codes, from the same tree the loader builds.
    static func huffmanPaths(labelCounts: [Int64]) -> ([[Int32]], [[Bool]]) {
        let osz = labelCounts.count
        let (left, right) = FastTextModel.buildTree(counts: labelCounts)
        var parent = [Int](repeating: -1, count: left.count)
        var binary = [Bool](repeating: false, count: left.count)
        for node in osz..<left.count {
            parent[Int(left[node])] = node
            parent[Int(right[node])] = node
            binary[Int(right[node])] = true
        }
        var paths: [[Int32]] = []
        var codes: [[Bool]] = []
        for leaf in 0..<osz {
            var path: [Int32] = []
            var code: [Bool] = []
            var j = leaf
            while parent[j] != -1 {
                path.append(Int32(parent[j] - osz))
                code.append(binary[j])
                j = parent[j]
            }
            paths.append(path)
            codes.append(code)
        }
        return (paths, codes)
    }

    // MARK: - Training loop

    mutating func run(_ examples: Examples, progress: ((FastTextTrainingProgress) -> Void)?) throws(FastTextTrainingError) {
        let ntokens = examples.tokenCount.reduce(0, +)
        let total = Int64(options.epoch) * ntokens
        guard examples.count > 0, total > 0 else { return }
        var rng = MinstdRandom(seed: UInt64(options.seed))
        var tokenCount: Int64 = 0
        var localTokenCount: Int64 = 0
        var line = 0
        var processed = 0
        var lossSum = 0.0
        var lossExamples = 0
        var nextReport: Int64 = 0
        let reportEvery = max(1, total / 200)
        var hidden = [Float](repeating: 0, count: dim)
        var grad = [Float](repeating: 0, count: dim)
        var scores = [Float](repeating: 0, count: max(osz, 1))
        let lrUpdateRate = Int64(options.lrUpdateRate)
        // The matrices move out of `self` while the loop (which reads `self`) updates them.
        var inputMatrix = input, outputMatrix = output
        input = []
        output = []
        defer {
            input = inputMatrix
            output = outputMatrix
        }
        try inputMatrix.withUnsafeMutableBufferPointer { (wi) throws(FastTextTrainingError) in
            try outputMatrix.withUnsafeMutableBufferPointer { (wo) throws(FastTextTrainingError) in
                while tokenCount < total {
                    let fraction = Float(tokenCount) / Float(total)
                    let lr = Float(options.learningRate * (1.0 - Double(fraction)))
                    localTokenCount += examples.tokenCount[line]
                    let rowRange = (line == 0 ? 0 : examples.rowEnd[line - 1])..<examples.rowEnd[line]
                    let labelRange = (line == 0 ? 0 : examples.labelEnd[line - 1])..<examples.labelEnd[line]
                    if !rowRange.isEmpty && !labelRange.isEmpty {
                        let loss = examples.rows.withUnsafeBufferPointer { r in
                            examples.labels.withUnsafeBufferPointer { l in
                                update(
                                    rows: UnsafeBufferPointer(rebasing: r[rowRange]), labels: UnsafeBufferPointer(rebasing: l[labelRange]),
                                    lr: lr, rng: &rng, wi: wi, wo: wo, hidden: &hidden, grad: &grad, scores: &scores)
                            }
                        }
                        // fastText stops on a NaN score (EncounterNaNError); an infinite loss alone goes on.
                        guard !loss.isNaN else {
                            throw FastTextTrainingError(
                                "training diverged (NaN at \(Int(Double(fraction) * 100)) % of training); lower the learning rate (lr \(options.learningRate))")
                        }
                        lossSum += Double(loss)
                        lossExamples += 1
                    }
                    processed += 1
                    line += 1
                    if line == examples.count { line = 0 }
                    if localTokenCount > lrUpdateRate {
                        tokenCount += localTokenCount
                        localTokenCount = 0
                        if let progress, tokenCount >= nextReport {
                            nextReport = tokenCount + reportEvery
                            progress(FastTextTrainingProgress(
                                fraction: min(1, Double(tokenCount) / Double(total)), learningRate: Double(lr),
                                loss: lossExamples > 0 ? lossSum / Double(lossExamples) : 0, examples: processed))
                            lossSum = 0
                            lossExamples = 0
                        }
                    }
                }
            }
        }
    }

    /// Model::update for one line; returns the loss.
    @inline(__always)
    private func update(
        rows: UnsafeBufferPointer<Int32>, labels: UnsafeBufferPointer<Int32>, lr: Float, rng: inout MinstdRandom,
        wi: UnsafeMutableBufferPointer<Float>, wo: UnsafeMutableBufferPointer<Float>,
        hidden: inout [Float], grad: inout [Float], scores: inout [Float]
    ) -> Float {
        let dim = self.dim
        // FastText::supervised: one label drawn per line (except one-vs-all, which uses them all).
        let targetIndex = options.loss == .oneVsAll ? 0 : rng.uniformInt(upTo: labels.count - 1)
        return hidden.withUnsafeMutableBufferPointer { hb in
            grad.withUnsafeMutableBufferPointer { gb in
                let h = hb.baseAddress!, g = gb.baseAddress!
                let wiBase = wi.baseAddress!, woBase = wo.baseAddress!
                // Model::computeHidden: the mean of the input rows.
                h.update(repeating: 0, count: dim)
                for r in rows {
                    let row = wiBase + Int(r) * dim
                    for j in 0..<dim { h[j] += row[j] }
                }
                let scale = Float(1.0 / Double(rows.count))
                for j in 0..<dim { h[j] *= scale }
                g.update(repeating: 0, count: dim)

                let loss: Float
                switch options.loss {
                case .softmax:
                    loss = scores.withUnsafeMutableBufferPointer { out in
                        softmax(target: Int(labels[targetIndex]), lr: lr, h: h, g: g, wo: woBase, out: out.baseAddress!)
                    }
                case .oneVsAll:
                    var sum: Float = 0
                    for i in 0..<osz {
                        sum += binaryLogistic(row: i, positive: labels.contains(Int32(i)), lr: lr, h: h, g: g, wo: woBase)
                    }
                    loss = sum
                case .hierarchicalSoftmax:
                    let target = Int(labels[targetIndex])
                    var sum: Float = 0
                    for (node, bit) in zip(paths[target], codes[target]) {
                        sum += binaryLogistic(row: Int(node), positive: bit, lr: lr, h: h, g: g, wo: woBase)
                    }
                    loss = sum
                case .negativeSampling:
                    preconditionFailure("rejected by FastTextTrainingOptions.validate")
                }
                // Model::update: the gradient, divided by the row count, added to every input row.
                for j in 0..<dim { g[j] *= scale }
                for r in rows {
                    let row = wiBase + Int(r) * dim
                    for j in 0..<dim { row[j] += g[j] }
                }
                return loss
            }
        }
    }

    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var d: Float = 0
        for j in 0..<n { d += a[j] * b[j] }
        return d
    }

    /// grad += alpha · wo[row]; wo[row] += alpha · hidden (the output row is read before it changes).
    @inline(__always)
    private func step(row: Int, alpha: Float, h: UnsafePointer<Float>, g: UnsafeMutablePointer<Float>, wo: UnsafeMutablePointer<Float>) {
        let w = wo + row * dim
        for j in 0..<dim { g[j] += alpha * w[j] }
        for j in 0..<dim { w[j] += alpha * h[j] }
    }

    /// SoftmaxLoss::forward with backpropagation; returns −log p(target).
    @inline(__always)
    private func softmax(target: Int, lr: Float, h: UnsafePointer<Float>, g: UnsafeMutablePointer<Float>,
                         wo: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) -> Float {
        for i in 0..<osz {
            out[i] = Self.dot(wo + i * dim, h, dim)
            if out[i].isNaN { return .nan }
        }
        FastTextModel.softmax(UnsafeMutableBufferPointer(start: out, count: osz))
        for i in 0..<osz {
            let label: Float = i == target ? 1 : 0
            step(row: i, alpha: lr * (label - out[i]), h: h, g: g, wo: wo)
        }
        return -Float(log(Double(out[target])))
    }

    /// BinaryLogisticLoss::binaryLogistic (fastText's sigmoid table); returns the loss.
    @inline(__always)
    private func binaryLogistic(row: Int, positive: Bool, lr: Float, h: UnsafePointer<Float>, g: UnsafeMutablePointer<Float>,
                                wo: UnsafeMutablePointer<Float>) -> Float {
        let d = Self.dot(wo + row * dim, h, dim)
        if d.isNaN { return .nan }
        let score = FastTextModel.sigmoid(d)
        step(row: row, alpha: lr * ((positive ? 1 : 0) - score), h: h, g: g, wo: wo)
        return positive ? -FastTextModel.stdLog(score) : -FastTextModel.stdLog(1 - score)
    }
}

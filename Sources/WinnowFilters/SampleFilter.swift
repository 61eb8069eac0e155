import WinnowCore

/// Keeps a seeded random fraction of documents.
///
/// The draw for a document is a stable hash of its id, its text and the seed, so the same input
/// and seed keep the same documents for any sharding or worker count.
public struct SampleFilter: Filter, RegisteredStage {
    /// The stage name.
    public var name: String { "sample" }
    /// The fraction to keep, in [0, 1].
    public var fraction: Double
    /// A seed mixed into the draw (added to the run's seed).
    public var seed: UInt64

    /// Creates the filter.
    public init(fraction: Double, seed: UInt64 = 0) {
        self.fraction = fraction
        self.seed = seed
    }

    /// The registry entry.
    public static let descriptor = StageDescriptor(
        name: "sample", kind: .filter,
        summary: "Keeps a seeded random fraction of documents; the draw hashes each document's id and text with the seed, so it does not depend on sharding or workers.",
        parameters: [
            ParameterSpec("fraction", "number", default: nil, "share of documents to keep, 0–1 (required)"),
            ParameterSpec("seed", "int", default: "0", "added to the run's seed"),
        ],
        dropReasons: ["sampled_out"],
        make: { p in
            guard let fraction = try p.double("fraction", min: 0, max: 1) else {
                throw ConfigError("stage 'sample' needs 'fraction' (0–1)", at: p.location)
            }
            return SampleFilter(fraction: fraction, seed: UInt64(try p.int("seed", default: 0, min: 0)!))
        })

    /// The verdict for one document.
    public func verdict(for document: Document, context: StageContext) -> Verdict {
        let s = seed &+ context.seed
        let h = StableHash.xxh64(document.text, seed: StableHash.xxh64(document.id, seed: s))
        // Top 53 bits as a uniform draw in [0, 1).
        let u = Double(h >> 11) / Double(1 << 53)
        return u < fraction ? .keep : .drop(reason: "sampled_out")
    }
}

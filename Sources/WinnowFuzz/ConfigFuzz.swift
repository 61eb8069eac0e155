import Foundation
import WinnowCore
import WinnowPipeline
import WinnowPrompt

extension FuzzTargets {
    /// The stages a fuzzed recipe may name: all but those that load a model file when built
    /// (language ID, classifiers, perplexity, embeddings and the stages that embed), so that a recipe naming one costs a
    /// "stage not known" error instead of loading 100 MB per input.
    static let recipeRegistry = StageRegistry(
        StageRegistry.standard.descriptors.filter { descriptor in
            !descriptor.parameters.contains { $0.name == "model" }
        })

    /// The recipe loader: YAML (Yams) to ``ConfigValue`` to ``Recipe`` with every stage's
    /// parameters checked, from a file as `winnow run` reads it.
    public static let recipe = FuzzTarget(
        name: "recipe", summary: "Recipe.load: UTF-8 check, YAMLLoader, recipe and stage parameter validation",
        maxLength: 16 << 10
    ) { bytes in
        _ = ScratchFile.with(bytes, suffix: ".yaml") { path in
            _ = try? Recipe.load(path: path, registry: recipeRegistry)
        }
        return nil
    }

    /// `CompressionRequest` decoding, as `winnow compress --json` and `/v1/compress` read it.
    ///
    /// Invariant: a request that decodes encodes to JSON that decodes to the same request.
    public static let compressionRequest = FuzzTarget(
        name: "compression_request", summary: "CompressionRequest.decode(json:) and its Codable round trip",
        maxLength: 16 << 10
    ) { bytes in
        guard let request = try? CompressionRequest.decode(json: Data(bytes)) else { return nil }
        let encoded: Data
        do {
            encoded = try JSONEncoder().encode(request)
        } catch {
            return FuzzFinding("compression_request", "a decoded request does not encode: \(error)")
        }
        do {
            let again = try CompressionRequest.decode(json: encoded)
            if again != request {
                return FuzzFinding(
                    "compression_request", "a decoded request reads back different after encoding: \(String(decoding: encoded, as: UTF8.self).prefix(300))")
            }
        } catch {
            return FuzzFinding(
                "compression_request", "a decoded request encodes to JSON that does not decode (\(error)): \(String(decoding: encoded, as: UTF8.self).prefix(300))")
        }
        return nil
    }
}

/// The fuzz targets that need no model and no server.
public enum FuzzTargets {
    /// Every target of this module, in the order `make fuzz` runs them.
    public static let all: [FuzzTarget] = [jsonl, compressed, warc, html, mediawiki, parquet, recipe, compressionRequest]

    /// The target called `name`, if any.
    public static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }
}

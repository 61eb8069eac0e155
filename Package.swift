// swift-tools-version:6.1
import PackageDescription

/// Winnow: LLM training-data curation and prompt compression, natively, on CPUs.
///
/// Layers (arrows point down; see docs/architecture.md):
/// winnow (CLI) → WinnowPipeline → WinnowFilters / WinnowDedup / WinnowSelect / WinnowPrompt / WinnowStore
/// → WinnowLM / WinnowEmbed → TensorCore, WinnowTokenizers; WinnowText → WinnowIO → WinnowCore.
/// C libraries come from Debian through system-library targets (apt providers named below).
let package = Package(
    name: "Winnow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "winnow", targets: ["winnow"]),
        .library(name: "WinnowCore", targets: ["WinnowCore"]),
        .library(name: "WinnowIO", targets: ["WinnowIO"]),
        .library(name: "WinnowPipeline", targets: ["WinnowPipeline"]),
        // For fuzz/Package.swift (libFuzzer builds); docs/fuzzing.md.
        .library(name: "WinnowFuzz", targets: ["WinnowFuzz"]),
        .library(name: "WinnowFuzzServer", targets: ["WinnowFuzzServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // Hummingbird's own dependencies, named for WinnowServer's channel handler (HTTPGuard).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // The server's /metrics endpoint (Prometheus text format).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // MARK: - C libraries (Debian packages)
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // OpenBLAS, opened with dlopen by the first matrix call (Debian libopenblas0): commands that
        // multiply no matrix never start its thread pool, and its environment is set in-process.
        .target(name: "COpenBLAS"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // libdeflate: whole-buffer DEFLATE, several times faster than zlib; gzip output is written
        // as a series of 1 MiB members with it (still one valid .gz file).
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        // Intel ISA-L igzip: the default gzip writer (streaming, several times faster again).
        .systemLibrary(name: "CISAL", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        // libbz2 for MediaWiki dumps (.xml.bz2); Debian ships no pkg-config file for it.
        .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
        // Snappy and LZ4 for Parquet pages (WinnowParquet).
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        // ICU through a C target with a plain-C header (Foundation bundles its own ICU; SWIFT-NOTES §4).
        // _FoundationICU is linked first so its symbols bind to itself (SWIFT-NOTES §4.2).
        .target(
            name: "CICUShim",
            linkerSettings: [
                .linkedLibrary("_FoundationICU"), .linkedLibrary("icui18n"),
                .linkedLibrary("icuuc"), .linkedLibrary("icudata"),
            ]),

        // MinHash signature kernel in C: AVX-512 when the CPU has it (checked at run time), else portable.
        .target(name: "CMinHash"),
        // Element-wise tensor kernels (softmax, GELU, layer norm) in C with target_clones:
        // AVX-512 / AVX2 / baseline chosen at load time, so one binary runs on any x86-64.
        .target(name: "CTensorKernels"),

        // MARK: - Library layers
        .target(name: "WinnowCore"),
        .target(
            name: "WinnowIO",
            dependencies: ["WinnowCore", "CZlib", "CZstd", "CDeflate", "CISAL", "CBzip2", "CLibXML2", "CICUShim"]),
        .target(name: "WinnowText", dependencies: ["WinnowCore", "CICUShim"]),
        // Parquet reader and writer (Thrift compact footer, pages v1/v2, dictionary, delta encodings).
        .target(name: "WinnowParquet", dependencies: ["WinnowCore", "WinnowIO", "CZstd", "CDeflate", "CSnappy", "CLZ4"]),
        .target(
            name: "WinnowStore",
            dependencies: ["WinnowCore", .product(name: "GRDB", package: "GRDB.swift")]),
        // fastText .bin/.ftz loading and prediction (language ID), pure Swift.
        .target(name: "WinnowFastText", dependencies: ["WinnowCore"]),
        .target(name: "WinnowFilters", dependencies: ["WinnowCore", "WinnowIO", "WinnowText", "WinnowFastText", "CICUShim"]),
        .target(name: "TensorCore", dependencies: ["COpenBLAS", "CTensorKernels"]),
        // Tokenizers shared by the prompt compressor, the embedder, the `tokenize` stage and the
        // server: tiktoken and Hugging Face tokenizer.json (BPE, Unigram, WordPiece), no Foundation.
        .target(name: "WinnowTokenizers", dependencies: ["WinnowCore", "WinnowIO", "CICUShim"]),
        .target(name: "WinnowEmbed", dependencies: ["TensorCore", "WinnowCore", "WinnowIO", "WinnowTokenizers"]),
        .target(
            name: "WinnowDedup",
            dependencies: ["WinnowCore", "WinnowIO", "WinnowText", "CMinHash", "TensorCore", "WinnowEmbed"]),
        // Kneser-Ney n-gram language models: training, ARPA, binary format, perplexity scoring.
        .target(name: "WinnowLM", dependencies: ["WinnowCore", "WinnowIO", "WinnowText"]),
        // SHA-256 for DSIR's hashed n-grams (x86 SHA extensions when present).
        .target(name: "CSHA256"),
        // Selection: threshold/top-k, DSIR, domain mixing, diversity over embeddings.
        .target(
            name: "WinnowSelect",
            dependencies: ["WinnowCore", "WinnowIO", "WinnowText", "TensorCore", "WinnowEmbed", "CSHA256"]),
        // Prompt compression, in-context example selection, token counting.
        .target(
            name: "WinnowPrompt",
            dependencies: [
                "WinnowCore", "WinnowText", "WinnowLM", "WinnowEmbed", "TensorCore", "WinnowStore", "WinnowTokenizers",
                .product(name: "GRDB", package: "GRDB.swift"),  // the example pools' embedding cache
            ]),
        .target(name: "WinnowHTML", dependencies: ["WinnowCore", "CLibXML2"]),
        // HTTP API (Hummingbird 2): /v1/compress, /v1/examples, /v1/embeddings, /healthz.
        .target(
            name: "WinnowServer",
            dependencies: [
                "WinnowCore", "WinnowPrompt", "WinnowEmbed", "TensorCore", "WinnowTokenizers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        .target(
            name: "WinnowPipeline",
            dependencies: [
                "WinnowCore", "WinnowIO", "WinnowText", "WinnowStore", "WinnowFilters", "WinnowDedup", "WinnowEmbed", "WinnowHTML",
                "WinnowLM", "WinnowSelect", "WinnowParquet", "WinnowTokenizers",
                .product(name: "Yams", package: "Yams"),
            ]),
        .executableTarget(
            name: "winnow",
            dependencies: [
                "WinnowCore", "WinnowIO", "WinnowPipeline", "WinnowEmbed", "TensorCore", "WinnowFastText", "WinnowHTML",
                "WinnowText", "WinnowLM", "WinnowSelect", "WinnowPrompt", "WinnowServer", "WinnowTokenizers", "WinnowDedup", "WinnowParquet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Fuzz targets' entry functions: libFuzzer runs them from fuzz/ (`make fuzz`), the tests run
        // a seeded smoke pass. The server's needs Hummingbird, so it has a target of its own.
        .target(
            name: "WinnowFuzz",
            dependencies: ["WinnowCore", "WinnowIO", "WinnowText", "WinnowHTML", "WinnowPipeline", "WinnowPrompt", "WinnowParquet"]),
        .target(
            name: "WinnowFuzzServer",
            dependencies: [
                "WinnowFuzz", "WinnowCore", "WinnowServer", "WinnowPrompt", "WinnowEmbed", "WinnowTokenizers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),

        // MARK: - Tests
        .testTarget(name: "SystemLibraryTests", dependencies: ["CLibXML2", "COpenBLAS", "CZlib", "CZstd", "CDeflate", "CICUShim"]),
        .testTarget(name: "WinnowCoreTests", dependencies: ["WinnowCore"]),
        .testTarget(name: "WinnowIOTests", dependencies: ["WinnowIO", "CZlib", "CBzip2"]),
        .testTarget(name: "WinnowTextTests", dependencies: ["WinnowText"], exclude: ["Fixtures"]),
        .testTarget(name: "WinnowFiltersTests", dependencies: ["WinnowFilters", "WinnowIO"]),
        .testTarget(name: "WinnowFastTextTests", dependencies: ["WinnowFastText"], exclude: ["Fixtures"]),
        .testTarget(name: "WinnowDedupTests", dependencies: ["WinnowDedup", "WinnowIO"]),
        .testTarget(name: "WinnowStoreTests", dependencies: ["WinnowStore"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        .testTarget(name: "WinnowHTMLTests", dependencies: ["WinnowHTML", "WinnowCore", "WinnowIO", "CLibXML2"], exclude: ["Fixtures"]),
        .testTarget(name: "WinnowEmbedTests", dependencies: ["WinnowEmbed", "TensorCore", "WinnowTokenizers"]),
        .testTarget(name: "WinnowTokenizersTests", dependencies: ["WinnowTokenizers"], exclude: ["Fixtures"]),
        .testTarget(name: "WinnowLMTests", dependencies: ["WinnowLM", "WinnowText"]),
        .testTarget(name: "WinnowSelectTests", dependencies: ["WinnowSelect", "TensorCore", "WinnowPipeline"]),
        .testTarget(name: "WinnowPromptTests", dependencies: ["WinnowPrompt", "WinnowLM", "WinnowEmbed", "WinnowTokenizers"]),
        .testTarget(
            name: "WinnowServerTests",
            dependencies: [
                "WinnowServer", "WinnowPrompt", "WinnowEmbed", "WinnowTokenizers",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        .testTarget(name: "WinnowFuzzTests", dependencies: ["WinnowFuzz", "WinnowFuzzServer"]),
        .testTarget(name: "WinnowParquetTests", dependencies: ["WinnowParquet", "WinnowIO", "WinnowPipeline"], exclude: ["Fixtures"]),
        .testTarget(name: "WinnowPipelineTests", dependencies: ["WinnowPipeline", "WinnowStore", "WinnowIO", "winnow", "WinnowTokenizers"]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.1
// libFuzzer executables over the entry functions in the main package's WinnowFuzz and
// WinnowFuzzServer targets. Built by `make fuzz` (docs/fuzzing.md) with sanitizers, into its own
// scratch folder, so the normal `swift build` of the main package never pays for them:
//
//   swift build -c release --package-path fuzz --scratch-path .build-fuzz \
//       --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address
import PackageDescription

// A path dependency's identity is its folder's name (main, h-fuzz, winnow, … depending on the clone).
let winnow = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "winnow"

/// One executable per target: fuzz/Sources/fuzz-<name>/FuzzEntry.swift defines LLVMFuzzerTestOneInput.
let libraryTargets = ["jsonl", "compressed", "warc", "html", "mediawiki", "parquet", "recipe", "compression_request"]

let package = Package(
    name: "WinnowFuzzers",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: libraryTargets.map { name in
        .executableTarget(name: "fuzz-\(name)", dependencies: [.product(name: "WinnowFuzz", package: winnow)])
    } + [
        .executableTarget(
            name: "fuzz-server",
            dependencies: [
                .product(name: "WinnowFuzz", package: winnow), .product(name: "WinnowFuzzServer", package: winnow),
            ]),
    ],
    swiftLanguageModes: [.v6]
)

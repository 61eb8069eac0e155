import WinnowFuzz
import WinnowFuzzServer

/// The server and its models, loaded once (all-MiniLM-L6-v2 from $WINNOW_MODELS, ./models or
/// ~/.cache/winnow/models).
let server: Result<ServerFuzzer, any Error> = Result { try ServerFuzzer() }

/// libFuzzer's entry: one input POSTed to every endpoint; a finding aborts with its message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    let fuzzer: ServerFuzzer
    switch server {
    case .success(let loaded): fuzzer = loaded
    case .failure(let error): fatalError("cannot start the server target: \(error)")
    }
    if let finding = fuzzer.runBlocking(UnsafeRawBufferPointer(start: data, count: size)) {
        fatalError("fuzz finding: \(finding)")
    }
    return 0
}

import WinnowFuzz

/// libFuzzer's entry: one input through `FuzzTargets.parquet`; a finding aborts with its message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafeRawPointer?, _ size: Int) -> CInt {
    if let finding = FuzzTargets.parquet.run(UnsafeRawBufferPointer(start: data, count: size)) {
        fatalError("fuzz finding: \(finding)")
    }
    return 0
}

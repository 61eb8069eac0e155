internal import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// The OpenBLAS library behind the tensor core: which kernel it runs and how many threads it uses.
///
/// Debian's OpenBLAS 0.3.21 falls back to its generic "Prescott" kernel on recent Xeons; set
/// `OPENBLAS_CORETYPE` (for example `SkylakeX` or `Haswell`) before the process starts to pick
/// a faster one. Report `coreName` beside every throughput figure.
public enum BLAS {
    /// The kernel OpenBLAS selected for this CPU, as `openblas_get_corename()` reports it
    /// (for example `"Prescott"`, `"Haswell"`, `"SkylakeX"`).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Whether `coreName` is one of OpenBLAS's generic fallback kernels.
    public static var isGenericCore: Bool {
        ["prescott", "core2", "generic", "katmai", "coppermine", "northwood", "banias", "atom"]
            .contains(coreName.lowercased())
    }

    /// The number of threads OpenBLAS uses for one call.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses for one call. Call with 1 when the caller runs
    /// tasks in parallel itself, so the threads do not oversubscribe the cores.
    /// - Parameter count: threads per BLAS call, at least 1.
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The `OPENBLAS_CORETYPE` that suits this CPU when OpenBLAS fell back to a generic kernel:
    /// `SkylakeX` when the CPU has the AVX-512 subsets that kernel uses (F, CD, BW, DQ, VL),
    /// `Haswell` with AVX2 and FMA; `nil` when OpenBLAS already runs a specific kernel or the CPU
    /// has neither.
    public static var suggestedCoreType: String? {
        guard isGenericCore else { return nil }
        let flags = cpuFlags()
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy({ flags.contains(Substring($0)) }) {
            return "SkylakeX"
        }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// A warning when OpenBLAS runs a generic kernel on a CPU with AVX2 or AVX-512 (OpenBLAS
    /// 0.3.21 misdetects recent Xeons this way, costing about 3–5× in sgemm), naming the
    /// `OPENBLAS_CORETYPE` value to set; `nil` when there is nothing to warn about.
    public static var kernelWarning: String? {
        guard let suggestion = suggestedCoreType else { return nil }
        return "OpenBLAS runs its generic '\(coreName)' kernel on a CPU with \(suggestion == "SkylakeX" ? "AVX-512" : "AVX2"); "
            + "set OPENBLAS_CORETYPE=\(suggestion) for several times faster matrix multiplies"
    }

    /// The `flags` words of the first processor in `/proc/cpuinfo` (empty where there is none).
    static func cpuFlags() -> Set<Substring> {
        #if canImport(Glibc)
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            guard let line else { break }
            let text = String(cString: line)
            if text.hasPrefix("flags") {
                return Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == ":" }).dropFirst())
            }
        }
        #endif
        return []
    }
}

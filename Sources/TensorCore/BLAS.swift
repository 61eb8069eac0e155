internal import COpenBLAS

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
}

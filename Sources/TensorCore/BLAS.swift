internal import COpenBLAS

/// The OpenBLAS library behind the tensor core: loading it, which kernel it runs and how many
/// threads it uses.
///
/// OpenBLAS is opened (dlopen) by the first matrix call, not linked: a command that multiplies
/// no matrix never starts its thread pool. Before it opens, ``prepareEnvironment()`` sets
/// `OPENBLAS_NUM_THREADS=1` and, on a CPU with AVX-512 or AVX2, `OPENBLAS_CORETYPE` (Debian's
/// OpenBLAS 0.3.21 falls back to its generic "Prescott" kernel on recent Xeons, 3–5× slower);
/// values the user set are kept, and `WINNOW_OPENBLAS_AUTO=0` leaves the kernel to OpenBLAS.
/// Report `coreName` beside every throughput figure.
public enum BLAS {
    /// OpenBLAS could not be opened (not installed, or a library without the CBLAS symbols).
    public struct LoadError: Error, CustomStringConvertible {
        /// The loader's message, naming the library and how to install it.
        public let description: String
    }

    /// Sets OpenBLAS's environment before it loads (see the type's summary). Call it while the
    /// process has one thread, as `winnow`'s `main` does first; the first matrix call does it
    /// otherwise. Idempotent.
    public static func prepareEnvironment() { wblas_prepare_environment() }

    /// Opens OpenBLAS now if it is not open yet.
    /// - Throws: ``LoadError`` when it cannot be opened.
    public static func load() throws(LoadError) {
        if let e = wblas_load_error() { throw LoadError(description: String(cString: e)) }
    }

    /// The kernel OpenBLAS selected for this CPU, as `openblas_get_corename()` reports it
    /// (for example `"Prescott"`, `"Haswell"`, `"SkylakeX"`); opens OpenBLAS.
    public static var coreName: String {
        guard (try? load()) != nil, let name = wblas_corename() else { return "unavailable" }
        return String(cString: name)
    }

    /// Whether `coreName` is one of OpenBLAS's generic fallback kernels.
    public static var isGenericCore: Bool {
        ["prescott", "core2", "generic", "katmai", "coppermine", "northwood", "banias", "atom"]
            .contains(coreName.lowercased())
    }

    /// The number of threads OpenBLAS uses for one call.
    public static var threadCount: Int { Int(wblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses for one call. Call with 1 when the caller runs
    /// tasks in parallel itself, so the threads do not oversubscribe the cores.
    /// - Parameter count: threads per BLAS call, at least 1.
    public static func setThreadCount(_ count: Int) {
        wblas_set_num_threads(Int32(max(1, count)))
    }

    /// The `OPENBLAS_CORETYPE` that suits this CPU when OpenBLAS fell back to a generic kernel:
    /// `SkylakeX` when the CPU has the AVX-512 subsets that kernel uses (F, CD, BW, DQ, VL),
    /// `Haswell` with AVX2 and FMA; `nil` when OpenBLAS already runs a specific kernel or the CPU
    /// has neither.
    public static var suggestedCoreType: String? {
        guard isGenericCore else { return nil }
        return wblas_suggested_coretype().map { String(cString: $0) }  // what prepareEnvironment() sets
    }

    /// A warning when OpenBLAS runs a generic kernel on a CPU with AVX2 or AVX-512 (OpenBLAS
    /// 0.3.21 misdetects recent Xeons this way, costing about 3–5× in sgemm), naming the
    /// `OPENBLAS_CORETYPE` value to set; `nil` when there is nothing to warn about.
    public static var kernelWarning: String? {
        guard let suggestion = suggestedCoreType else { return nil }
        return "OpenBLAS runs its generic '\(coreName)' kernel on a CPU with \(suggestion == "SkylakeX" ? "AVX-512" : "AVX2"); "
            + "set OPENBLAS_CORETYPE=\(suggestion) for several times faster matrix multiplies"
    }
}

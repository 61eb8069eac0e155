#if canImport(Glibc)
import Glibc
#endif
import TensorCore

/// Makes OpenBLAS use the kernel that suits the CPU.
///
/// Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to its generic SSE3
/// "Prescott" kernel (3–5× slower sgemm). It picks the kernel in a library constructor, before
/// `main` runs, from `OPENBLAS_CORETYPE`; so when the generic kernel is running on a CPU with
/// AVX-512 or AVX2 and the user set nothing, `winnow` sets the variable and re-executes itself
/// once. `OPENBLAS_CORETYPE` set by the user is always respected; `WINNOW_OPENBLAS_AUTO=0` turns
/// this off (the warning then names the fix).
enum OpenBLASKernel {
    static func selectForThisCPU() {
        guard getenv("OPENBLAS_CORETYPE") == nil else { return }
        if let auto = getenv("WINNOW_OPENBLAS_AUTO"), String(cString: auto) == "0" { return }
        guard let core = BLAS.suggestedCoreType else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("WINNOW_OPENBLAS_AUTO", "0", 1)  // the re-executed process must not loop
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // exec failed (no /proc?): go on with the generic kernel; the warning says what to do.
        unsetenv("OPENBLAS_CORETYPE")
    }
}

import TensorCore

/// Sets OpenBLAS's environment before anything can open it.
///
/// OpenBLAS is opened by the first matrix call (``BLAS``), and reads `OPENBLAS_CORETYPE` and
/// `OPENBLAS_NUM_THREADS` when it opens. Debian's OpenBLAS 0.3.21 does not recognise recent Xeons
/// and falls back to its generic SSE3 "Prescott" kernel (3–5× slower sgemm), so on a CPU with
/// AVX-512 or AVX2 `winnow` sets `OPENBLAS_CORETYPE` (`SkylakeX` or `Haswell`), and one BLAS
/// thread per call (the parallelism is Winnow's own). This runs first in `main`, while the
/// process has one thread (`setenv` is not safe beside other threads). Values the user set are
/// kept; `WINNOW_OPENBLAS_AUTO=0` leaves the kernel to OpenBLAS (the warning then names the fix).
enum OpenBLASKernel {
    static func selectForThisCPU() {
        BLAS.prepareEnvironment()
    }
}

/* OpenBLAS, loaded when first used.
 *
 * Winnow links no BLAS library: most commands (dedup, quality rules, I/O) never multiply a
 * matrix, and OpenBLAS's library constructor starts a spinning thread pool and picks its kernel
 * from the environment before `main` runs. This module opens libopenblas.so.0 with dlopen on the
 * first call that needs it, so a command that never multiplies pays nothing, and the environment
 * (`OPENBLAS_CORETYPE`, `OPENBLAS_NUM_THREADS`) can be set in-process first
 * (`wblas_prepare_environment`). The prototypes follow CBLAS; only what the tensor core calls.
 */
#ifndef COPENBLAS_H
#define COPENBLAS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CblasRowMajor = 101, CblasColMajor = 102 } WBLASOrder;
typedef enum { CblasNoTrans = 111, CblasTrans = 112 } WBLASTranspose;

/* Before OpenBLAS loads (call once, while the process has one thread): sets
 * OPENBLAS_NUM_THREADS=1 when unset (Winnow parallelises over documents and batches and runs one
 * BLAS thread per call), and OPENBLAS_CORETYPE from the CPU's features when unset and
 * WINNOW_OPENBLAS_AUTO is not "0" (see wblas_suggested_coretype). Idempotent; the first BLAS call
 * does it itself when nothing did. */
void wblas_prepare_environment(void);

/* "SkylakeX" when the CPU (and the OS) support AVX-512 F, CD, BW, DQ and VL; "Haswell" with AVX2
 * and FMA; NULL otherwise (OpenBLAS then detects the CPU itself). */
const char *wblas_suggested_coretype(void);

/* Opens OpenBLAS if it is not open yet: WINNOW_OPENBLAS_LIBRARY (a file name or path) when set,
 * else libopenblas.so.0, else libopenblas.so. Returns NULL when it is usable, else a message naming
 * the library and the loader's error (the same message on every later call). */
const char *wblas_load_error(void);

/* Whether OpenBLAS has been opened (nothing here opens it). */
int wblas_is_loaded(void);

/* CBLAS calls; each opens OpenBLAS first if needed and aborts with the load error's message
 * when it cannot (callers that can report an error check wblas_load_error first). */
void wblas_sgemm(WBLASOrder order, WBLASTranspose transA, WBLASTranspose transB, int m, int n, int k,
                 float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
void wblas_sgemv(WBLASOrder order, WBLASTranspose trans, int m, int n, float alpha, const float *a, int lda,
                 const float *x, int incx, float beta, float *y, int incy);
const char *wblas_corename(void);
int wblas_get_num_threads(void);
void wblas_set_num_threads(int n);

#ifdef __cplusplus
}
#endif
#endif

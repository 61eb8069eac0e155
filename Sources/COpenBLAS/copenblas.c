#include "copenblas.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*sgemv_fn)(int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef char *(*corename_fn)(void);
typedef int (*get_threads_fn)(void);
typedef void (*set_threads_fn)(int);

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static pthread_once_t prepare_once = PTHREAD_ONCE_INIT;
static char load_error[768];
static int loaded;
static sgemm_fn p_sgemm;
static sgemv_fn p_sgemv;
static corename_fn p_corename;
static get_threads_fn p_get_threads;
static set_threads_fn p_set_threads;

const char *wblas_suggested_coretype(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
#endif
    return NULL;
}

static void prepare(void) {
    if (!getenv("OPENBLAS_NUM_THREADS")) setenv("OPENBLAS_NUM_THREADS", "1", 1);
    if (getenv("OPENBLAS_CORETYPE")) return;
    const char *automatic = getenv("WINNOW_OPENBLAS_AUTO");
    if (automatic && strcmp(automatic, "0") == 0) return;
    const char *core = wblas_suggested_coretype();
    if (core) setenv("OPENBLAS_CORETYPE", core, 1);
}

void wblas_prepare_environment(void) { pthread_once(&prepare_once, prepare); }

static void *symbol(void *handle, const char *library, const char *name) {
    void *p = dlsym(handle, name);
    if (!p && !load_error[0])
        snprintf(load_error, sizeof load_error, "OpenBLAS (%s) has no symbol %s: install Debian's libopenblas0 (make deps)",
                 library, name);
    return p;
}

static void load(void) {
    wblas_prepare_environment();
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    size_t count = 2;
    const char *chosen = getenv("WINNOW_OPENBLAS_LIBRARY");
    if (chosen && chosen[0]) {
        names[0] = chosen;
        count = 1;
    }
    void *handle = NULL;
    const char *library = names[0];
    char first[512] = "";
    for (size_t i = 0; i < count && !handle; i++) {
        handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (handle) {
            library = names[i];
        } else if (i == 0) {
            const char *e = dlerror();
            snprintf(first, sizeof first, "%s", e ? e : "not found");
        }
    }
    if (!handle) {
        snprintf(load_error, sizeof load_error,
                 "cannot load OpenBLAS: %s; install it with `make deps` (Debian: apt-get install libopenblas0)%s", first,
                 count == 1 ? ", or fix WINNOW_OPENBLAS_LIBRARY" : "");
        return;
    }
    p_sgemm = (sgemm_fn)symbol(handle, library, "cblas_sgemm");
    p_sgemv = (sgemv_fn)symbol(handle, library, "cblas_sgemv");
    p_corename = (corename_fn)symbol(handle, library, "openblas_get_corename");
    p_get_threads = (get_threads_fn)symbol(handle, library, "openblas_get_num_threads");
    p_set_threads = (set_threads_fn)symbol(handle, library, "openblas_set_num_threads");
    if (!load_error[0]) __atomic_store_n(&loaded, 1, __ATOMIC_RELEASE);
}

const char *wblas_load_error(void) {
    pthread_once(&load_once, load);
    return load_error[0] ? load_error : NULL;
}

int wblas_is_loaded(void) { return __atomic_load_n(&loaded, __ATOMIC_ACQUIRE); }

static void require(void) {
    if (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE)) return;
    const char *e = wblas_load_error();
    if (e) {
        fprintf(stderr, "winnow: %s\n", e);
        abort();
    }
}

void wblas_sgemm(WBLASOrder order, WBLASTranspose transA, WBLASTranspose transB, int m, int n, int k,
                 float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    require();
    p_sgemm((int)order, (int)transA, (int)transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void wblas_sgemv(WBLASOrder order, WBLASTranspose trans, int m, int n, float alpha, const float *a, int lda,
                 const float *x, int incx, float beta, float *y, int incy) {
    require();
    p_sgemv((int)order, (int)trans, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

const char *wblas_corename(void) {
    require();
    return p_corename();
}

int wblas_get_num_threads(void) {
    require();
    return p_get_threads();
}

void wblas_set_num_threads(int n) {
    require();
    p_set_threads(n);
}

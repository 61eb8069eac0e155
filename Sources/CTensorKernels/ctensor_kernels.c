#include "ctensor_kernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
#define CTK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CTK_CLONES
#endif

// Cephes' expf: x = n·ln2 + r, |r| <= ln2/2, degree-5 polynomial for e^r, 2^n through the
// exponent bits. Branch-free, so loops over it vectorise. Relative error about 2e-7.
static inline float exp_approx(float input) {
    float x = input < -87.33f ? -87.33f : (input > 88.37f ? 88.37f : input);
    float shifted = x * 1.44269504f + 12582912.0f;  // round to nearest via 1.5·2^23
    float n = shifted - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float y = 1.9875691e-4f;
    y = y * r + 1.3981999e-3f;
    y = y * r + 8.3334520e-3f;
    y = y * r + 4.1665796e-2f;
    y = y * r + 1.6666665e-1f;
    y = y * r + 5.0e-1f;
    y = y * (r * r) + r + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, 4);
    uint32_t scale_bits = (uint32_t)((bits - 0x4B400000) + 127) << 23;
    float scale;
    memcpy(&scale, &scale_bits, 4);
    return input < -87.33f ? 0.0f : y * scale;
}

float ctk_exp(float x) { return exp_approx(x); }

CTK_CLONES
void ctk_softmax_rows(float *x, long rows, long n, long stride) {
    for (long r = 0; r < rows; r++) {
        float *p = x + r * stride;
        // The maximum in 16 independent lanes (a plain running max does not vectorise: the
        // compiler keeps its order because of NaN), then across the lanes and the tail.
        float lanes[16];
        for (int k = 0; k < 16; k++) lanes[k] = -INFINITY;
        long j0 = 0;
        for (; j0 + 16 <= n; j0 += 16)
            for (int k = 0; k < 16; k++) lanes[k] = p[j0 + k] > lanes[k] ? p[j0 + k] : lanes[k];
        float m = -INFINITY;
        for (int k = 0; k < 16; k++) m = lanes[k] > m ? lanes[k] : m;
        for (; j0 < n; j0++) m = p[j0] > m ? p[j0] : m;
        if (m == -INFINITY) {
            for (long j = 0; j < n; j++) p[j] = 0.0f;
            continue;
        }
        for (long j = 0; j < n; j++) p[j] = exp_approx(p[j] - m);
        float sum = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (long j = 0; j < n; j++) sum += p[j];
        }
        float inverse = 1.0f / sum;
        for (long j = 0; j < n; j++) p[j] *= inverse;
    }
}

// erf by an odd degree-13 over even degree-8 rational in x on [-4, 4] (Eigen's and XLA's).
static inline float erf_approx(float input) {
    float x = input < -4.0f ? -4.0f : (input > 4.0f ? 4.0f : input);
    float x2 = x * x;
    float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
    p = x2 * p - 2.10102402082508e-06f;
    p = x2 * p - 5.69250639462346e-05f;
    p = x2 * p - 7.34990630326855e-04f;
    p = x2 * p - 2.95459980854025e-03f;
    p = x2 * p - 1.60960333262415e-02f;
    float q = x2 * -1.45660718464996e-05f - 2.13374055278905e-04f;
    q = x2 * q - 1.68282697438203e-03f;
    q = x2 * q - 7.37332916720468e-03f;
    q = x2 * q - 1.42647390514189e-02f;
    return x * p / q;
}

CTK_CLONES
void ctk_gelu(float *x, long count) {
    for (long i = 0; i < count; i++) {
        float v = x[i];
        x[i] = 0.5f * v * (1.0f + erf_approx(v * 0.70710677f));
    }
}

CTK_CLONES
void ctk_layer_norm(float *x, long rows, long n, const float *gamma, const float *beta, float epsilon) {
    for (long r = 0; r < rows; r++) {
        float *p = x + r * n;
        float sum = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (long j = 0; j < n; j++) sum += p[j];
        }
        float mean = sum / (float)n;
        float squares = 0.0f;
        {
#pragma clang fp reassociate(on)
            for (long j = 0; j < n; j++) {
                float d = p[j] - mean;
                squares += d * d;
            }
        }
        float inverse = 1.0f / sqrtf(squares / (float)n + epsilon);
        for (long j = 0; j < n; j++) p[j] = (p[j] - mean) * inverse * gamma[j] + beta[j];
    }
}

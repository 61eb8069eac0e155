#ifndef CTENSOR_KERNELS_H
#define CTENSOR_KERNELS_H

/// Element-wise kernels of the tensor core (softmax rows, GELU, layer norm), compiled for
/// AVX-512, AVX2 and baseline x86-64 and picked at load time for the running CPU
/// (`target_clones`), so one binary runs everywhere and uses the wide vectors where they exist.
/// Results can differ in the last bits between CPU kinds (reduction order), never between runs
/// or thread counts on one machine.

/// Softmax of the first `n` elements of `rows` rows that start `stride` floats apart, in place.
/// A row whose maximum is -inf becomes zeros.
void ctk_softmax_rows(float *x, long rows, long n, long stride);

/// Exact-form GELU, 0.5·x·(1 + erf(x/√2)), in place (erf by a rational approximation, |err| ≈ 1e-7).
void ctk_gelu(float *x, long count);

/// Layer normalisation of `rows` rows of `n` floats in place: (x − mean)/sqrt(var + eps)·gamma + beta
/// (biased variance, as PyTorch).
void ctk_layer_norm(float *x, long rows, long n, const float *gamma, const float *beta, float epsilon);

/// e^x as the softmax computes it (exposed for tests).
float ctk_exp(float x);

#endif

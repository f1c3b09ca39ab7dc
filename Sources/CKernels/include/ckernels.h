#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>
#include <stdint.h>

// CPU kernels of the inference engine. All tensors are row-major float32 unless stated otherwise;
// bf16 values are raw uint16 bits (the upper half of a float32). Every kernel gives bit-identical
// results for any thread count; results may differ in the last bits between ISA levels.
//
// Kernels may be called from any thread; those that use the thread pool run one at a time (a call
// waits for the one in progress). Environment: CK_NUM_THREADS (initial pool size), CK_SPIN_US (how
// long idle workers spin before sleeping, default 200), CK_ISA=scalar|avx2|avx512 (cap the ISA).

// ---- Conversions (convert.c) ----

/// Widens `n` bfloat16 values (raw bits) to float32.
void ck_bf16_to_f32(const uint16_t *src, float *dst, size_t n);
/// Narrows `n` float32 values to bfloat16 with round-to-nearest-even (NaN stays NaN).
void ck_f32_to_bf16(const float *src, uint16_t *dst, size_t n);
/// Widens `n` IEEE half values (raw bits) to float32.
void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n);

// ---- Threads and instruction sets (pool.c) ----

/// Sets the number of threads kernels use, the caller included; `n <= 0` means the number of CPUs this
/// process may run on. Blocks until no kernel is running. Thread-safe.
void ck_set_num_threads(int n);
/// The number of threads kernels use (the caller included).
int ck_get_num_threads(void);

/// Instruction-set levels of the kernels' code paths.
enum { CK_ISA_SCALAR = 0, CK_ISA_AVX2 = 1, CK_ISA_AVX512 = 2 };
/// The best level this CPU and OS support (capped by the environment variable CK_ISA=scalar|avx2|avx512).
int ck_isa_supported(void);
/// The level kernels called from this thread use.
int ck_isa_level(void);
/// Overrides the level for kernels called from this thread (clamped to ck_isa_supported(); a negative
/// value restores the default) and returns the level now in effect. Meant for tests and benchmarks.
int ck_set_isa_level(int level);

// ---- Linear layers (linear.c) ----

/// y[i, j] = (accumulate ? y[i, j] : 0) + Σ_k x[i, k]·w[j, k] + bias[j] for i < m, j < n, with bf16
/// weights w [n, k] (PyTorch Linear layout, rows contiguous) and f32 x (row stride ldx) and y (row
/// stride ldy). `bias` may be NULL. Made for small m (decode batches, up to ~32): w is read once for all
/// rows and widened to f32 in registers; products and sums are f32 (no rounding of x to bf16). Row i of
/// y does not depend on the other rows of x (same bits whatever the batch). y must not alias x or w.
void ck_linear_bf16(const float *x, int64_t ldx, const uint16_t *w, const float *bias, float *y,
                    int64_t ldy, int64_t m, int64_t n, int64_t k, int accumulate);
/// Same as ck_linear_bf16 with float32 weights w [n, k].
void ck_linear_f32(const float *x, int64_t ldx, const float *w, const float *bias, float *y,
                   int64_t ldy, int64_t m, int64_t n, int64_t k, int accumulate);

// ---- Elementwise and normalisation (elementwise.c) ----

/// RMSNorm as Qwen2RMSNorm in float32: y[r] = (x[r] / sqrt(mean(x[r]²) + eps)) * weight for each of
/// `rows` rows of `dim` floats. y may alias x.
void ck_rmsnorm(const float *x, const float *weight, float *y, int64_t rows, int64_t dim, float eps);
/// out[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i]. out may alias gate or up.
void ck_silu_mul(const float *gate, const float *up, float *out, int64_t n);
/// Softmax of n floats in place, max-subtracted (relative error of exp ≤ 1e-6). -inf entries give 0.
void ck_softmax_inplace(float *x, int64_t n);
/// Rotary embedding in place on x [ntok, nheads, head_dim] (head_dim even), token t at position
/// positions[t], Hugging Face `rotate_half` pairing (i, i + head_dim/2). Angles are formed as HF does in
/// float32 (inv_freq = 1 / theta^(2i/head_dim), angle = pos·inv_freq); their cos and sin are computed in
/// double and rounded once.
void ck_rope(float *x, int64_t ntok, int64_t nheads, int64_t head_dim, const int32_t *positions,
             float theta);

// ---- Attention (attention.c) ----

/// Decode attention of one query token against a KV cache, grouped-query (H a multiple of KVH; query
/// head h reads KV head h / (H / KVH)): q [H, D]; k_cache and v_cache hold T time steps, step t at
/// k_cache + t·kv_stride laid out [KVH, D] (kv_stride = KVH·D for a dense [T, KVH, D] cache; 64-byte
/// aligned rows read fastest); out [H, D] = Σ_t softmax_t(q·K[t] / √D) V[t]. T = 0 gives zeros. out must
/// not alias the inputs.
void ck_attention_decode(const float *q, const float *k_cache, const float *v_cache, int64_t kv_stride,
                         int64_t T, int64_t H, int64_t KVH, int64_t D, float *out);
/// ck_attention_decode for B sequences in one call (threaded over sequences × KV heads): sequence b uses
/// q + b·H·D, k_caches[b], v_caches[b], lengths[b] and writes out + b·H·D.
void ck_attention_decode_batch(int64_t B, const float *q, const float *const *k_caches,
                               const float *const *v_caches, int64_t kv_stride, const int64_t *lengths,
                               int64_t H, int64_t KVH, int64_t D, float *out);

// ---- Measurement (bandwidth.c) ----

/// Streams through buf[0..<n] `repeats` times with all threads (summing it) and returns the best
/// read bandwidth in GB/s (1e9 bytes/s). Use n·4 bytes well above the last-level cache.
double ck_read_bandwidth(const float *buf, size_t n, int repeats);

#endif

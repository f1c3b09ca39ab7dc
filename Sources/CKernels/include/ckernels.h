#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>
#include <stdint.h>

// CPU kernels of the inference and training engines, one source file per op family (forward and backward
// side by side). All tensors are row-major float32 unless stated otherwise; bf16 values are raw uint16 bits
// (the upper half of a float32). Every kernel gives bit-identical results for any thread count; results may
// differ in the last bits between ISA levels.
//
// Kernels may be called from any thread; those that use the thread pool run one at a time (a call
// waits for the one in progress). Environment: CK_NUM_THREADS (initial pool size), CK_SPIN_US (how
// long idle workers spin before sleeping, default 200), CK_ISA=scalar|avx2|avx512 (cap the ISA). Kernels
// with SIMD code have an AVX-512, an AVX2 and a plain C path and take the one ck_isa_level() names; the
// others are plain C that the compiler vectorises.

// ---- Conversions (convert.c) ----

/// Widens `n` bfloat16 values (raw bits) to float32.
void ck_bf16_to_f32(const uint16_t *src, float *dst, size_t n);
/// Narrows `n` float32 values to bfloat16 with round-to-nearest-even (NaN stays NaN).
void ck_f32_to_bf16(const float *src, uint16_t *dst, size_t n);
/// Widens `n` IEEE half values (raw bits) to float32.
void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n);

// ---- Memory (pool.c) ----

/// Zero-filled memory for tensors, 64-byte aligned; buffers of 4 MiB and more are aligned to 2 MiB and asked to be
/// backed by transparent huge pages (madvise), which decode streams faster than 4 KiB pages (fewer TLB misses)
/// where the kernel allows it. NULL when the memory is not there. Free with free().
void *ck_alloc(size_t bytes);

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
/// Quantizes w [n, k] to q8, row-major: q [n, kq] int8 with kq = k rounded up to a multiple of 32 (padding quants 0)
/// and scales [n, kq / 32] bf16, weight w[j, k] = q[j, k] · scales[j, k / 32]; per block of 32, scale = max|w| / 127
/// rounded up to bf16 and q = round(w / scale), so |w - q · scale| ≤ scale / 2. NaN weights become 0; an infinite one
/// saturates.
void ck_quantize_q8(const float *w, int64_t n, int64_t k, int8_t *q, uint16_t *scales);
/// The packed q8 layout the kernels read (linear_q8.c): rows in groups of 16 (padded with zero rows), per group and
/// block of 32 columns, 8 × 64 bytes (per 4-column group, the 4 quants of each of the 16 rows) and 16 bf16 scales.
/// Sizes: ck_q8_packed_quant_bytes bytes of quants and ck_q8_packed_scale_count scales.
int64_t ck_q8_packed_quant_bytes(int64_t n, int64_t k);
int64_t ck_q8_packed_scale_count(int64_t n, int64_t k);
/// Row-major q8 (ck_quantize_q8's output) → packed.
void ck_pack_q8(const int8_t *q, const uint16_t *scales, int64_t n, int64_t k, int8_t *qp, uint16_t *sp);
/// Quantizes w [n, k] straight to the packed layout (the same quants and scales as ck_quantize_q8).
void ck_quantize_q8_packed(const float *w, int64_t n, int64_t k, int8_t *qp, uint16_t *sp);
/// Rows r0 ..< r0+count of a packed q8 matrix with k columns as float32 [count, k] (exactly the weights the kernels
/// multiply).
void ck_dequantize_q8(const int8_t *qp, const uint16_t *sp, int64_t k, int64_t r0, int64_t count, float *out);
/// y (+)= x · Wᵀ (+ bias) with packed 8-bit weights (as llama.cpp's Q8_0) for small m (decode). x is rounded to 8
/// bits per row and block of 32 (dx = max|x| / 127, qx = round(x / dx)); per output, the blocks' exact integer sums
/// times dw · dx are added in order with fused multiply-adds (linear_q8.c). Every ISA path gives the same bits; a row
/// of y does not depend on the other rows, the blocking or the thread count. y must not alias x or q.
void ck_linear_q8(const float *x, int64_t ldx, const int8_t *q, const uint16_t *scales, const float *bias, float *y,
                  int64_t ldy, int64_t m, int64_t n, int64_t k, int accumulate);
/// Which ck_linear_q8 path runs on this thread: 0 plain C, 1 AVX2 (maddubs), 2 AVX-512 VNNI (vpdpbusd).
int ck_q8_path(void);
/// The q8 kernel's arithmetic ceiling on this host, GOP/s over the pool's threads: its inner integer step alone, on
/// registers only (a multiply and an add per product); 0 where only the plain C path runs.
double ck_q8_dot_rate(int repeats);

// ---- BF16 matrix products (gemm_bf16.c) ----

/// Whether ck_gemm_bf16 runs on vdpbf16ps here (the CPU has AVX512-BF16 and this thread's level is avx512); where it
/// does not, ck_gemm_bf16 computes the same products in plain C, slowly.
int ck_bf16_dot_supported(void);
/// Process-wide choice of the large matrix products' precision (`matmul_precision`): with `on`, prefill and training
/// products whose weights are bf16 (or f32 in full-parameter training) round activations to bf16 and run on
/// ck_gemm_bf16 — where ck_bf16_dot_supported(); elsewhere the setting changes nothing. Off by default (f32 sgemm).
void ck_set_bf16_matmul(int on);
/// Overrides the choice for calls made from this thread (1 on, 0 off, negative: follow the process-wide one) and
/// returns ck_bf16_matmul(). Meant for tests.
int ck_set_bf16_matmul_thread(int on);
/// Whether the bf16 products are requested and available on this thread.
int ck_bf16_matmul(void);
/// y[m, n] = (accumulate ? y : 0) + x[m, k] · W[n, k]ᵀ (+ bias[n]) with W bf16 and x rounded to bf16: the products of
/// ck_gemm_bf16 for small m (batched decode), streaming W once without packing it. On vdpbf16ps where
/// ck_bf16_dot_supported(), else in plain C. Results do not depend on the thread count.
void ck_linear_bf16_dot(const float *x, int64_t ldx, const uint16_t *w, const float *bias, float *y, int64_t ldy,
                        int64_t m, int64_t n, int64_t k, int accumulate);
/// Layouts of ck_gemm_bf16's B operand.
enum { CK_B_ROWS_N = 0, CK_B_ROWS_K = 1 };
/// C[m, n] = (accumulate ? C : 0) + A[m, k] · B with A f32 (row stride lda) rounded to bf16 (nearest even), B bf16
/// (or f32 rounded to bf16 when b_f32 is set), pair products accumulated in f32. B is W[n, k]ᵀ with W row-major of
/// stride ldb (CK_B_ROWS_N: a Linear forward x · Wᵀ) or W[k, n] (CK_B_ROWS_K: dy · W). Results do not depend on
/// the thread count. C must not alias A or B.
void ck_gemm_bf16(const float *a, int64_t lda, const void *b, int64_t ldb, int b_layout, int b_f32, float *c, int64_t ldc,
                  int64_t m, int64_t n, int64_t k, int accumulate);

// ---- RMSNorm (rmsnorm.c) ----

/// RMSNorm as Qwen2RMSNorm in float32: y[r] = (x[r] / sqrt(mean(x[r]²) + eps)) * weight for each of
/// `rows` rows of `dim` floats. y may alias x.
void ck_rmsnorm(const float *x, const float *weight, float *y, int64_t rows, int64_t dim, float eps);

// ---- SwiGLU (swiglu.c) ----

/// act[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i]; sigmoid (NULL when not wanted)
/// receives σ(gate[i]) = 1 / (1 + exp(-gate[i])), which backward reuses. act may alias gate or up.
void ck_swiglu_forward(const float *gate, const float *up, float *act, float *sigmoid, int64_t n);
/// dgate = dact · up · σ · (1 + gate·(1 − σ)); dup = dact · gate · σ (written, not added). dgate may alias
/// dact, dup may alias sigmoid.
void ck_swiglu_backward(const float *gate, const float *up, const float *sigmoid, const float *dact, float *dgate,
                        float *dup, int64_t n);

// ---- Softmax and log-softmax (softmax.c); single-threaded ----

/// Softmax of n floats in place, max-subtracted (relative error of exp ≤ 1e-6). -inf entries give 0.
void ck_softmax_inplace(float *x, int64_t n);
/// Largest of n > 0 values.
float ck_max(const float *x, int64_t n);
/// y[i] = exp(x[i] - shift); returns the sum of y. x and y may alias.
float ck_exp_sum(const float *x, float shift, float *y, int64_t n);
/// Online log-sum-exp over one vocabulary block of logits [rows, cols] (row stride cols), rows of the running
/// max/sum. On return logits[r, j] = exp(logit - run_max[r]) (the updated running max), and rescale[r] (nullable) is
/// the factor the previous running sum was multiplied by (0 on the first block). target_logit[r] receives the logit
/// of targets[r] - v0 when it lies in the block.
void ck_logsoftmax_block_forward(float *logits, int64_t rows, int64_t cols, int64_t v0, const int32_t *targets,
                                 float *run_max, float *run_sum, float *target_logit, float *rescale);
/// Gradient of log-probs through one vocabulary block (the block's logits on entry):
/// logits[r, j] = dlp[r] * ([v0 + j == targets[r]] - exp(logits[r, j] - lse[r])).
void ck_logsoftmax_block_backward(float *logits, int64_t rows, int64_t cols, int64_t v0, const int32_t *targets,
                                  const float *lse, const float *dlp);

// ---- Rotary embedding (rope.c) ----

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

/// Training attention's causal softmax over a block of score rows p [rows, ld] (scores on entry, probabilities
/// on return): row r keeps its first first_visible + r values (capped at cols) and is 0 after them;
/// lse[r * lse_stride] (nullable) receives the log-sum-exp of the visible scores. Single-threaded.
void ck_causal_softmax(float *p, int64_t rows, int64_t cols, int64_t ld, int64_t first_visible, float *lse,
                       int64_t lse_stride);
/// Recomputes those probabilities from the kept log-sum-exps: p[r, j] = exp(p[r, j] - lse[r * lse_stride]) where
/// visible, 0 after.
void ck_causal_exp(float *p, int64_t rows, int64_t cols, int64_t ld, int64_t first_visible, const float *lse,
                   int64_t lse_stride);
/// Softmax backward through the causal rows: ds[r, j] = p[r, j] * (ds[r, j] - delta[r]) where visible, 0 after.
void ck_causal_softmax_backward(const float *p, float *ds, int64_t rows, int64_t cols, int64_t ld,
                                int64_t first_visible, const float *delta);

// ---- Measurement (bandwidth.c) ----

/// Streams through buf[0..<n] `repeats` times with all threads (summing it) and returns the best
/// read bandwidth in GB/s (1e9 bytes/s). Use n·4 bytes well above the last-level cache.
double ck_read_bandwidth(const float *buf, size_t n, int repeats);

#endif

// Linear layers for small batches on AVX512-BF16: y[m, n] = x[m, k] · W[n, k]ᵀ (+ bias) with W bf16 and x rounded to
// bf16 (nearest even), pair products accumulated in f32 by vdpbf16ps — the same products as ck_gemm_bf16, for the
// shapes of batched decode, where ck_gemm_bf16's packing of W would cost more than the products.
//
// As in linear.c, each thread streams its own contiguous slice of W's rows once and dots every row with all m rows
// of x (x, rounded once per call, stays in L1/L2). A 512-bit load holds 32 bf16 weights, i.e. 16 pairs, and
// vdpbf16ps multiplies them with the matching 16 pairs of an x row, so neither operand is widened or permuted: one
// instruction per 32 weights and x row, where the f32 kernel needs two FMAs and two widening operations. One
// accumulator per output element runs over k in the same order whatever the blocking or the thread count, and
// ck_reduce16_512 sums its lanes by a fixed tree, so results do not depend on either.
#include "ck_internal.h"
#include "ck_simd.h"
#include <string.h>

#define ROW_ALIGN 4
#define PF_ROWS 8
#define CHUNKS_PER_THREAD 4
#define PAR_MIN_BYTES (48 * 1024)

typedef struct {
    const uint16_t *x; // x rounded to bf16, [m, kp], zero-padded
    int64_t kp;        // k rounded up to a multiple of 32
    const uint16_t *w;
    const float *bias;
    float *y;
    int64_t ldy, m, n, k;
    int accumulate;
    int simd;          // vdpbf16ps (decided by the caller's thread, like ck_gemm_bf16)
} dot_ctx;

static inline void dot_store(const dot_ctx *c, int64_t i, int64_t j, float dot) {
    float *dst = c->y + i * c->ldy + j;
    float v = c->accumulate ? *dst + dot : dot;
    if (c->bias) v += c->bias[j];
    *dst = v;
}

#if CK_X86
#define CK_AVX512BF16_DOT __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma")))

// Weight rows j0 ..< j0+RN against x rows i0 ..< i0+RM (RN·RM ≤ 16 accumulators).
CK_AVX512BF16_DOT CK_INLINE void dot_block(const dot_ctx *c, int64_t i0, int64_t j0, const int RM, const int RN) {
    const int64_t k = c->k, kp = c->kp;
    const uint16_t *w = c->w + j0 * k;
    const uint16_t *x = c->x + i0 * kp;
    __m512 acc[16];
    for (int s = 0; s < 16; s++) acc[s] = _mm512_setzero_ps();
    int64_t kk = 0;
    for (; kk + 32 <= k; kk += 32) {
        __m512i wv[4];
        if (RN == 1) _mm_prefetch((const char *)(w + kk) + CK_PF_BYTES, _MM_HINT_T0);
        else for (int r = 0; r < RN; r++) _mm_prefetch((const char *)(w + (r + PF_ROWS) * k + kk), _MM_HINT_T0);
        for (int r = 0; r < RN; r++) wv[r] = _mm512_loadu_si512((const void *)(w + r * k + kk));
        for (int i = 0; i < RM; i++) {
            __m512bh xv = (__m512bh)_mm512_loadu_si512((const void *)(x + i * kp + kk));
            for (int r = 0; r < RN; r++) acc[r * RM + i] = _mm512_dpbf16_ps(acc[r * RM + i], (__m512bh)wv[r], xv);
        }
    }
    if (kk < k) { // tail: masked weight loads; x is zero-padded to kp
        __mmask32 mk = (__mmask32)((1ull << (k - kk)) - 1);
        __m512i wv[4];
        for (int r = 0; r < RN; r++) wv[r] = _mm512_maskz_loadu_epi16(mk, (const void *)(w + r * k + kk));
        for (int i = 0; i < RM; i++) {
            __m512bh xv = (__m512bh)_mm512_loadu_si512((const void *)(x + i * kp + kk));
            for (int r = 0; r < RN; r++) acc[r * RM + i] = _mm512_dpbf16_ps(acc[r * RM + i], (__m512bh)wv[r], xv);
        }
    }
    float s[16] __attribute__((aligned(64)));
    _mm512_store_ps(s, ck_reduce16_512(acc));
    for (int r = 0; r < RN; r++)
        for (int i = 0; i < RM; i++) dot_store(c, i0 + i, j0 + r, s[r * RM + i]);
}

#define DOT_RM(RN)                                                        \
    switch (rm) {                                                         \
    case 1: dot_block(c, i0, j, 1, RN); break;                            \
    case 2: dot_block(c, i0, j, 2, RN); break;                            \
    case 3: dot_block(c, i0, j, 3, RN); break;                            \
    case 4: dot_block(c, i0, j, 4, RN); break;                            \
    case 5: dot_block(c, i0, j, 5, RN < 4 ? RN : 2); break;               \
    case 6: dot_block(c, i0, j, 6, RN < 4 ? RN : 2); break;               \
    case 7: dot_block(c, i0, j, 7, RN < 4 ? RN : 2); break;               \
    default: dot_block(c, i0, j, 8, RN < 4 ? RN : 2); break;              \
    }

CK_AVX512BF16_DOT static void dot_rows(const dot_ctx *c, int64_t j0, int64_t j1) {
    const int64_t m = c->m;
    // Blocks of 4 weight rows × up to 4 x rows: 8 loads feed 16 vdpbf16ps (2 × 8 would need 10). For m > 4 the
    // block's rows are read again, from L1/L2, for each further group of 4 x rows.
    // With short rows, batch 1 and batches of 5–8 take one weight row at a time (8 x rows of 896 bf16 values stay in
    // L1): a single linear stream (see linear.c's CK_PF_BYTES). Batch 8 on rows of 896 streamed 21–31 GB/s this way
    // against 16–21 with blocks of 4 rows × 4 x rows. Long rows keep the 4 × 4 blocks, where each x load serves four
    // weight rows.
    const int single = c->k <= CK_SINGLE_STREAM_K && (m == 1 || m > 4);
    const int64_t mch = single && m > 4 ? 8 : 4;
    const int rn = single ? 1 : 4;
    int64_t j = j0;
    for (; j + rn <= j1; j += rn)
        for (int64_t i0 = 0; i0 < m; i0 += mch) {
            int64_t rm = m - i0 < mch ? m - i0 : mch;
            if (rn == 4) { DOT_RM(4) } else { DOT_RM(1) }
        }
    for (; j < j1; j++)
        for (int64_t i0 = 0; i0 < m; i0 += mch) {
            int64_t rm = m - i0 < mch ? m - i0 : mch;
            DOT_RM(1)
        }
}
#endif

// Without vdpbf16ps (the serving path only calls ck_linear_bf16_dot where ck_bf16_matmul() holds; this keeps the
// function correct on every host and ISA level): the same products in plain C.
static void dot_rows_scalar(const dot_ctx *c, int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; j++) {
        const uint16_t *w = c->w + j * c->k;
        for (int64_t i = 0; i < c->m; i++) {
            const uint16_t *x = c->x + i * c->kp;
            float s = 0;
            for (int64_t kk = 0; kk < c->k; kk++) s += ck_bf16_value(w[kk]) * ck_bf16_value(x[kk]);
            dot_store(c, i, j, s);
        }
    }
}

static void dot_task(void *p, int chunk, int nchunks) {
    const dot_ctx *c = p;
    int64_t j0, j1;
    ck_split(c->n, ROW_ALIGN, chunk, nchunks, &j0, &j1);
    if (j0 >= j1) return;
#if CK_X86
    if (c->simd) { dot_rows(c, j0, j1); return; }
#endif
    dot_rows_scalar(c, j0, j1);
}

void ck_linear_bf16_dot(const float *x, int64_t ldx, const uint16_t *w, const float *bias, float *y, int64_t ldy,
                        int64_t m, int64_t n, int64_t k, int accumulate) {
    if (m <= 0 || n <= 0) return;
    const int64_t kp = (k + 31) / 32 * 32;
    uint16_t *xb = ck_scratch(0, (size_t)(m * (kp > 0 ? kp : 32)) * 2);
    for (int64_t i = 0; i < m; i++) {
        const float *src = x + i * ldx;
        uint16_t *dst = xb + i * kp;
        for (int64_t kk = 0; kk < k; kk++) dst[kk] = ck_bf16_round(src[kk]);
        for (int64_t kk = k > 0 ? k : 0; kk < kp; kk++) dst[kk] = 0;
    }
    dot_ctx c = {xb, kp, w, bias, y, ldy, m, n, k > 0 ? k : 0, accumulate, ck_bf16_dot_supported()};
    int nchunks = 1;
    if (2 * n * k >= PAR_MIN_BYTES) nchunks = ck_chunks((n + ROW_ALIGN - 1) / ROW_ALIGN, CHUNKS_PER_THREAD);
    ck_parallel(dot_task, &c, nchunks);
}

// Matrix products on AVX512-BF16 (vdpbf16ps): C[m, n] (+)= A[m, k] · B, with A rounded to bf16 and B bf16 (or f32
// rounded to bf16), products of bf16 pairs accumulated in f32. B is W[n, k] (B = Wᵀ: a Linear forward, x · Wᵀ) or
// W[k, n] (B = W: a Linear backward, dy · W).
//
// A is rounded to bf16 once per call, row by row (pairs (2p, 2p+1) adjacent, as vdpbf16ps takes them). Each task
// packs one panel of NR = 32 columns of B for all of k as [k/2][32][2] bf16 — one 64-byte line per k-pair — and runs
// every block of MR rows of A over it: per k-pair, two B vectors, MR broadcasts of an A pair, 2·MR vdpbf16ps into
// MR × 32 f32 accumulators kept in registers (A is padded with zero rows to a multiple of MR). A column panel per task keeps results independent of the thread count.
#include "ck_internal.h"
#include <string.h>

#define NR 32
#define MR 12

int ck_bf16_dot_supported(void) {
#if CK_X86
    static int s = -1;
    int v = __atomic_load_n(&s, __ATOMIC_RELAXED);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx512bf16") ? 1 : 0;
        __atomic_store_n(&s, v, __ATOMIC_RELAXED);
    }
    return v && ck_isa_level() == CK_ISA_AVX512;
#else
    return 0;
#endif
}

static int bf16_matmul_requested = 0;
static _Thread_local int bf16_matmul_thread = -1;

void ck_set_bf16_matmul(int on) { __atomic_store_n(&bf16_matmul_requested, on ? 1 : 0, __ATOMIC_RELAXED); }

int ck_set_bf16_matmul_thread(int on) {
    bf16_matmul_thread = on < 0 ? -1 : on ? 1 : 0;
    return ck_bf16_matmul();
}

int ck_bf16_matmul(void) {
    int on = bf16_matmul_thread >= 0 ? bf16_matmul_thread : __atomic_load_n(&bf16_matmul_requested, __ATOMIC_RELAXED);
    return on && ck_bf16_dot_supported();
}

typedef struct {
    const uint16_t *a; // A as bf16, [m, kp]
    int64_t kp;        // k rounded up to even
    const void *b;
    int64_t ldb;
    int b_layout;      // CK_B_ROWS_N (B = W[n, k]ᵀ) or CK_B_ROWS_K (B = W[k, n])
    int b_f32;
    float *c;
    int64_t ldc, m, n, k;
    int accumulate;
    int simd;
} gemm_ctx;

static inline uint16_t b_at(const gemm_ctx *g, int64_t kk, int64_t j) {
    // B'[kk, j]: element kk of the reduction for output column j.
    int64_t off = g->b_layout == CK_B_ROWS_N ? j * g->ldb + kk : kk * g->ldb + j;
    return g->b_f32 ? ck_bf16_round(((const float *)g->b)[off]) : ((const uint16_t *)g->b)[off];
}

// Panel of columns j0 ..< j0+NR (zero past n and past k) as [kp/2][NR][2].
static void pack_b(const gemm_ctx *g, int64_t j0, uint16_t *dst) {
    const int64_t pairs = g->kp / 2, cols = g->n - j0 < NR ? g->n - j0 : NR;
    if (g->b_layout == CK_B_ROWS_N && !g->b_f32) {
        const uint16_t *w = g->b;
        memset(dst, 0, (size_t)(pairs * NR * 2) * 2);
        for (int64_t j = 0; j < cols; j++) {
            const uint16_t *row = w + (j0 + j) * g->ldb;
            for (int64_t p = 0; p < pairs; p++) {
                dst[(p * NR + j) * 2] = row[2 * p];
                dst[(p * NR + j) * 2 + 1] = 2 * p + 1 < g->k ? row[2 * p + 1] : 0;
            }
        }
        return;
    }
    for (int64_t p = 0; p < pairs; p++)
        for (int64_t j = 0; j < NR; j++) {
            int live = j < cols;
            dst[(p * NR + j) * 2] = live ? b_at(g, 2 * p, j0 + j) : 0;
            dst[(p * NR + j) * 2 + 1] = live && 2 * p + 1 < g->k ? b_at(g, 2 * p + 1, j0 + j) : 0;
        }
}

static inline void store_c(const gemm_ctx *g, int64_t i, int64_t j, float v) {
    float *dst = g->c + i * g->ldc + j;
    *dst = g->accumulate ? *dst + v : v;
}

#if CK_X86
#define CK_AVX512BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,avx2,fma")))

// One MR × NR tile over all of k, with its 24 accumulators in named registers. A has rows up to a multiple of MR
// (the padding rows are zero); only the tile's live rows and columns are stored.
CK_AVX512BF16 static void micro(const gemm_ctx *g, const uint16_t *bp, int64_t i0, int64_t j0) {
    const int64_t pairs = g->kp / 2, kp = g->kp;
    const uint16_t *a = g->a + i0 * kp;
#define ACC(r) __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();
    ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5) ACC(6) ACC(7) ACC(8) ACC(9) ACC(10) ACC(11)
#undef ACC
    for (int64_t p = 0; p < pairs; p++) {
        const __m512bh b0 = (__m512bh)_mm512_load_si512((const void *)(bp + p * NR * 2));
        const __m512bh b1 = (__m512bh)_mm512_load_si512((const void *)(bp + p * NR * 2 + 32));
        const uint16_t *ap = a + 2 * p;
#define ROW(r)                                                                                   \
        {                                                                                        \
            int32_t pair;                                                                        \
            memcpy(&pair, ap + (r) * kp, 4);                                                     \
            const __m512bh av = (__m512bh)_mm512_set1_epi32(pair);                               \
            c##r##0 = _mm512_dpbf16_ps(c##r##0, av, b0);                                         \
            c##r##1 = _mm512_dpbf16_ps(c##r##1, av, b1);                                         \
        }
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
#undef ROW
    }
    __m512 out[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51},
                         {c60, c61}, {c70, c71}, {c80, c81}, {c90, c91}, {c100, c101}, {c110, c111}};
    const int64_t cols = g->n - j0 < NR ? g->n - j0 : NR, rows = g->m - i0 < MR ? g->m - i0 : MR;
    for (int64_t r = 0; r < rows; r++) {
        float *dst = g->c + (i0 + r) * g->ldc + j0;
        if (cols == NR) {
            __m512 lo = out[r][0], hi = out[r][1];
            if (g->accumulate) { lo = _mm512_add_ps(lo, _mm512_loadu_ps(dst)); hi = _mm512_add_ps(hi, _mm512_loadu_ps(dst + 16)); }
            _mm512_storeu_ps(dst, lo);
            _mm512_storeu_ps(dst + 16, hi);
        } else {
            float tmp[NR] __attribute__((aligned(64)));
            _mm512_store_ps(tmp, out[r][0]);
            _mm512_store_ps(tmp + 16, out[r][1]);
            for (int64_t j = 0; j < cols; j++) store_c(g, i0 + r, j0 + j, tmp[j]);
        }
    }
}

CK_AVX512BF16 static void panel_simd(const gemm_ctx *g, const uint16_t *bp, int64_t j0) {
    for (int64_t i0 = 0; i0 < g->m; i0 += MR) micro(g, bp, i0, j0);
}
#endif

// Same products in plain C (hosts without AVX512-BF16; tests): each output sums the pair products
// a[2p]·b[2p] + a[2p+1]·b[2p+1] in order, as one vdpbf16ps lane does.
static void panel_scalar(const gemm_ctx *g, const uint16_t *bp, int64_t j0) {
    const int64_t pairs = g->kp / 2, cols = g->n - j0 < NR ? g->n - j0 : NR;
    for (int64_t i = 0; i < g->m; i++) {
        const uint16_t *a = g->a + i * g->kp;
        for (int64_t j = 0; j < cols; j++) {
            float s = 0;
            for (int64_t p = 0; p < pairs; p++) {
                const uint16_t *b = bp + (p * NR + j) * 2;
                s += ck_bf16_value(a[2 * p]) * ck_bf16_value(b[0]) + ck_bf16_value(a[2 * p + 1]) * ck_bf16_value(b[1]);
            }
            store_c(g, i, j0 + j, s);
        }
    }
}

static void gemm_task(void *p, int chunk, int nchunks) {
    const gemm_ctx *g = p;
    const int64_t panels = (g->n + NR - 1) / NR;
    int64_t q0, q1;
    ck_split(panels, 1, chunk, nchunks, &q0, &q1);
    if (q0 >= q1) return;
    uint16_t *bp = ck_scratch(1, (size_t)(g->kp / 2 * NR * 2) * 2);
    for (int64_t q = q0; q < q1; q++) {
        pack_b(g, q * NR, bp);
#if CK_X86
        if (g->simd) { panel_simd(g, bp, q * NR); continue; }
#endif
        panel_scalar(g, bp, q * NR);
    }
}

typedef struct {
    const float *a;
    int64_t lda, m, mp, k, kp;
    uint16_t *out;
} round_ctx;

static void round_task(void *p, int chunk, int nchunks) {
    const round_ctx *r = p;
    int64_t i0, i1;
    ck_split(r->mp, 1, chunk, nchunks, &i0, &i1);
    for (int64_t i = i0; i < i1; i++) {
        uint16_t *dst = r->out + i * r->kp;
        if (i >= r->m) { memset(dst, 0, (size_t)r->kp * 2); continue; } // padding rows of the last tile
        const float *src = r->a + i * r->lda;
        for (int64_t kk = 0; kk < r->k; kk++) dst[kk] = ck_bf16_round(src[kk]);
        for (int64_t kk = r->k; kk < r->kp; kk++) dst[kk] = 0;
    }
}

void ck_gemm_bf16(const float *a, int64_t lda, const void *b, int64_t ldb, int b_layout, int b_f32, float *c, int64_t ldc,
                  int64_t m, int64_t n, int64_t k, int accumulate) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate)
            for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    const int64_t kp = (k + 1) / 2 * 2;
    const int64_t mp = (m + MR - 1) / MR * MR;
    uint16_t *abf = ck_scratch(0, (size_t)(mp * kp) * 2);
    round_ctx rc = {a, lda, m, mp, k, kp, abf};
    ck_parallel(round_task, &rc, ck_chunks_for_elems(m * k, m));
    gemm_ctx g = {abf, kp, b, ldb, b_layout, b_f32, c, ldc, m, n, k, accumulate, ck_bf16_dot_supported()};
    const int64_t panels = (n + NR - 1) / NR;
    ck_parallel(gemm_task, &g, m * n * k >= (1 << 18) ? ck_chunks(panels, 2) : 1);
}

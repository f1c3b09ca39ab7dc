// Linear layers for small batches: y[m, n] = x[m, k] · W[n, k]ᵀ (+ bias), W in bf16 or f32 (q8 weights: linear_q8.c).
//
// Decode is bound by reading W, so each thread streams its own contiguous slice of W's rows once and
// dots every row with all m rows of x (x stays in L1/L2). A block of RN weight rows × RM x rows keeps
// RN·RM vector accumulators; one accumulator per output element runs over k in the same order whatever
// the blocking or the thread count, and a fixed reduction tree sums its lanes, so results do not
// depend on either.
//
// bf16 → f32 widening without shuffles: a 32-bit lane holding bf16 pair (w[2j], w[2j+1]) gives
// w[2j] as lane << 16 and w[2j+1] as lane & 0xffff0000. x is permuted once per call to match: in each
// block of 32 (AVX-512) or 16 (AVX2) elements the even elements come first, then the odd ones.
//
// The q8 format (like llama.cpp's Q8_0), quantized and dequantized here: per block of 32 weights of a row, 32 int8
// values and one scale stored as bf16, w = q · scale; rows are padded with zero quants to kq = k rounded up to 32.
// q · scale is exact in f32 (7 + 8 significant bits), so prefill's dequantized weights are the decode kernel's.
#include "ck_internal.h"
#include "ck_simd.h"
#include <string.h>

typedef struct {
    const float *x;       // x, or the permuted copy for the bf16 SIMD paths
    int64_t ldx;          // row stride of x (kp for the permuted copy)
    const void *w;
    const float *bias;
    float *y;
    int64_t ldy, m, n, k;
    int accumulate;
    int isa;
    int wt;                 // weight type: WT_F32, WT_BF16
} lin_ctx;

enum { WT_F32 = 0, WT_BF16 = 1 };

// Minimum weight bytes for which splitting the rows across threads pays for the dispatch.
#define PAR_MIN_BYTES (48 * 1024)
// Rows of W per thread-split unit (a multiple of every RN below).
#define ROW_ALIGN 4
// Weight rows between a row being read and the row prefetched at the same offset (so every RN keeps
// the same amount of memory in flight).
#define PF_ROWS 4
// Chunks per thread: more lets a thread that runs ahead take over work of one that was descheduled.
#define CHUNKS_PER_THREAD 4
// Batch 1 with short rows (k ≤ CK_SINGLE_STREAM_K) takes one weight row at a time (RN = 1): consecutive rows are
// contiguous, so a thread's share of W is one linear stream, prefetched CK_PF_BYTES ahead of the loads. Four
// interleaved row streams (RN = 4) with row-ahead prefetches streamed 17–21 GB/s on rows of 896 bf16 values where this
// streams 25–35 (2 threads, AVX-512 host). Long rows (down_proj's 4864) keep RN = 4: there x no longer stays in L1 and
// each of its loads serves four weight rows, which measured faster.
// Software prefetch for the block's weight rows at offset kk: CK_PF_BYTES ahead on the single stream of RN = 1, else
// the same offset PF_ROWS rows ahead.
#define PREFETCH_ROWS(stride)                                                                        \
    do {                                                                                             \
        if (RN == 1) _mm_prefetch((const char *)(w + kk) + CK_PF_BYTES, _MM_HINT_T0);               \
        else                                                                                         \
            for (int r = 0; r < RN; r++)                                                             \
                _mm_prefetch((const char *)(w + (r + PF_ROWS) * (stride) + kk), _MM_HINT_T0);        \
    } while (0)

static inline void store_out(const lin_ctx *c, int64_t i, int64_t j, float dot) {
    float *dst = c->y + i * c->ldy + j;
    float v = c->accumulate ? *dst + dot : dot;
    if (c->bias) v += c->bias[j];
    *dst = v;
}

// ---------------------------------------------------------------- AVX-512

#if CK_X86

// One block: weight rows j0..<j0+RN against x rows i0..<i0+RM over k in [ka, kb). WT selects the
// weight type. A block that does not reach k saves its accumulators in `state`; the next k range
// resumes from there, so the lanes accumulate in exactly the order of an unsplit pass.
CK_AVX512 CK_INLINE void block512(const lin_ctx *c, int64_t i0, int64_t j0, int64_t ka, int64_t kb,
                                  __m512 *state, const int RM, const int RN, const int WT) {
    const int64_t k = c->k, ldx = c->ldx;
    const float *x = c->x + i0 * ldx;
    __m512 acc[16];
    for (int s = 0; s < 16; s++) acc[s] = _mm512_setzero_ps();
    if (ka > 0)
        for (int s = 0; s < RN * RM; s++) acc[s] = state[s];
    if (WT == WT_BF16) {
        const uint16_t *w = (const uint16_t *)c->w + j0 * k;
        const __m512i hi_mask = _mm512_set1_epi32((int)0xffff0000u);
        int64_t kk = ka;
        for (; kk + 32 <= kb; kk += 32) {
            __m512 we[4], wo[4];
            // The hardware prefetcher ramps up too slowly on these short row streams: fetch the same
            // offset PF_ROWS rows ahead (the next block or two; prefetches never fault past the end).
            PREFETCH_ROWS(k);
            for (int r = 0; r < RN; r++) {
                __m512i v = _mm512_loadu_si512((const void *)(w + r * k + kk));
                we[r] = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
                wo[r] = _mm512_castsi512_ps(_mm512_and_si512(v, hi_mask));
            }
            for (int i = 0; i < RM; i++) {
                __m512 xe = _mm512_load_ps(x + i * ldx + kk), xo = _mm512_load_ps(x + i * ldx + kk + 16);
                for (int r = 0; r < RN; r++) {
                    acc[r * RM + i] = _mm512_fmadd_ps(we[r], xe, acc[r * RM + i]);
                    acc[r * RM + i] = _mm512_fmadd_ps(wo[r], xo, acc[r * RM + i]);
                }
            }
        }
        if (kk < kb) { // tail of k: masked weight load; the permuted x is zero-padded to a multiple of 32
            __mmask32 mk = (__mmask32)((1ull << (kb - kk)) - 1);
            __m512 we[4], wo[4];
            for (int r = 0; r < RN; r++) {
                __m512i v = _mm512_maskz_loadu_epi16(mk, (const void *)(w + r * k + kk));
                we[r] = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
                wo[r] = _mm512_castsi512_ps(_mm512_and_si512(v, hi_mask));
            }
            for (int i = 0; i < RM; i++) {
                __m512 xe = _mm512_load_ps(x + i * ldx + kk), xo = _mm512_load_ps(x + i * ldx + kk + 16);
                for (int r = 0; r < RN; r++) {
                    acc[r * RM + i] = _mm512_fmadd_ps(we[r], xe, acc[r * RM + i]);
                    acc[r * RM + i] = _mm512_fmadd_ps(wo[r], xo, acc[r * RM + i]);
                }
            }
        }
    } else {
        const float *w = (const float *)c->w + j0 * k;
        int64_t kk = ka;
        for (; kk + 16 <= kb; kk += 16) {
            __m512 wv[4];
            PREFETCH_ROWS(k);
            for (int r = 0; r < RN; r++) wv[r] = _mm512_loadu_ps(w + r * k + kk);
            for (int i = 0; i < RM; i++) {
                __m512 xv = _mm512_loadu_ps(x + i * ldx + kk);
                for (int r = 0; r < RN; r++) acc[r * RM + i] = _mm512_fmadd_ps(wv[r], xv, acc[r * RM + i]);
            }
        }
        if (kk < kb) {
            __mmask16 mk = (__mmask16)((1u << (kb - kk)) - 1);
            __m512 wv[4];
            for (int r = 0; r < RN; r++) wv[r] = _mm512_maskz_loadu_ps(mk, w + r * k + kk);
            for (int i = 0; i < RM; i++) {
                __m512 xv = _mm512_maskz_loadu_ps(mk, x + i * ldx + kk);
                for (int r = 0; r < RN; r++) acc[r * RM + i] = _mm512_fmadd_ps(wv[r], xv, acc[r * RM + i]);
            }
        }
    }
    if (kb < k) {
        for (int s = 0; s < RN * RM; s++) state[s] = acc[s];
        return;
    }
    float s[16] __attribute__((aligned(64)));
    _mm512_store_ps(s, ck_reduce16_512(acc));
    for (int r = 0; r < RN; r++)
        for (int i = 0; i < RM; i++) store_out(c, i0 + i, j0 + r, s[r * RM + i]);
}

#define BLOCK512_RM(RN)                                                                 \
    switch (rm) {                                                                       \
    case 1: block512(c, i0, j, ka, kb, st, 1, RN, WT); break;                          \
    case 2: block512(c, i0, j, ka, kb, st, 2, RN, WT); break;                          \
    case 3: block512(c, i0, j, ka, kb, st, 3, RN, WT); break;                          \
    case 4: block512(c, i0, j, ka, kb, st, 4, RN, WT); break;                          \
    case 5: block512(c, i0, j, ka, kb, st, 5, RN < 4 ? RN : 2, WT); break;             \
    case 6: block512(c, i0, j, ka, kb, st, 6, RN < 4 ? RN : 2, WT); break;             \
    case 7: block512(c, i0, j, ka, kb, st, 7, RN < 4 ? RN : 2, WT); break;             \
    default: block512(c, i0, j, ka, kb, st, 8, RN < 4 ? RN : 2, WT); break;            \
    }

// x bytes of one row chunk that should stay in L1 across weight-row blocks.
#define X_L1_BYTES (32 * 1024)
// Weight rows per group when k is split (bounds the saved accumulator state).
#define GROUP_ROWS 64

CK_AVX512 CK_INLINE void rows512(const lin_ctx *c, int64_t j0, int64_t j1, const int WT) {
    // Blocks of RN weight rows × up to `mch` x rows (RN·RM ≤ 16 accumulators): 4 × 1..4 or 2 × 5..8.
    const int64_t m = c->m, k = c->k;
    const int64_t mch = m > 4 ? 8 : 4;
    const int rn = mch == 8 ? 2 : m == 1 && k <= CK_SINGLE_STREAM_K ? 1 : 4;
    const int64_t nmc = (m + mch - 1) / mch;
    // Weight rows outermost: a block of RN rows stays in L1 while every x row chunk passes over it.
    // Every x row passes over each block of weight rows, so when x (m rows) would not stay in L1,
    // split k into ranges and sweep a group of weight rows per range, saving the accumulators between
    // ranges. (m = 1 streams x from L2 alongside the weights; splitting would not pay.)
    int64_t kstep = k, group = j1 - j0;
    if (m > 1 && m * k * 4 > X_L1_BYTES) {
        kstep = X_L1_BYTES / (m * 4) / 32 * 32;
        if (kstep < 128) kstep = 128;
        group = GROUP_ROWS;
    }
    __m512 *state = NULL;
    if (kstep < k) state = ck_scratch(1, (size_t)((GROUP_ROWS + 4) * nmc * 16) * sizeof(__m512));
    for (int64_t g0 = j0; g0 < j1; g0 += group) {
        int64_t g1 = g0 + group < j1 ? g0 + group : j1;
        for (int64_t ka = 0; ka < k; ka += kstep) {
            int64_t kb = ka + kstep < k ? ka + kstep : k;
            __m512 *st = state;
            int64_t j = g0;
            for (; j + rn <= g1; j += rn) {
                for (int64_t i0 = 0; i0 < m; i0 += mch, st += state ? 16 : 0) {
                    int64_t rm = m - i0 < mch ? m - i0 : mch;
                    if (rn == 4) { BLOCK512_RM(4) } else if (rn == 2) { BLOCK512_RM(2) } else { BLOCK512_RM(1) }
                }
            }
            for (; j < g1; j++) {
                for (int64_t i0 = 0; i0 < m; i0 += mch, st += state ? 16 : 0) {
                    int64_t rm = m - i0 < mch ? m - i0 : mch;
                    BLOCK512_RM(1)
                }
            }
        }
    }
}

CK_AVX512 static void rows512_bf16(const lin_ctx *c, int64_t j0, int64_t j1) { rows512(c, j0, j1, WT_BF16); }
CK_AVX512 static void rows512_f32(const lin_ctx *c, int64_t j0, int64_t j1) { rows512(c, j0, j1, WT_F32); }

// x [m, k] → xp [m, kp]: per block of 32, the 16 even elements then the 16 odd ones; zero-padded.
CK_AVX512 static void permute_x512(const float *x, int64_t ldx, int64_t m, int64_t k, float *xp, int64_t kp) {
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (int64_t i = 0; i < m; i++) {
        const float *src = x + i * ldx;
        float *dst = xp + i * kp;
        for (int64_t kk = 0; kk < kp; kk += 32) {
            __m512 a, b;
            if (kk + 32 <= k) {
                a = _mm512_loadu_ps(src + kk);
                b = _mm512_loadu_ps(src + kk + 16);
            } else {
                int64_t r = k - kk;
                a = _mm512_maskz_loadu_ps((__mmask16)(r >= 16 ? 0xffff : (1u << r) - 1), src + kk);
                b = _mm512_maskz_loadu_ps((__mmask16)(r <= 16 ? 0 : (1u << (r - 16)) - 1), src + kk + 16);
            }
            _mm512_store_ps(dst + kk, _mm512_permutex2var_ps(a, ev, b));
            _mm512_store_ps(dst + kk + 16, _mm512_permutex2var_ps(a, od, b));
        }
    }
}

// ---------------------------------------------------------------- AVX2

CK_AVX2 CK_INLINE void block256(const lin_ctx *c, int64_t i0, int64_t j0, const int RM, const int RN,
                                const int WT) {
    const int64_t k = c->k, ldx = c->ldx;
    const float *x = c->x + i0 * ldx;
    __m256 acc[8];
    for (int s = 0; s < 8; s++) acc[s] = _mm256_setzero_ps();
    if (WT == WT_BF16) {
        const uint16_t *w = (const uint16_t *)c->w + j0 * k;
        const __m256i hi_mask = _mm256_set1_epi32((int)0xffff0000u);
        int64_t kk = 0;
        for (; kk < k; kk += 16) {
            __m256 we[4], wo[4];
            uint16_t tail[4][16] __attribute__((aligned(32)));
            if ((kk & 31) == 0) // one prefetch per 64-byte line (see block512)
                PREFETCH_ROWS(k);
            for (int r = 0; r < RN; r++) {
                const uint16_t *src = w + r * k + kk;
                if (kk + 16 > k) { // tail: copy into a zero-padded block (permuted x is zero-padded too)
                    memset(tail[r], 0, sizeof tail[r]);
                    memcpy(tail[r], src, (size_t)(k - kk) * 2);
                    src = tail[r];
                }
                __m256i v = _mm256_loadu_si256((const __m256i *)src);
                we[r] = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
                wo[r] = _mm256_castsi256_ps(_mm256_and_si256(v, hi_mask));
            }
            for (int i = 0; i < RM; i++) {
                __m256 xe = _mm256_load_ps(x + i * ldx + kk), xo = _mm256_load_ps(x + i * ldx + kk + 8);
                for (int r = 0; r < RN; r++) {
                    acc[r * RM + i] = _mm256_fmadd_ps(we[r], xe, acc[r * RM + i]);
                    acc[r * RM + i] = _mm256_fmadd_ps(wo[r], xo, acc[r * RM + i]);
                }
            }
        }
    } else {
        const float *w = (const float *)c->w + j0 * k;
        int64_t kk = 0;
        for (; kk + 8 <= k; kk += 8) {
            __m256 wv[4];
            if ((kk & 15) == 0)
                PREFETCH_ROWS(k);
            for (int r = 0; r < RN; r++) wv[r] = _mm256_loadu_ps(w + r * k + kk);
            for (int i = 0; i < RM; i++) {
                __m256 xv = _mm256_loadu_ps(x + i * ldx + kk);
                for (int r = 0; r < RN; r++) acc[r * RM + i] = _mm256_fmadd_ps(wv[r], xv, acc[r * RM + i]);
            }
        }
        if (kk < k) {
            __m256i mk = ck_mask256(k - kk);
            __m256 wv[4];
            for (int r = 0; r < RN; r++) wv[r] = _mm256_maskload_ps(w + r * k + kk, mk);
            for (int i = 0; i < RM; i++) {
                __m256 xv = _mm256_maskload_ps(x + i * ldx + kk, mk);
                for (int r = 0; r < RN; r++) acc[r * RM + i] = _mm256_fmadd_ps(wv[r], xv, acc[r * RM + i]);
            }
        }
    }
    float s[8] __attribute__((aligned(32)));
    _mm256_store_ps(s, ck_reduce8_256(acc));
    for (int r = 0; r < RN; r++)
        for (int i = 0; i < RM; i++) store_out(c, i0 + i, j0 + r, s[r * RM + i]);
}

CK_AVX2 CK_INLINE void rows256(const lin_ctx *c, int64_t j0, int64_t j1, const int WT) {
    // RM ≤ 4; RN = 2 (when m == 1: 4, or 1 for one linear stream, see CK_PF_BYTES), so RN·RM ≤ 8 accumulators and
    // everything fits in 16 registers.
    int rn = c->m > 1 ? 2 : c->k <= CK_SINGLE_STREAM_K ? 1 : 4;
    int64_t j = j0;
    while (j < j1) {
        if (j1 - j >= rn) {
            for (int64_t i0 = 0; i0 < c->m; i0 += 4) {
                int64_t rm = c->m - i0 < 4 ? c->m - i0 : 4;
                if (rn == 1) block256(c, i0, j, 1, 1, WT);
                else if (rn == 4) block256(c, i0, j, 1, 4, WT);
                else switch (rm) {
                    case 1: block256(c, i0, j, 1, 2, WT); break;
                    case 2: block256(c, i0, j, 2, 2, WT); break;
                    case 3: block256(c, i0, j, 3, 2, WT); break;
                    default: block256(c, i0, j, 4, 2, WT); break;
                    }
            }
            j += rn;
        } else {
            for (int64_t i0 = 0; i0 < c->m; i0 += 4) {
                int64_t rm = c->m - i0 < 4 ? c->m - i0 : 4;
                switch (rm) {
                case 1: block256(c, i0, j, 1, 1, WT); break;
                case 2: block256(c, i0, j, 2, 1, WT); break;
                case 3: block256(c, i0, j, 3, 1, WT); break;
                default: block256(c, i0, j, 4, 1, WT); break;
                }
            }
            j += 1;
        }
    }
}

CK_AVX2 static void rows256_bf16(const lin_ctx *c, int64_t j0, int64_t j1) { rows256(c, j0, j1, WT_BF16); }
CK_AVX2 static void rows256_f32(const lin_ctx *c, int64_t j0, int64_t j1) { rows256(c, j0, j1, WT_F32); }

#endif // CK_X86

// x [m, k] → xp [m, kp]: per block of `blk`, the even elements then the odd ones; zero-padded.
static void permute_x_scalar(const float *x, int64_t ldx, int64_t m, int64_t k, float *xp, int64_t kp, int blk) {
    int half = blk / 2;
    for (int64_t i = 0; i < m; i++) {
        const float *src = x + i * ldx;
        float *dst = xp + i * kp;
        for (int64_t b = 0; b < kp; b += blk)
            for (int j = 0; j < half; j++) {
                int64_t e = b + 2 * j, o = e + 1;
                dst[b + j] = e < k ? src[e] : 0.0f;
                dst[b + half + j] = o < k ? src[o] : 0.0f;
            }
    }
}

// ---------------------------------------------------------------- portable C

static void rows_scalar(const lin_ctx *c, int64_t j0, int64_t j1, int wt) {
    const int64_t k = c->k;
    for (int64_t j = j0; j < j1; j++) {
        for (int64_t i = 0; i < c->m; i++) {
            const float *x = c->x + i * c->ldx;
            float s[8] = {0};
            int64_t kk = 0;
            if (wt == WT_BF16) {
                const uint16_t *w = (const uint16_t *)c->w + j * k;
                for (; kk + 8 <= k; kk += 8)
                    for (int l = 0; l < 8; l++) s[l] += ck_bf16_value(w[kk + l]) * x[kk + l];
                for (; kk < k; kk++) s[kk & 7] += ck_bf16_value(w[kk]) * x[kk];
            } else {
                const float *w = (const float *)c->w + j * k;
                for (; kk + 8 <= k; kk += 8)
                    for (int l = 0; l < 8; l++) s[l] += w[kk + l] * x[kk + l];
                for (; kk < k; kk++) s[kk & 7] += w[kk] * x[kk];
            }
            store_out(c, i, j, ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])));
        }
    }
}

// ---------------------------------------------------------------- driver

static void lin_task(void *p, int chunk, int nchunks) {
    const lin_ctx *c = p;
    int64_t j0, j1;
    ck_split(c->n, ROW_ALIGN, chunk, nchunks, &j0, &j1);
    if (j0 >= j1) return;
    switch (c->isa) {
#if CK_X86
    case CK_ISA_AVX512:
        c->wt == WT_BF16 ? rows512_bf16(c, j0, j1) : rows512_f32(c, j0, j1);
        break;
    case CK_ISA_AVX2:
        c->wt == WT_BF16 ? rows256_bf16(c, j0, j1) : rows256_f32(c, j0, j1);
        break;
#endif
    default: rows_scalar(c, j0, j1, c->wt); break;
    }
}

static void run_linear(lin_ctx *c, int64_t wbytes) {
    if (c->m <= 0 || c->n <= 0) return;
    int nchunks = 1;
    if (wbytes * c->n * c->k >= PAR_MIN_BYTES || c->m * c->n * c->k >= 4 * PAR_MIN_BYTES)
        nchunks = ck_chunks((c->n + ROW_ALIGN - 1) / ROW_ALIGN, CHUNKS_PER_THREAD);
    ck_parallel(lin_task, c, nchunks);
}

void ck_linear_bf16(const float *x, int64_t ldx, const uint16_t *w, const float *bias, float *y,
                    int64_t ldy, int64_t m, int64_t n, int64_t k, int accumulate) {
    lin_ctx c = {x, ldx, w, bias, y, ldy, m, n, k, accumulate, ck_isa_level(), WT_BF16};
    if (k <= 0) { // empty dot products: y = (accumulate ? y : 0) + bias
        c.isa = CK_ISA_SCALAR;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) store_out(&c, i, j, 0.0f);
        return;
    }
#if CK_X86
    int isa = c.isa;
    if (isa != CK_ISA_SCALAR) {
        int blk = isa == CK_ISA_AVX512 ? 32 : 16;
        int64_t kp = (k + blk - 1) / blk * blk;
        float *xp = ck_scratch(0, (size_t)(m * kp) * sizeof(float));
        if (isa == CK_ISA_AVX512) permute_x512(x, ldx, m, k, xp, kp);
        else permute_x_scalar(x, ldx, m, k, xp, kp, blk);
        c.x = xp;
        c.ldx = kp;
    }
#else
    (void)permute_x_scalar;
#endif
    run_linear(&c, 2);
}

void ck_linear_f32(const float *x, int64_t ldx, const float *w, const float *bias, float *y,
                   int64_t ldy, int64_t m, int64_t n, int64_t k, int accumulate) {
    lin_ctx c = {x, ldx, w, bias, y, ldy, m, n, k, accumulate, ck_isa_level(), WT_F32};
    if (k <= 0) {
        c.isa = CK_ISA_SCALAR;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) store_out(&c, i, j, 0.0f);
        return;
    }
    run_linear(&c, 4);
}

// Per row and block of 32: scale = max|w| / 127 rounded up to bf16 (so no |w / scale| exceeds 127), q = round(w / scale).
void ck_quantize_q8(const float *w, int64_t n, int64_t k, int8_t *q, uint16_t *scales) {
    const int64_t kq = (k + 31) / 32 * 32, nb = kq / 32;
    for (int64_t j = 0; j < n; j++) {
        const float *src = w + j * k;
        for (int64_t b = 0; b < nb; b++) {
            int64_t k0 = b * 32, k1 = k0 + 32 < k ? k0 + 32 : k;
            float amax = 0.0f;
            for (int64_t kk = k0; kk < k1; kk++) {
                float a = src[kk] < 0 ? -src[kk] : src[kk];
                if (a > amax) amax = a; // NaN never compares greater: it quantizes to 0 below
            }
            float s = amax / 127.0f;
            uint32_t bits;
            memcpy(&bits, &s, 4);
            if (bits & 0xffffu) bits = (bits & 0xffff0000u) + 0x10000u; // round the magnitude up to bf16
            uint16_t sb = (uint16_t)(bits >> 16);
            if ((sb & 0x7f80u) == 0x7f80u) sb = 0x7f7fu; // an infinite block: the largest finite scale
            scales[j * nb + b] = sb;
            float sv = ck_bf16_value(sb);
            for (int64_t kk = k0; kk < k0 + 32; kk++) {
                float v = kk < k1 && sv > 0 ? src[kk] / sv : 0.0f;
                if (!(v == v)) v = 0.0f;
                long r = v >= 0 ? (long)(v + 0.5f) : -(long)(-v + 0.5f);
                if (r > 127) r = 127;
                if (r < -127) r = -127;
                q[j * kq + kk] = (int8_t)r;
            }
        }
    }
}

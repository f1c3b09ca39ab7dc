// 8-bit weights times 8-bit activations for small batches (decode): y[m, n] = x[m, k] · W[n, k]ᵀ (+ bias), W in q8
// (linear.c's layout: per block of 32 weights of a row, 32 int8 quants and one bf16 scale), as llama.cpp multiplies
// Q8_0 weights.
//
// Each row of x is quantized once per call, per block of 32, the same way: dx = max|x| / 127 (f32), qx = round(x / dx)
// (to nearest even, in -127…127). The product of a weight block and an x block is then an exact integer sum scaled by
// dw · dx. Per output element the kernel keeps 8 f32 lanes: lane l of block b adds the integer sum of the four
// products at offsets 4l…4l+3, times dw · dx, with one fused multiply-add; after the last block the 8 lanes are summed
// in a fixed tree. Integer sums are exact and every path (AVX2 maddubs/madd, AVX-512 VNNI dpbusd, plain C) forms the
// same lanes in the same order, so all of them give the same bits, whatever the blocking, the batch or the threads.
//
// Why 8-bit activations: widening every weight to f32 (the former kernel) costs eight instructions per 16 weights and
// bound batch-1 decode on AVX2 hosts by that work rather than by memory; integer products take two to four per 32.
// The price is the rounding of x to 8 bits per block (relative error ≤ 1/254 of the block's largest value), documented
// with the q8 figures. Prefill (more rows than Linear.smallBatchRows) keeps f32 activations (dequantize + sgemm).
//
// A non-finite x (NaN or ±inf) makes its block's dx NaN, so every output it touches is NaN, as in f32.
#include "ck_internal.h"
#include <math.h>
#include <time.h>
#include <string.h>

// Minimum weight bytes for which splitting the rows across threads pays for the dispatch (as linear.c).
#define Q8_PAR_MIN_BYTES (48 * 1024)
#define Q8_ROW_ALIGN 4
#define Q8_CHUNKS_PER_THREAD 4
// Weight rows ahead of the current ones at which the multi-row blocks prefetch.
#define Q8_PF_ROWS 4

typedef struct {
    const int8_t *qx;  // [m, kq] quantized x
    const float *dx;   // [m, nb] x block scales
    const int8_t *q;   // [n, kq] weight quants
    const uint16_t *scales; // [n, nb] bf16 weight block scales
    const float *bias;
    float *y;
    int64_t ldy, m, n, kq;
    int accumulate;
    int path;          // Q8_SCALAR, Q8_AVX2, Q8_VNNI
} q8_ctx;

enum { Q8_SCALAR = 0, Q8_AVX2 = 1, Q8_VNNI = 2 };

// The fixed reduction of the 8 lanes (every path).
CK_INLINE float q8_sum8(const float *a) { return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7])); }

static inline void q8_store(const q8_ctx *c, int64_t i, int64_t j, float dot) {
    float *dst = c->y + i * c->ldy + j;
    float v = c->accumulate ? *dst + dot : dot;
    if (c->bias) v += c->bias[j];
    *dst = v;
}

// x row → 8-bit blocks. Shared by every path (m·k work against the n·k of the product).
static void q8_quantize_x(const float *x, int64_t k, int64_t kq, int8_t *qx, float *dx) {
    for (int64_t b = 0; b < kq / 32; b++) {
        const int64_t k0 = b * 32, k1 = k0 + 32 < k ? k0 + 32 : k;
        float amax = 0.0f;
        int finite = 1;
        for (int64_t kk = k0; kk < k1; kk++) {
            float a = fabsf(x[kk]);
            if (!(a <= 3.402823466e38f)) finite = 0; // NaN or inf
            else if (a > amax) amax = a;
        }
        if (!finite) {
            dx[b] = NAN;
            memset(qx + k0, 0, 32);
            continue;
        }
        dx[b] = amax / 127.0f;
        const float id = amax > 0 ? 127.0f / amax : 0.0f;
        for (int64_t kk = k0; kk < k0 + 32; kk++) {
            float v = kk < k1 ? x[kk] * id : 0.0f;
            long r = lrintf(v); // nearest even under the default rounding mode
            if (r > 127) r = 127;
            if (r < -127) r = -127;
            qx[kk] = (int8_t)r;
        }
    }
}

// ---------------------------------------------------------------- portable C

static void q8_rows_scalar(const q8_ctx *c, int64_t j0, int64_t j1) {
    const int64_t kq = c->kq, nb = kq / 32;
    for (int64_t j = j0; j < j1; j++) {
        const int8_t *w = c->q + j * kq;
        for (int64_t i = 0; i < c->m; i++) {
            const int8_t *xq = c->qx + i * kq;
            float acc[8] = {0};
            for (int64_t b = 0; b < nb; b++) {
                const float d = ck_bf16_value(c->scales[j * nb + b]) * c->dx[i * nb + b];
                for (int l = 0; l < 8; l++) {
                    int32_t s = 0;
                    for (int t = 0; t < 4; t++) s += (int32_t)w[b * 32 + 4 * l + t] * (int32_t)xq[b * 32 + 4 * l + t];
                    acc[l] = fmaf((float)s, d, acc[l]);
                }
            }
            q8_store(c, i, j, q8_sum8(acc));
        }
    }
}

// ---------------------------------------------------------------- x86

#if CK_X86

#define CK_AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma")))

// One block of RN weight rows × RM x rows over all of k. VNNI selects vpdpbusd; else maddubs + madd (AVX2).
// Both give lane l = Σ_{t<4} |w|·sign(x, w) over bytes 4l+t, i.e. Σ w·x exactly (|products| ≤ 127², no saturation).
#define Q8_BLOCK_BODY(DOT)                                                                                      \
    const int64_t kq = c->kq, nb = kq / 32;                                                                     \
    const int8_t *w = c->q + j0 * kq;                                                                           \
    const uint16_t *sc = c->scales + j0 * nb;                                                                   \
    __m256 acc[RN * RM];                                                                                        \
    for (int s = 0; s < RN * RM; s++) acc[s] = _mm256_setzero_ps();                                             \
    for (int64_t b = 0, kk = 0; b < nb; b++, kk += 32) {                                                        \
        if (RN == 1) {                                                                                          \
            if ((kk & 63) == 0) _mm_prefetch((const char *)(w + kk) + CK_PF_BYTES, _MM_HINT_T0);                \
        } else if ((kk & 63) == 0) {                                                                            \
            for (int r = 0; r < RN; r++) _mm_prefetch((const char *)(w + (r + Q8_PF_ROWS) * kq + kk), _MM_HINT_T0); \
        }                                                                                                       \
        __m256i aw[RN], wv[RN];                                                                                 \
        __m256 dw[RN];                                                                                          \
        for (int r = 0; r < RN; r++) {                                                                          \
            wv[r] = _mm256_loadu_si256((const __m256i *)(w + r * kq + kk));                                     \
            aw[r] = _mm256_abs_epi8(wv[r]);                                                                     \
            dw[r] = _mm256_set1_ps(ck_bf16_value(sc[r * nb + b]));                                              \
        }                                                                                                       \
        for (int i = 0; i < RM; i++) {                                                                          \
            const __m256i xv = _mm256_loadu_si256((const __m256i *)(c->qx + (i0 + i) * kq + kk));               \
            const __m256 dxv = _mm256_set1_ps(c->dx[(i0 + i) * nb + b]);                                        \
            for (int r = 0; r < RN; r++) {                                                                      \
                __m256i s32 = DOT(aw[r], _mm256_sign_epi8(xv, wv[r]));                                          \
                acc[r * RM + i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s32), _mm256_mul_ps(dw[r], dxv), acc[r * RM + i]); \
            }                                                                                                   \
        }                                                                                                       \
    }                                                                                                           \
    for (int r = 0; r < RN; r++)                                                                                \
        for (int i = 0; i < RM; i++) {                                                                          \
            float l8[8] __attribute__((aligned(32)));                                                           \
            _mm256_store_ps(l8, acc[r * RM + i]);                                                               \
            q8_store(c, i0 + i, j0 + r, q8_sum8(l8));                                                           \
        }

CK_AVX2 CK_INLINE __m256i q8_dot_avx2(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}
CK_AVX512VNNI CK_INLINE __m256i q8_dot_vnni(__m256i u, __m256i s) {
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
}

CK_AVX2 CK_INLINE void q8_block_avx2(const q8_ctx *c, int64_t i0, int64_t j0, const int RM, const int RN) {
    Q8_BLOCK_BODY(q8_dot_avx2)
}
CK_AVX512VNNI CK_INLINE void q8_block_vnni(const q8_ctx *c, int64_t i0, int64_t j0, const int RM, const int RN) {
    Q8_BLOCK_BODY(q8_dot_vnni)
}

// Rows j0..<j1: batch 1 with rows of up to CK_SINGLE_STREAM_K values takes one weight row at a time (each thread's
// share of W is one linear stream, as linear.c); longer rows take 4 rows per x load; batches take 2 weight rows ×
// up to 4 x rows (8 accumulators, so everything stays in 16 registers).
#define Q8_ROWS(NAME, BLOCK, ATTR)                                                                              \
    ATTR static void NAME(const q8_ctx *c, int64_t j0, int64_t j1) {                                            \
        const int rn = c->m > 1 ? 2 : c->kq <= CK_SINGLE_STREAM_K ? 1 : 4;                                      \
        int64_t j = j0;                                                                                         \
        for (; j + rn <= j1; j += rn)                                                                           \
            for (int64_t i0 = 0; i0 < c->m; i0 += 4) {                                                          \
                const int64_t rm = c->m - i0 < 4 ? c->m - i0 : 4;                                               \
                if (rn == 1) BLOCK(c, i0, j, 1, 1);                                                             \
                else if (rn == 4) BLOCK(c, i0, j, 1, 4);                                                        \
                else switch (rm) {                                                                              \
                    case 1: BLOCK(c, i0, j, 1, 2); break;                                                       \
                    case 2: BLOCK(c, i0, j, 2, 2); break;                                                       \
                    case 3: BLOCK(c, i0, j, 3, 2); break;                                                       \
                    default: BLOCK(c, i0, j, 4, 2); break;                                                      \
                    }                                                                                           \
            }                                                                                                   \
        for (; j < j1; j++)                                                                                     \
            for (int64_t i0 = 0; i0 < c->m; i0 += 4) {                                                          \
                switch (c->m - i0 < 4 ? c->m - i0 : 4) {                                                        \
                case 1: BLOCK(c, i0, j, 1, 1); break;                                                           \
                case 2: BLOCK(c, i0, j, 2, 1); break;                                                           \
                case 3: BLOCK(c, i0, j, 3, 1); break;                                                           \
                default: BLOCK(c, i0, j, 4, 1); break;                                                          \
                }                                                                                               \
            }                                                                                                   \
    }

Q8_ROWS(q8_rows_avx2, q8_block_avx2, CK_AVX2)
Q8_ROWS(q8_rows_vnni, q8_block_vnni, CK_AVX512VNNI)

static int q8_vnni_supported(void) {
    static int s = -1;
    int v = __atomic_load_n(&s, __ATOMIC_RELAXED);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx512vnni") ? 1 : 0;
        __atomic_store_n(&s, v, __ATOMIC_RELAXED);
    }
    return v;
}

#endif // CK_X86

// ---------------------------------------------------------------- driver

static void q8_task(void *p, int chunk, int nchunks) {
    const q8_ctx *c = p;
    int64_t j0, j1;
    ck_split(c->n, Q8_ROW_ALIGN, chunk, nchunks, &j0, &j1);
    if (j0 >= j1) return;
    switch (c->path) {
#if CK_X86
    case Q8_VNNI: q8_rows_vnni(c, j0, j1); break;
    case Q8_AVX2: q8_rows_avx2(c, j0, j1); break;
#endif
    default: q8_rows_scalar(c, j0, j1); break;
    }
}

int ck_q8_path(void) {
#if CK_X86
    const int isa = ck_isa_level();
    if (isa == CK_ISA_AVX512 && q8_vnni_supported()) return Q8_VNNI;
    if (isa >= CK_ISA_AVX2) return Q8_AVX2;
#endif
    return Q8_SCALAR;
}

void ck_linear_q8(const float *x, int64_t ldx, const int8_t *q, const uint16_t *scales, const float *bias, float *y,
                  int64_t ldy, int64_t m, int64_t n, int64_t k, int accumulate) {
    if (m <= 0 || n <= 0) return;
    q8_ctx c = {NULL, NULL, q, scales, bias, y, ldy, m, n, 0, accumulate, ck_q8_path()};
    if (k <= 0) { // empty dot products: y = (accumulate ? y : 0) + bias
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) q8_store(&c, i, j, 0.0f);
        return;
    }
    const int64_t kq = (k + 31) / 32 * 32, nb = kq / 32;
    // One scratch slot for both: the quants, then the scales at a 64-byte aligned offset.
    const size_t qbytes = ((size_t)(m * kq) + 63) & ~(size_t)63;
    char *buf = ck_scratch(0, qbytes + (size_t)(m * nb) * sizeof(float));
    int8_t *qx = (int8_t *)buf;
    float *dx = (float *)(buf + qbytes);
    for (int64_t i = 0; i < m; i++) q8_quantize_x(x + i * ldx, k, kq, qx + i * kq, dx + i * nb);
    c.qx = qx;
    c.dx = dx;
    c.kq = kq;
    int nchunks = 1;
    if (n * kq >= Q8_PAR_MIN_BYTES || m * n * k >= 4 * Q8_PAR_MIN_BYTES)
        nchunks = ck_chunks((n + Q8_ROW_ALIGN - 1) / Q8_ROW_ALIGN, Q8_CHUNKS_PER_THREAD);
    ck_parallel(q8_task, &c, nchunks);
}

// ---------------------------------------------------------------- roof

// The q8 kernel's arithmetic ceiling: every pool thread runs, on registers only, the kernel's per weight-row × x-row
// work for a block of 32 (sign, integer dot, convert, fused scale and add) over 6 independent chains, so nothing but
// the instruction throughput limits it. Reported as GOP/s, one multiply and one add per weight and activation pair
// (64 per block), the unit of a decode step's FLOPs.
#define Q8_RATE_CHAINS 6

typedef struct {
    int64_t iters;
    int path;
    float sums[256];
} q8_rate_ctx;

#if CK_X86
#define Q8_RATE_BODY(DOT)                                                                                       \
    const __m256i w = _mm256_set1_epi32(0x01fe03fd + seed), aw = _mm256_abs_epi8(w), one = _mm256_set1_epi8(1); \
    const __m256 d = _mm256_set1_ps(1e-6f);                                                                     \
    __m256i x[Q8_RATE_CHAINS];                                                                                  \
    __m256 acc[Q8_RATE_CHAINS];                                                                                 \
    for (int a = 0; a < Q8_RATE_CHAINS; a++) {                                                                  \
        acc[a] = _mm256_setzero_ps();                                                                           \
        x[a] = _mm256_set1_epi32(0x7f81027e - seed - 977 * a);                                                  \
    }                                                                                                           \
    for (int64_t it = 0; it < iters; it++)                                                                      \
        for (int a = 0; a < Q8_RATE_CHAINS; a++) {                                                              \
            __m256i s32 = DOT(aw, _mm256_sign_epi8(x[a], w));                                                   \
            acc[a] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s32), d, acc[a]);                                       \
            x[a] = _mm256_add_epi8(x[a], one);                                                                  \
        }                                                                                                       \
    __m256 t = acc[0];                                                                                          \
    for (int a = 1; a < Q8_RATE_CHAINS; a++) t = _mm256_add_ps(t, acc[a]);                                      \
    float l8[8] __attribute__((aligned(32)));                                                                   \
    _mm256_store_ps(l8, t);                                                                                     \
    return q8_sum8(l8);

CK_AVX2 static float q8_rate_avx2(int64_t iters, int seed) { Q8_RATE_BODY(q8_dot_avx2) }
CK_AVX512VNNI static float q8_rate_vnni(int64_t iters, int seed) { Q8_RATE_BODY(q8_dot_vnni) }
#endif

static void q8_rate_task(void *p, int chunk, int nchunks) {
    (void)nchunks;
    q8_rate_ctx *c = p;
    float s = 0;
    switch (c->path) {
#if CK_X86
    case Q8_VNNI: s = q8_rate_vnni(c->iters, chunk); break;
    case Q8_AVX2: s = q8_rate_avx2(c->iters, chunk); break;
#endif
    default: break;
    }
    if (chunk < 256) c->sums[chunk] = s;
}

double ck_q8_dot_rate(int repeats) {
    q8_rate_ctx c = {.iters = 1 << 20, .path = ck_q8_path()};
    if (c.path == Q8_SCALAR) return 0; // the plain C fallback is not a roof
    const int threads = ck_get_num_threads() < 256 ? ck_get_num_threads() : 256;
    double best = 0;
    for (int r = 0; r < (repeats > 0 ? repeats : 1); r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        ck_parallel(q8_rate_task, &c, threads);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
        double gops = (double)threads * (double)c.iters * Q8_RATE_CHAINS * 64 / s * 1e-9;
        if (gops > best) best = gops;
    }
    volatile float sink = c.sums[0];
    (void)sink;
    return best;
}

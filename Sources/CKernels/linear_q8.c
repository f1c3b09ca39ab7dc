// 8-bit weights times 8-bit activations for small batches (decode): y[m, n] = x[m, k] · W[n, k]ᵀ (+ bias), W in q8
// (per block of 32 weights of a row, 32 int8 quants and one bf16 scale; linear.c quantizes), as llama.cpp multiplies
// Q8_0 weights.
//
// Packed layout. The kernels read W packed in groups of 16 rows: for group G, block b (32 columns) and each of its
// eight 4-byte column groups g, 64 bytes holding the 4 quants of every one of the 16 rows; the group's scales are
// [b][16] bf16. One 512-bit load then feeds one vpdpbusd for 16 rows (an 8-row half for one AVX2 maddubs), so the
// per-block work that does not multiply — converting, scaling, adding — is shared by 16 (8) rows instead of repeated
// per row. Rows past n are zero. ck_quantize_q8_packed writes this layout; ck_dequantize_q8 reads it back.
//
// Each row of x is quantized once per call, per block of 32: dx = max|x| / 127 (f32), qx = round(x / dx) (to nearest
// even, in -127…127). Per output element: for every block, the exact integer sum s = Σ qw · qx of its 32 products, then
// acc = fma((float)s, dw · dx, acc) over the blocks in order. Integer sums are exact and every path (AVX-512 VNNI
// vpdpbusd, AVX2 maddubs/madd, plain C) forms the same sums and the same fused adds in the same order, so all of them
// give the same bits, whatever the blocking, the batch or the threads.
//
// Why 8-bit activations: widening every weight to f32 (the kernel before) cost eight instructions per 16 weights and
// bound batch-1 decode on AVX2 hosts by that work rather than by memory. The price is the rounding of x to 8 bits per
// block (at most half a step, dx / 2, per activation), documented with the q8 figures. Linear.forward sends decode
// (up to Linear.smallBatchRows rows) here everywhere, and prefill too where the VNNI path runs; elsewhere prefill keeps
// f32 activations (dequantize + sgemm).
//
// A non-finite x (NaN or ±inf) makes its block's dx NaN, so every output it touches is NaN, as in f32.
#include "ck_internal.h"
#include <math.h>
#include <string.h>
#include <time.h>

#define QG 16                 // rows per packed group
#define QG_BLOCK_BYTES 512    // one block of 32 columns of a group: 8 × 16 rows × 4 bytes
// Minimum weight bytes for which splitting the groups across threads pays for the dispatch (as linear.c).
#define Q8_PAR_MIN_BYTES (48 * 1024)
#define Q8_CHUNKS_PER_THREAD 4
// How far ahead of the block being read the kernels prefetch (two blocks of a group).
#define Q8_PF_BYTES 1024

typedef struct {
    const int8_t *qx;  // [m, kq] quantized x
    const uint8_t *qxu; // [m, kq] qx + 128 (the VNNI path's unsigned operand), or NULL
    const float *dx;   // [m, nb] x block scales
    const int8_t *q;   // packed weight quants
    const uint16_t *scales; // packed bf16 scales
    const float *bias;
    float *y;
    int64_t ldy, m, n, kq;
    int accumulate;
    int path;          // Q8_SCALAR, Q8_AVX2, Q8_VNNI
} q8_ctx;

enum { Q8_SCALAR = 0, Q8_AVX2 = 1, Q8_VNNI = 2 };

int64_t ck_q8_packed_quant_bytes(int64_t n, int64_t k) { return (n + QG - 1) / QG * QG * ((k + 31) / 32 * 32); }
int64_t ck_q8_packed_scale_count(int64_t n, int64_t k) { return (n + QG - 1) / QG * QG * ((k + 31) / 32); }

CK_INLINE int64_t q8p_offset(int64_t r, int64_t kk, int64_t nb) {
    return ((((r / QG) * nb + kk / 32) * 8 + (kk % 32) / 4) * QG + r % QG) * 4 + kk % 4;
}
CK_INLINE int64_t q8p_scale(int64_t r, int64_t b, int64_t nb) { return ((r / QG) * nb + b) * QG + r % QG; }

void ck_pack_q8(const int8_t *q, const uint16_t *scales, int64_t n, int64_t k, int8_t *qp, uint16_t *sp) {
    const int64_t kq = (k + 31) / 32 * 32, nb = kq / 32, np = (n + QG - 1) / QG * QG;
    for (int64_t r = 0; r < np; r++) {
        for (int64_t kk = 0; kk < kq; kk++) qp[q8p_offset(r, kk, nb)] = r < n ? q[r * kq + kk] : 0;
        for (int64_t b = 0; b < nb; b++) sp[q8p_scale(r, b, nb)] = r < n ? scales[r * nb + b] : 0;
    }
}

void ck_quantize_q8_packed(const float *w, int64_t n, int64_t k, int8_t *qp, uint16_t *sp) {
    const int64_t kq = (k + 31) / 32 * 32, nb = kq / 32, np = (n + QG - 1) / QG * QG;
    int8_t *q = ck_scratch(1, (size_t)(QG * kq) + (size_t)(QG * nb) * sizeof(uint16_t));
    uint16_t *s = (uint16_t *)(q + QG * kq);
    for (int64_t r0 = 0; r0 < np; r0 += QG) {
        const int64_t rows = n - r0 < QG ? (n - r0 > 0 ? n - r0 : 0) : QG;
        memset(q, 0, (size_t)(QG * kq));
        memset(s, 0, (size_t)(QG * nb) * sizeof(uint16_t));
        if (rows > 0) ck_quantize_q8(w + r0 * k, rows, k, q, s);
        for (int64_t r = 0; r < QG; r++) {
            for (int64_t kk = 0; kk < kq; kk++) qp[q8p_offset(r0 + r, kk, nb)] = q[r * kq + kk];
            for (int64_t b = 0; b < nb; b++) sp[q8p_scale(r0 + r, b, nb)] = s[r * nb + b];
        }
    }
}

typedef struct {
    const int8_t *qp;
    const uint16_t *sp;
    int64_t k, r0, count;
    float *out;
} q8_deq_ctx;

// Per row: its 32 quants of a block are 8 words of 4 bytes, 64 bytes apart; copied together, then widened and scaled
// in one loop the compiler vectorises.
static void q8_deq_task(void *p, int chunk, int nchunks) {
    const q8_deq_ctx *c = p;
    const int64_t k = c->k, nb = (k + 31) / 32;
    int64_t a, z;
    ck_split(c->count, 1, chunk, nchunks, &a, &z);
    for (int64_t r = c->r0 + a; r < c->r0 + z; r++) {
        const int8_t *row = c->qp + (r / QG) * nb * QG_BLOCK_BYTES + (r % QG) * 4;
        const uint16_t *sc = c->sp + (r / QG) * nb * QG + r % QG;
        float *dst = c->out + (r - c->r0) * k;
        for (int64_t b = 0; b < nb; b++) {
            int8_t v[32];
            for (int g = 0; g < 8; g++) memcpy(v + 4 * g, row + b * QG_BLOCK_BYTES + g * 64, 4);
            const float s = ck_bf16_value(sc[b * QG]);
            if (b * 32 + 32 <= k) {
                for (int t = 0; t < 32; t++) dst[b * 32 + t] = (float)v[t] * s;
            } else {
                for (int64_t t = 0; t < k - b * 32; t++) dst[b * 32 + t] = (float)v[t] * s;
            }
        }
    }
}

void ck_dequantize_q8(const int8_t *qp, const uint16_t *sp, int64_t k, int64_t r0, int64_t count, float *out) {
    if (count <= 0 || k <= 0) return;
    q8_deq_ctx c = {qp, sp, k, r0, count, out};
    ck_parallel(q8_deq_task, &c, ck_chunks_for_elems(count * k, count));
}

static inline void q8_store(const q8_ctx *c, int64_t i, int64_t j, float dot) {
    float *dst = c->y + i * c->ldy + j;
    float v = c->accumulate ? *dst + dot : dot;
    if (c->bias) v += c->bias[j];
    *dst = v;
}

// x row → 8-bit blocks. Shared by every path (m·k work against the n·k of the product).
static void q8_quantize_x(const float *x, int64_t k, int64_t kq, int8_t *qx, uint8_t *qxu, float *dx) {
    for (int64_t b = 0; b < kq / 32; b++) {
        const int64_t k0 = b * 32, k1 = k0 + 32 < k ? k0 + 32 : k;
        float amax = 0.0f;
        int finite = 1;
        for (int64_t kk = k0; kk < k1; kk++) {
            float a = fabsf(x[kk]);
            if (!(a <= 3.402823466e38f)) finite = 0; // NaN or inf
            else if (a > amax) amax = a;
        }
        const float id = finite && amax > 0 ? 127.0f / amax : 0.0f;
        dx[b] = finite ? amax / 127.0f : NAN;
        for (int64_t kk = k0; kk < k0 + 32; kk++) {
            float v = kk < k1 ? x[kk] * id : 0.0f;
            long r = finite ? lrintf(v) : 0; // nearest even under the default rounding mode
            if (r > 127) r = 127;
            if (r < -127) r = -127;
            qx[kk] = (int8_t)r;
            if (qxu) qxu[kk] = (uint8_t)(r + 128);
        }
    }
}

typedef struct {
    const float *x;
    int64_t ldx, m, k, kq;
    int8_t *qx;
    uint8_t *qxu;
    float *dx;
} q8_x_ctx;

static void q8_x_task(void *p, int chunk, int nchunks) {
    const q8_x_ctx *c = p;
    const int64_t nb = c->kq / 32;
    int64_t a, z;
    ck_split(c->m, 1, chunk, nchunks, &a, &z);
    for (int64_t i = a; i < z; i++)
        q8_quantize_x(c->x + i * c->ldx, c->k, c->kq, c->qx + i * c->kq, c->qxu ? c->qxu + i * c->kq : NULL, c->dx + i * nb);
}

// ---------------------------------------------------------------- portable C

static void q8_groups_scalar(const q8_ctx *c, int64_t g0, int64_t g1) {
    const int64_t kq = c->kq, nb = kq / 32;
    for (int64_t j = g0 * QG; j < g1 * QG && j < c->n; j++)
        for (int64_t i = 0; i < c->m; i++) {
            const int8_t *xq = c->qx + i * kq;
            float acc = 0.0f;
            for (int64_t b = 0; b < nb; b++) {
                int32_t s = 0;
                for (int64_t kk = b * 32; kk < b * 32 + 32; kk++) s += (int32_t)c->q[q8p_offset(j, kk, nb)] * (int32_t)xq[kk];
                acc = fmaf((float)s, ck_bf16_value(c->scales[q8p_scale(j, b, nb)]) * c->dx[i * nb + b], acc);
            }
            q8_store(c, i, j, acc);
        }
}

// ---------------------------------------------------------------- x86

#if CK_X86

#define CK_AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma")))

CK_INLINE int32_t q8_load4(const void *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

// Group G (16 rows) against x rows i0..<i0+RM. Per block: the 8 column groups' 64-byte loads stay in registers for all
// RM rows; vpdpbusd takes x + 128 (unsigned) against the signed quants, so the block's sum is Σ (qx + 128)·qw, less
// 128·Σ qw (the same vpdpbusd against bytes of 128, once per block for all x rows).
CK_AVX512VNNI CK_INLINE void q8_group_vnni(const q8_ctx *c, int64_t G, int64_t i0, const int RM) {
    const int64_t kq = c->kq, nb = kq / 32;
    const int8_t *w = c->q + G * nb * QG_BLOCK_BYTES;
    const uint16_t *sc = c->scales + G * nb * QG;
    const __m512i k128 = _mm512_set1_epi8((char)0x80);
    __m512 acc[8];
    for (int i = 0; i < RM; i++) acc[i] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const int8_t *wb = w + b * QG_BLOCK_BYTES;
        for (int l = 0; l < QG_BLOCK_BYTES; l += 64) _mm_prefetch((const char *)wb + Q8_PF_BYTES + l, _MM_HINT_T0);
        __m512i wg[8];
        __m512i corr = _mm512_setzero_si512(), corr1 = _mm512_setzero_si512();
        for (int g = 0; g < 8; g += 2) {
            wg[g] = _mm512_loadu_si512((const void *)(wb + g * 64));
            wg[g + 1] = _mm512_loadu_si512((const void *)(wb + g * 64 + 64));
            corr = _mm512_dpbusd_epi32(corr, k128, wg[g]);
            corr1 = _mm512_dpbusd_epi32(corr1, k128, wg[g + 1]);
        }
        const __m512i ncorr = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_add_epi32(corr, corr1));
        const __m512 dw = _mm512_castsi512_ps(
            _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(sc + b * QG))), 16));
        for (int i = 0; i < RM; i++) {
            const uint8_t *xu = c->qxu + (i0 + i) * kq + b * 32;
            // Two chains (even and odd column groups), added at the end: integer sums, so the order is free.
            __m512i s = ncorr, t = _mm512_setzero_si512();
            for (int g = 0; g < 8; g += 2) {
                s = _mm512_dpbusd_epi32(s, _mm512_set1_epi32(q8_load4(xu + 4 * g)), wg[g]);
                t = _mm512_dpbusd_epi32(t, _mm512_set1_epi32(q8_load4(xu + 4 * g + 4)), wg[g + 1]);
            }
            s = _mm512_add_epi32(s, t);
            const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(c->dx[(i0 + i) * nb + b]));
            acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), d, acc[i]);
        }
    }
    for (int i = 0; i < RM; i++) {
        float t[16] __attribute__((aligned(64)));
        _mm512_store_ps(t, acc[i]);
        for (int r = 0; r < QG && G * QG + r < c->n; r++) q8_store(c, i0 + i, G * QG + r, t[r]);
    }
}

// Half h (8 rows) of group G against x rows i0..<i0+RM: |qw| in registers, maddubs(|qw|, sign(qx, qw)) = qw·qx in
// pairs, madd into 32-bit sums (|pair| ≤ 2·127², no saturation).
CK_AVX2 CK_INLINE void q8_half_avx2(const q8_ctx *c, int64_t G, int h, int64_t i0, const int RM) {
    const int64_t kq = c->kq, nb = kq / 32;
    const int8_t *w = c->q + G * nb * QG_BLOCK_BYTES + h * 32;
    const uint16_t *sc = c->scales + G * nb * QG + h * 8;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[4];
    for (int i = 0; i < RM; i++) acc[i] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const int8_t *wb = w + b * QG_BLOCK_BYTES;
        if (h == 0)
            for (int l = 0; l < QG_BLOCK_BYTES; l += 64) _mm_prefetch((const char *)wb + Q8_PF_BYTES + l, _MM_HINT_T0);
        __m256i aw[8];
        for (int g = 0; g < 8; g++) aw[g] = _mm256_abs_epi8(_mm256_loadu_si256((const __m256i *)(wb + g * 64)));
        const __m256 dw = _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(sc + b * QG))), 16));
        for (int i = 0; i < RM; i++) {
            const int8_t *xq = c->qx + (i0 + i) * kq + b * 32;
            __m256i s = _mm256_setzero_si256();
            for (int g = 0; g < 8; g++) {
                const __m256i sx = _mm256_sign_epi8(_mm256_set1_epi32(q8_load4(xq + 4 * g)),
                                                    _mm256_loadu_si256((const __m256i *)(wb + g * 64)));
                s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_maddubs_epi16(aw[g], sx), ones));
            }
            const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(c->dx[(i0 + i) * nb + b]));
            acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), d, acc[i]);
        }
    }
    for (int i = 0; i < RM; i++) {
        float t[8] __attribute__((aligned(32)));
        _mm256_store_ps(t, acc[i]);
        for (int r = 0; r < 8 && G * QG + h * 8 + r < c->n; r++) q8_store(c, i0 + i, G * QG + h * 8 + r, t[r]);
    }
}

// Batch 1 on AVX2: both halves of group G in one pass (the weights stream once, in order), |qw| computed per load
// instead of kept in registers for other x rows.
CK_AVX2 static void q8_group_avx2_m1(const q8_ctx *c, int64_t G, int64_t i) {
    const int64_t kq = c->kq, nb = kq / 32;
    const int8_t *w = c->q + G * nb * QG_BLOCK_BYTES;
    const uint16_t *sc = c->scales + G * nb * QG;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const int8_t *wb = w + b * QG_BLOCK_BYTES;
        for (int l = 0; l < QG_BLOCK_BYTES; l += 64) _mm_prefetch((const char *)wb + Q8_PF_BYTES + l, _MM_HINT_T0);
        const int8_t *xq = c->qx + i * kq + b * 32;
        __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
        for (int g = 0; g < 8; g++) {
            const __m256i xb = _mm256_set1_epi32(q8_load4(xq + 4 * g));
            const __m256i w0 = _mm256_loadu_si256((const __m256i *)(wb + g * 64));
            const __m256i w1 = _mm256_loadu_si256((const __m256i *)(wb + g * 64 + 32));
            s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w0), _mm256_sign_epi8(xb, w0)), ones));
            s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w1), _mm256_sign_epi8(xb, w1)), ones));
        }
        const __m256 dx = _mm256_set1_ps(c->dx[i * nb + b]);
        const __m256 dw0 = _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(sc + b * QG))), 16));
        const __m256 dw1 = _mm256_castsi256_ps(
            _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(sc + b * QG + 8))), 16));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_mul_ps(dw0, dx), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s1), _mm256_mul_ps(dw1, dx), acc1);
    }
    float t[16] __attribute__((aligned(32)));
    _mm256_store_ps(t, acc0);
    _mm256_store_ps(t + 8, acc1);
    for (int r = 0; r < QG && G * QG + r < c->n; r++) q8_store(c, i, G * QG + r, t[r]);
}

CK_AVX512VNNI static void q8_groups_vnni(const q8_ctx *c, int64_t g0, int64_t g1) {
    for (int64_t G = g0; G < g1; G++)
        for (int64_t i0 = 0; i0 < c->m; i0 += 8) {
            switch (c->m - i0 < 8 ? c->m - i0 : 8) {
            case 1: q8_group_vnni(c, G, i0, 1); break;
            case 2: q8_group_vnni(c, G, i0, 2); break;
            case 3: q8_group_vnni(c, G, i0, 3); break;
            case 4: q8_group_vnni(c, G, i0, 4); break;
            case 5: q8_group_vnni(c, G, i0, 5); break;
            case 6: q8_group_vnni(c, G, i0, 6); break;
            case 7: q8_group_vnni(c, G, i0, 7); break;
            default: q8_group_vnni(c, G, i0, 8); break;
            }
        }
}

CK_AVX2 static void q8_groups_avx2(const q8_ctx *c, int64_t g0, int64_t g1) {
    if (c->m == 1) {
        for (int64_t G = g0; G < g1; G++) q8_group_avx2_m1(c, G, 0);
        return;
    }
    for (int64_t G = g0; G < g1; G++)
        for (int h = 0; h < 2 && G * QG + h * 8 < c->n; h++)
            for (int64_t i0 = 0; i0 < c->m; i0 += 4) {
                switch (c->m - i0 < 4 ? c->m - i0 : 4) {
                case 1: q8_half_avx2(c, G, h, i0, 1); break;
                case 2: q8_half_avx2(c, G, h, i0, 2); break;
                case 3: q8_half_avx2(c, G, h, i0, 3); break;
                default: q8_half_avx2(c, G, h, i0, 4); break;
                }
            }
}

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
    int64_t g0, g1;
    ck_split((c->n + QG - 1) / QG, 1, chunk, nchunks, &g0, &g1);
    if (g0 >= g1) return;
    switch (c->path) {
#if CK_X86
    case Q8_VNNI: q8_groups_vnni(c, g0, g1); break;
    case Q8_AVX2: q8_groups_avx2(c, g0, g1); break;
#endif
    default: q8_groups_scalar(c, g0, g1); break;
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
    q8_ctx c = {NULL, NULL, NULL, q, scales, bias, y, ldy, m, n, 0, accumulate, ck_q8_path()};
    if (k <= 0) { // empty dot products: y = (accumulate ? y : 0) + bias
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) q8_store(&c, i, j, 0.0f);
        return;
    }
    const int64_t kq = (k + 31) / 32 * 32, nb = kq / 32;
    // One scratch slot: the quants, their unsigned copy (VNNI), then the scales, each 64-byte aligned.
    const size_t qbytes = ((size_t)(m * kq) + 63) & ~(size_t)63;
    char *buf = ck_scratch(0, 2 * qbytes + (size_t)(m * nb) * sizeof(float));
    int8_t *qx = (int8_t *)buf;
    uint8_t *qxu = c.path == Q8_VNNI ? (uint8_t *)(buf + qbytes) : NULL;
    float *dx = (float *)(buf + 2 * qbytes);
    // Rows are quantized independently (prefill's many rows on the pool, a decode step's few on the caller).
    q8_x_ctx xc = {x, ldx, m, k, kq, qx, qxu, dx};
    ck_parallel(q8_x_task, &xc, ck_chunks_for_elems(m * k, m));
    c.qx = qx;
    c.qxu = qxu;
    c.dx = dx;
    c.kq = kq;
    int nchunks = 1;
    if (n * kq >= Q8_PAR_MIN_BYTES || m * n * k >= 4 * Q8_PAR_MIN_BYTES)
        nchunks = ck_chunks((n + QG - 1) / QG, Q8_CHUNKS_PER_THREAD);
    ck_parallel(q8_task, &c, nchunks);
}

// ---------------------------------------------------------------- roof

// The q8 kernel's arithmetic ceiling: every pool thread runs, on registers only, the kernel's inner step — per 4-byte
// column group of a block, one vpdpbusd for 16 rows (VNNI; 64 multiply-adds) or sign, maddubs, madd and add for 8 rows
// (AVX2; 32) — over 6 independent chains, so nothing but the instruction throughput limits it. Reported as GOP/s, a
// multiply and an add per product, the unit of a decode step's FLOPs. The per-block convert, scale and add the kernel
// also does (one in eight steps) are left out, so the kernel cannot reach it.
#define Q8_RATE_CHAINS 6

typedef struct {
    int64_t iters;
    int path;
    float sums[256];
} q8_rate_ctx;

#if CK_X86
CK_AVX2 static float q8_rate_avx2(int64_t iters, int seed) {
    const __m256i w = _mm256_set1_epi32(0x01fe03fd + seed), aw = _mm256_abs_epi8(w), ones = _mm256_set1_epi16(1);
    const __m256i one = _mm256_set1_epi32(1);
    __m256i x[Q8_RATE_CHAINS], s[Q8_RATE_CHAINS];
    for (int a = 0; a < Q8_RATE_CHAINS; a++) {
        s[a] = _mm256_setzero_si256();
        x[a] = _mm256_set1_epi32(0x7f81027e - seed - 977 * a);
    }
    for (int64_t it = 0; it < iters; it++)
        for (int a = 0; a < Q8_RATE_CHAINS; a++) {
            s[a] = _mm256_add_epi32(s[a], _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(x[a], w)), ones));
            x[a] = _mm256_add_epi32(x[a], one);
        }
    __m256i t = s[0];
    for (int a = 1; a < Q8_RATE_CHAINS; a++) t = _mm256_add_epi32(t, s[a]);
    return (float)_mm256_extract_epi32(t, 0);
}

CK_AVX512VNNI static float q8_rate_vnni(int64_t iters, int seed) {
    const __m512i w = _mm512_set1_epi32(0x01fe03fd + seed), one = _mm512_set1_epi32(1);
    __m512i x[Q8_RATE_CHAINS], s[Q8_RATE_CHAINS];
    for (int a = 0; a < Q8_RATE_CHAINS; a++) {
        s[a] = _mm512_setzero_si512();
        x[a] = _mm512_set1_epi32(0x7f81027e - seed - 977 * a);
    }
    for (int64_t it = 0; it < iters; it++)
        for (int a = 0; a < Q8_RATE_CHAINS; a++) {
            s[a] = _mm512_dpbusd_epi32(s[a], x[a], w);
            x[a] = _mm512_add_epi32(x[a], one);
        }
    __m512i t = s[0];
    for (int a = 1; a < Q8_RATE_CHAINS; a++) t = _mm512_add_epi32(t, s[a]);
    return (float)_mm512_reduce_add_epi32(t);
}
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
    q8_rate_ctx c = {.iters = 1 << 21, .path = ck_q8_path()};
    if (c.path == Q8_SCALAR) return 0; // the plain C fallback is not a roof
    const double ops_per_step = c.path == Q8_VNNI ? 128 : 64;
    const int threads = ck_get_num_threads() < 256 ? ck_get_num_threads() : 256;
    double best = 0;
    for (int r = 0; r < (repeats > 0 ? repeats : 1); r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        ck_parallel(q8_rate_task, &c, threads);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
        double gops = (double)threads * (double)c.iters * Q8_RATE_CHAINS * ops_per_step / s * 1e-9;
        if (gops > best) best = gops;
    }
    volatile float sink = c.sums[0];
    (void)sink;
    return best;
}

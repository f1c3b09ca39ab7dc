// Attention: the inference engine's decode attention, and the causal row softmax of the training engine's
// attention (forward, recomputation from the kept log-sum-exp, backward), whose products run in OpenBLAS.
//
// Decode: one query token per sequence against its KV cache, grouped-query.
// Per (sequence, query head): scores[t] = q·K[t] / √D for t < T, softmax, out = Σ_t p[t]·V[t].
// The AVX-512 path serves all query heads that share a KV head together, block by block of time steps,
// so each K and V row comes from memory once per group rather than once per head (7× less traffic for
// Qwen2.5-0.5B). Scores are computed 16 time steps at a time, each step's dot product in its own
// accumulator and one transposing reduction per block. Every head's arithmetic is the same whichever
// heads share its work unit, so the thread split never changes the results.
#include "ck_internal.h"
#include "ck_simd.h"
#include <math.h>
#include <string.h>

typedef struct {
    int64_t B;
    const float *q;
    const float *const *k;
    const float *const *v;
    int64_t kv_stride;
    const int64_t *lengths;
    int64_t H, KVH, D;
    int64_t splits;       // each KV head's query heads are split into this many work units
    float *out;
    int isa;
} att_ctx;

// Work (multiply-adds) below which threading does not pay.
#define PAR_MIN_WORK (96 * 1024)
// Time steps of V per block (stays in L1 while every head of the group passes over it).
#define V_BLOCK 64

#if CK_X86
// acc_a/acc_b (state, 2·NV vectors) += Σ_{t in [ta, tb)} p[t]·V[t, d0 .. d0+16·NV) — even t into a, odd
// t into b, so two independent FMA chains hide the latency; the pairing depends on t alone.
CK_AVX512 CK_INLINE void acc_v512(const float *vb, int64_t stride, const float *p, int64_t ta, int64_t tb,
                                  __mmask16 last, __m512 *state, int first, const int NV) {
    __m512 a[8], b[8];
    for (int j = 0; j < NV; j++) {
        a[j] = first ? _mm512_setzero_ps() : state[j];
        b[j] = first ? _mm512_setzero_ps() : state[NV + j];
    }
    int64_t t = ta;
    for (; t + 2 <= tb; t += 2) {
        __m512 p0 = _mm512_set1_ps(p[t]), p1 = _mm512_set1_ps(p[t + 1]);
        const float *r0 = vb + t * stride, *r1 = r0 + stride;
        for (int j = 0; j < NV; j++) {
            __mmask16 mk = j == NV - 1 ? last : (__mmask16)0xffff;
            a[j] = _mm512_fmadd_ps(p0, _mm512_maskz_loadu_ps(mk, r0 + 16 * j), a[j]);
            b[j] = _mm512_fmadd_ps(p1, _mm512_maskz_loadu_ps(mk, r1 + 16 * j), b[j]);
        }
    }
    if (t < tb) {
        __m512 p0 = _mm512_set1_ps(p[t]);
        const float *r0 = vb + t * stride;
        for (int j = 0; j < NV; j++) {
            __mmask16 mk = j == NV - 1 ? last : (__mmask16)0xffff;
            a[j] = _mm512_fmadd_ps(p0, _mm512_maskz_loadu_ps(mk, r0 + 16 * j), a[j]);
        }
    }
    for (int j = 0; j < NV; j++) {
        state[j] = a[j];
        state[NV + j] = b[j];
    }
}

// Query heads q[0..nh) (rows of D) against one KV head: kb/vb point at its first row, rows stride
// floats apart. p: scratch of nh·(T + 16) floats; st: scratch of nh·⌈D/128⌉·16 vectors.
CK_AVX512 static void group512(const float *q, int64_t nh, const float *kb, const float *vb, int64_t stride,
                               int64_t T, int64_t D, float scale, float *out, float *p, __m512 *st) {
    const int64_t tp = T + 16;
    // Scores, 16 time steps per block; each block of K rows stays in L1 across the heads.
    for (int64_t t0 = 0; t0 < T; t0 += 16) {
        const float *rows[16];
        for (int s = 0; s < 16; s++) rows[s] = kb + (t0 + s < T ? t0 + s : T - 1) * stride; // past T: masked
        __mmask16 tm = ck_mask512(T - t0);
        for (int64_t h = 0; h < nh; h++) {
            const float *qh = q + h * D;
            __m512 acc[16];
            for (int s = 0; s < 16; s++) acc[s] = _mm512_setzero_ps();
            for (int64_t d = 0; d < D; d += 16) {
                __mmask16 mk = ck_mask512(D - d);
                __m512 qv = _mm512_maskz_loadu_ps(mk, qh + d);
                for (int s = 0; s < 16; s++)
                    acc[s] = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(mk, rows[s] + d), acc[s]);
            }
            __m512 sc = _mm512_mul_ps(ck_reduce16_512(acc), _mm512_set1_ps(scale));
            _mm512_mask_storeu_ps(p + h * tp + t0, tm, sc);
        }
    }
    // Softmax numerators per head (the 1/sum goes into the output scale).
    float inv[nh];
    for (int64_t h = 0; h < nh; h++) {
        float *ph = p + h * tp;
        inv[h] = 1.0f / ck_row_exp_sum(CK_ISA_AVX512, ph, ck_row_max(CK_ISA_AVX512, ph, T), ph, T);
    }
    // out = inv·Σ p[t]·V[t], V in blocks that stay in L1 across the heads, d in chunks of 128.
    const int64_t ndc = (D + 127) / 128;
    for (int64_t ta = 0; ta < T; ta += V_BLOCK) {
        int64_t tb = ta + V_BLOCK < T ? ta + V_BLOCK : T;
        for (int64_t h = 0; h < nh; h++) {
            for (int64_t c = 0; c < ndc; c++) {
                int64_t d0 = c * 128, nd = D - d0 < 128 ? D - d0 : 128;
                int nv = (int)((nd + 15) / 16);
                __mmask16 last = ck_mask512(nd - 16 * (nv - 1));
                __m512 *s = st + (h * ndc + c) * 16;
                const float *v0 = vb + d0;
                const float *ph = p + h * tp;
                switch (nv) {
                case 1: acc_v512(v0, stride, ph, ta, tb, last, s, ta == 0, 1); break;
                case 2: acc_v512(v0, stride, ph, ta, tb, last, s, ta == 0, 2); break;
                case 3: acc_v512(v0, stride, ph, ta, tb, last, s, ta == 0, 3); break;
                case 4: acc_v512(v0, stride, ph, ta, tb, last, s, ta == 0, 4); break;
                case 5: acc_v512(v0, stride, ph, ta, tb, last, s, ta == 0, 5); break;
                case 6: acc_v512(v0, stride, ph, ta, tb, last, s, ta == 0, 6); break;
                case 7: acc_v512(v0, stride, ph, ta, tb, last, s, ta == 0, 7); break;
                default: acc_v512(v0, stride, ph, ta, tb, last, s, ta == 0, 8); break;
                }
            }
        }
    }
    for (int64_t h = 0; h < nh; h++) {
        __m512 sv = _mm512_set1_ps(inv[h]);
        for (int64_t c = 0; c < ndc; c++) {
            int64_t d0 = c * 128, nd = D - d0 < 128 ? D - d0 : 128;
            int nv = (int)((nd + 15) / 16);
            const __m512 *s = st + (h * ndc + c) * 16;
            for (int j = 0; j < nv; j++) {
                __m512 r = _mm512_mul_ps(_mm512_add_ps(s[j], s[nv + j]), sv);
                _mm512_mask_storeu_ps(out + h * D + d0 + 16 * j, ck_mask512(nd - 16 * j), r);
            }
        }
    }
}

CK_AVX2 static void head256(const float *q, const float *kb, const float *vb, int64_t stride, int64_t T,
                            int64_t D, float scale, float *o, float *p) {
    float mxs = -__builtin_inff();
    for (int64_t t0 = 0; t0 < T; t0 += 8) {
        int nt = T - t0 < 8 ? (int)(T - t0) : 8;
        __m256 acc[8];
        for (int s = 0; s < 8; s++) acc[s] = _mm256_setzero_ps();
        for (int64_t d = 0; d < D; d += 8) {
            __m256i mk = ck_mask256(D - d);
            __m256 qv = _mm256_maskload_ps(q + d, mk);
            for (int s = 0; s < nt; s++)
                acc[s] = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kb + (t0 + s) * stride + d, mk), acc[s]);
        }
        float sc[8] __attribute__((aligned(32)));
        _mm256_store_ps(sc, _mm256_mul_ps(ck_reduce8_256(acc), _mm256_set1_ps(scale)));
        for (int s = 0; s < nt; s++) {
            p[t0 + s] = sc[s];
            mxs = sc[s] > mxs ? sc[s] : mxs;
        }
    }
    __m256 inv = _mm256_set1_ps(1.0f / ck_row_exp_sum(CK_ISA_AVX2, p, mxs, p, T));
    for (int64_t d0 = 0; d0 < D; d0 += 64) {
        int64_t nd = D - d0 < 64 ? D - d0 : 64;
        int nv = (int)((nd + 7) / 8);
        __m256 acc[8];
        for (int j = 0; j < 8; j++) acc[j] = _mm256_setzero_ps();
        for (int64_t t = 0; t < T; t++) {
            __m256 pt = _mm256_set1_ps(p[t]);
            const float *row = vb + t * stride + d0;
            for (int j = 0; j < 8; j++) {
                if (j >= nv) break;
                acc[j] = _mm256_fmadd_ps(pt, _mm256_maskload_ps(row + 8 * j, ck_mask256(nd - 8 * j)), acc[j]);
            }
        }
        for (int j = 0; j < nv; j++)
            _mm256_maskstore_ps(o + d0 + 8 * j, ck_mask256(nd - 8 * j), _mm256_mul_ps(acc[j], inv));
    }
}
#endif

static void head_scalar(const float *q, const float *kb, const float *vb, int64_t stride, int64_t T,
                        int64_t D, float scale, float *o, float *p) {
    float m = -__builtin_inff();
    for (int64_t t = 0; t < T; t++) {
        const float *kr = kb + t * stride;
        float a[8] = {0};
        for (int64_t d = 0; d < D; d++) a[d & 7] += q[d] * kr[d];
        p[t] = (((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))) * scale;
        m = p[t] > m ? p[t] : m;
    }
    float sum = 0;
    for (int64_t t = 0; t < T; t++) {
        p[t] = expf(p[t] - m);
        sum += p[t];
    }
    float inv = 1.0f / sum;
    for (int64_t d = 0; d < D; d++) o[d] = 0;
    for (int64_t t = 0; t < T; t++) {
        const float *vr = vb + t * stride;
        for (int64_t d = 0; d < D; d++) o[d] += p[t] * vr[d];
    }
    for (int64_t d = 0; d < D; d++) o[d] *= inv;
}

static void att_task(void *pc, int chunk, int nchunks) {
    const att_ctx *c = pc;
    const int64_t group = c->H / c->KVH, units = c->B * c->KVH * c->splits;
    int64_t u0, u1;
    ck_split(units, 1, chunk, nchunks, &u0, &u1);
    const float scale = 1.0f / sqrtf((float)c->D);
    for (int64_t u = u0; u < u1; u++) {
        int64_t b = u / (c->KVH * c->splits), kvh = u / c->splits % c->KVH, part = u % c->splits;
        int64_t h0, h1, T = c->lengths[b];
        ck_split(group, 1, (int)part, (int)c->splits, &h0, &h1);
        h0 += kvh * group;
        h1 += kvh * group;
        if (h0 >= h1) continue;
        const float *q = c->q + (b * c->H + h0) * c->D;
        float *o = c->out + (b * c->H + h0) * c->D;
        if (T <= 0) {
            memset(o, 0, (size_t)((h1 - h0) * c->D) * sizeof(float));
            continue;
        }
        const float *kb = c->k[b] + kvh * c->D, *vb = c->v[b] + kvh * c->D;
        float *p = ck_scratch(1, (size_t)((h1 - h0) * (T + 16)) * sizeof(float));
        switch (c->isa) {
#if CK_X86
        case CK_ISA_AVX512: {
            __m512 *st = ck_scratch(0, (size_t)((h1 - h0) * ((c->D + 127) / 128) * 16) * sizeof(__m512));
            group512(q, h1 - h0, kb, vb, c->kv_stride, T, c->D, scale, o, p, st);
            break;
        }
        case CK_ISA_AVX2:
            for (int64_t h = 0; h < h1 - h0; h++)
                head256(q + h * c->D, kb, vb, c->kv_stride, T, c->D, scale, o + h * c->D, p);
            break;
#endif
        default:
            for (int64_t h = 0; h < h1 - h0; h++)
                head_scalar(q + h * c->D, kb, vb, c->kv_stride, T, c->D, scale, o + h * c->D, p);
            break;
        }
    }
}

void ck_attention_decode_batch(int64_t B, const float *q, const float *const *k_caches,
                               const float *const *v_caches, int64_t kv_stride, const int64_t *lengths,
                               int64_t H, int64_t KVH, int64_t D, float *out) {
    if (B <= 0 || H <= 0 || D <= 0 || KVH <= 0) return;
    int64_t work = 0;
    for (int64_t b = 0; b < B; b++) work += lengths[b] * H * D;
    // A unit for every thread when there are few sequences and KV heads (splitting a group's heads
    // costs re-reading its K and V, so only as far as needed).
    int64_t group = H / KVH, splits = 1;
    int nth = work >= PAR_MIN_WORK ? ck_get_num_threads() : 1;
    while (B * KVH * splits < nth && splits < group) splits++;
    att_ctx c = {B, q, k_caches, v_caches, kv_stride, lengths, H, KVH, D, splits, out, ck_isa_level()};
    int64_t units = B * KVH * splits;
    ck_parallel(att_task, &c, work >= PAR_MIN_WORK ? ck_chunks(units, 2) : 1);
}

void ck_attention_decode(const float *q, const float *k_cache, const float *v_cache, int64_t kv_stride,
                         int64_t T, int64_t H, int64_t KVH, int64_t D, float *out) {
    ck_attention_decode_batch(1, q, &k_cache, &v_cache, kv_stride, &T, H, KVH, D, out);
}

// ---------------------------------------------------------------- training: causal softmax rows

// Row r of a block sees the first first_visible + r columns (capped at cols); the rest are written 0.
static int64_t visible_cols(int64_t first_visible, int64_t r, int64_t cols) {
    return first_visible + r < cols ? first_visible + r : cols;
}

void ck_causal_softmax(float *p, int64_t rows, int64_t cols, int64_t ld, int64_t first_visible, float *lse,
                       int64_t lse_stride) {
    int isa = ck_isa_level();
    for (int64_t r = 0; r < rows; r++) {
        float *row = p + r * ld;
        int64_t visible = visible_cols(first_visible, r, cols);
        float m = ck_row_max(isa, row, visible);
        float sum = ck_row_exp_sum(isa, row, m, row, visible);
        ck_row_scale(isa, row, 1.0f / sum, visible);
        if (visible < cols) memset(row + visible, 0, (size_t)(cols - visible) * sizeof(float));
        if (lse) lse[r * lse_stride] = m + logf(sum);
    }
}

void ck_causal_exp(float *p, int64_t rows, int64_t cols, int64_t ld, int64_t first_visible, const float *lse,
                   int64_t lse_stride) {
    int isa = ck_isa_level();
    for (int64_t r = 0; r < rows; r++) {
        float *row = p + r * ld;
        int64_t visible = visible_cols(first_visible, r, cols);
        (void)ck_row_exp_sum(isa, row, lse[r * lse_stride], row, visible);
        if (visible < cols) memset(row + visible, 0, (size_t)(cols - visible) * sizeof(float));
    }
}

// No exp, so plain C (the compiler vectorises it).
void ck_causal_softmax_backward(const float *p, float *ds, int64_t rows, int64_t cols, int64_t ld,
                                int64_t first_visible, const float *delta) {
    for (int64_t r = 0; r < rows; r++) {
        const float *pr = p + r * ld;
        float *dr = ds + r * ld;
        int64_t visible = visible_cols(first_visible, r, cols);
        float d = delta[r];
        for (int64_t j = 0; j < visible; j++) dr[j] = pr[j] * (dr[j] - d);
        if (visible < cols) memset(dr + visible, 0, (size_t)(cols - visible) * sizeof(float));
    }
}

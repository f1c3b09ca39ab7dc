// Decode attention: one query token per sequence against its KV cache, grouped-query.
//
// Per (sequence, query head): scores[t] = q·K[t] / √D for t < T, softmax, out = Σ_t p[t]·V[t].
// Scores are computed 16 (AVX-512) or 8 (AVX2) time steps at a time, each step's dot product in its
// own accumulator and one transposing reduction for the block. The work unit is one head, so the
// thread split never changes the arithmetic.
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
    float *out;
    int isa;
} att_ctx;

// Work (multiply-adds) below which threading does not pay.
#define PAR_MIN_WORK (96 * 1024)

#if CK_X86
CK_AVX512 CK_INLINE void acc_v512(const float *vb, int64_t stride, const float *p, int64_t T, float *o,
                                  int64_t D, float inv) {
    // out[d] = inv·Σ_t p[t]·V[t, d], up to 8 vectors (128 values of d) held in registers per pass.
    for (int64_t d0 = 0; d0 < D; d0 += 128) {
        int64_t nd = D - d0 < 128 ? D - d0 : 128;
        int nv = (int)((nd + 15) / 16);
        __mmask16 last = (nd % 16) ? (__mmask16)((1u << (nd % 16)) - 1) : 0xffff;
        __m512 acc[8];
        for (int j = 0; j < 8; j++) acc[j] = _mm512_setzero_ps();
        for (int64_t t = 0; t < T; t++) {
            __m512 pt = _mm512_set1_ps(p[t]);
            const float *row = vb + t * stride + d0;
            for (int j = 0; j < 8; j++) {
                if (j >= nv) break;
                __mmask16 mk = j == nv - 1 ? last : 0xffff;
                acc[j] = _mm512_fmadd_ps(pt, _mm512_maskz_loadu_ps(mk, row + 16 * j), acc[j]);
            }
        }
        __m512 s = _mm512_set1_ps(inv);
        for (int j = 0; j < nv; j++) {
            __mmask16 mk = j == nv - 1 ? last : 0xffff;
            _mm512_mask_storeu_ps(o + d0 + 16 * j, mk, _mm512_mul_ps(acc[j], s));
        }
    }
}

CK_AVX512 static void head512(const float *q, const float *kb, const float *vb, int64_t stride, int64_t T,
                              int64_t D, float scale, float *o, float *p) {
    // Scores, 16 time steps per block.
    __m512 mx = _mm512_set1_ps(-__builtin_inff());
    for (int64_t t0 = 0; t0 < T; t0 += 16) {
        int nt = T - t0 < 16 ? (int)(T - t0) : 16;
        __m512 acc[16];
        for (int s = 0; s < 16; s++) acc[s] = _mm512_setzero_ps();
        for (int64_t d = 0; d < D; d += 16) {
            __mmask16 mk = D - d >= 16 ? 0xffff : (__mmask16)((1u << (D - d)) - 1);
            __m512 qv = _mm512_maskz_loadu_ps(mk, q + d);
            if (nt == 16) {
                for (int s = 0; s < 16; s++)
                    acc[s] = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(mk, kb + (t0 + s) * stride + d), acc[s]);
            } else {
                for (int s = 0; s < nt; s++)
                    acc[s] = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(mk, kb + (t0 + s) * stride + d), acc[s]);
            }
        }
        __m512 sc = _mm512_mul_ps(ck_reduce16_512(acc), _mm512_set1_ps(scale));
        __mmask16 tm = nt == 16 ? 0xffff : (__mmask16)((1u << nt) - 1);
        mx = _mm512_mask_max_ps(mx, tm, mx, sc);
        _mm512_mask_storeu_ps(p + t0, tm, sc);
    }
    // Softmax (unnormalised; the 1/sum goes into the output scale).
    __m512 m = _mm512_set1_ps(ck_hmax512(mx)), sum = _mm512_setzero_ps();
    for (int64_t t = 0; t < T; t += 16) {
        __mmask16 tm = T - t >= 16 ? 0xffff : (__mmask16)((1u << (T - t)) - 1);
        __m512 e = _mm512_maskz_mov_ps(tm, ck_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(tm, p + t), m)));
        sum = _mm512_add_ps(sum, e);
        _mm512_mask_storeu_ps(p + t, tm, e);
    }
    acc_v512(vb, stride, p, T, o, D, 1.0f / ck_hsum512(sum));
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
    __m256 m = _mm256_set1_ps(mxs), sum = _mm256_setzero_ps();
    for (int64_t t = 0; t < T; t += 8) {
        __m256i tm = ck_mask256(T - t);
        __m256 e = ck_exp256(_mm256_sub_ps(_mm256_maskload_ps(p + t, tm), m));
        e = _mm256_and_ps(e, _mm256_castsi256_ps(tm));
        sum = _mm256_add_ps(sum, e);
        _mm256_maskstore_ps(p + t, tm, e);
    }
    __m256 inv = _mm256_set1_ps(1.0f / ck_hsum256(sum));
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
    int64_t u0, u1, group = c->H / c->KVH;
    ck_split(c->B * c->H, 1, chunk, nchunks, &u0, &u1);
    float scale = 1.0f / sqrtf((float)c->D);
    int64_t maxT = 0;
    for (int64_t u = u0; u < u1; u++) maxT = c->lengths[u / c->H] > maxT ? c->lengths[u / c->H] : maxT;
    float *p = ck_scratch(1, (size_t)(maxT + 16) * sizeof(float));
    for (int64_t u = u0; u < u1; u++) {
        int64_t b = u / c->H, h = u % c->H, T = c->lengths[b];
        const float *q = c->q + u * c->D;
        float *o = c->out + u * c->D;
        if (T <= 0) {
            memset(o, 0, (size_t)c->D * sizeof(float));
            continue;
        }
        const float *kb = c->k[b] + (h / group) * c->D, *vb = c->v[b] + (h / group) * c->D;
        switch (c->isa) {
#if CK_X86
        case CK_ISA_AVX512: head512(q, kb, vb, c->kv_stride, T, c->D, scale, o, p); break;
        case CK_ISA_AVX2: head256(q, kb, vb, c->kv_stride, T, c->D, scale, o, p); break;
#endif
        default: head_scalar(q, kb, vb, c->kv_stride, T, c->D, scale, o, p); break;
        }
    }
}

void ck_attention_decode_batch(int64_t B, const float *q, const float *const *k_caches,
                               const float *const *v_caches, int64_t kv_stride, const int64_t *lengths,
                               int64_t H, int64_t KVH, int64_t D, float *out) {
    if (B <= 0 || H <= 0 || D <= 0 || KVH <= 0) return;
    att_ctx c = {B, q, k_caches, v_caches, kv_stride, lengths, H, KVH, D, out, ck_isa_level()};
    int64_t work = 0;
    for (int64_t b = 0; b < B; b++) work += lengths[b] * H * D;
    int64_t units = B * H;
    ck_parallel(att_task, &c, work >= PAR_MIN_WORK ? ck_chunks(units, 2) : 1);
}

void ck_attention_decode(const float *q, const float *k_cache, const float *v_cache, int64_t kv_stride,
                         int64_t T, int64_t H, int64_t KVH, int64_t D, float *out) {
    ck_attention_decode_batch(1, q, &k_cache, &v_cache, kv_stride, &T, H, KVH, D, out);
}

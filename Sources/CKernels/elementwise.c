// Elementwise and normalisation kernels: RMSNorm, SiLU·up (SwiGLU), softmax, rotary embedding.
// Each is vectorised; RMSNorm, SiLU·up and RoPE split their rows/elements across threads when the
// work pays for a dispatch (prefill), and compute every element the same way whatever the split.
#include "ck_internal.h"
#include "ck_simd.h"
#include <math.h>
#include <string.h>

// Elements below which threading does not pay for the dispatch (a few µs).
#define PAR_MIN_ELEMS (64 * 1024)

static int chunks_for(int64_t elems, int64_t units) { return elems >= PAR_MIN_ELEMS ? ck_chunks(units, 4) : 1; }

// ---------------------------------------------------------------- RMSNorm (Qwen2RMSNorm)

typedef struct {
    const float *x, *weight;
    float *y;
    int64_t rows, dim;
    float eps;
    int isa;
} rms_ctx;

#if CK_X86
CK_AVX512 static void rms_rows512(const rms_ctx *c, int64_t r0, int64_t r1) {
    const int64_t d = c->dim;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = c->x + r * d;
        float *y = c->y + r * d;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        int64_t i = 0;
        for (; i + 32 <= d; i += 32) {
            __m512 u = _mm512_loadu_ps(x + i), v = _mm512_loadu_ps(x + i + 16);
            a0 = _mm512_fmadd_ps(u, u, a0);
            a1 = _mm512_fmadd_ps(v, v, a1);
        }
        for (; i < d; i += 16) {
            __mmask16 mk = d - i >= 16 ? 0xffff : (__mmask16)((1u << (d - i)) - 1);
            __m512 u = _mm512_maskz_loadu_ps(mk, x + i);
            a0 = _mm512_fmadd_ps(u, u, a0);
        }
        float ss = ck_hsum512(_mm512_add_ps(a0, a1));
        __m512 s = _mm512_set1_ps(1.0f / sqrtf(ss / (float)d + c->eps));
        for (i = 0; i < d; i += 16) {
            __mmask16 mk = d - i >= 16 ? 0xffff : (__mmask16)((1u << (d - i)) - 1);
            __m512 u = _mm512_maskz_loadu_ps(mk, x + i), w = _mm512_maskz_loadu_ps(mk, c->weight + i);
            _mm512_mask_storeu_ps(y + i, mk, _mm512_mul_ps(w, _mm512_mul_ps(u, s)));
        }
    }
}

CK_AVX2 static void rms_rows256(const rms_ctx *c, int64_t r0, int64_t r1) {
    const int64_t d = c->dim;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = c->x + r * d;
        float *y = c->y + r * d;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        int64_t i = 0;
        for (; i + 16 <= d; i += 16) {
            __m256 u = _mm256_loadu_ps(x + i), v = _mm256_loadu_ps(x + i + 8);
            a0 = _mm256_fmadd_ps(u, u, a0);
            a1 = _mm256_fmadd_ps(v, v, a1);
        }
        for (; i < d; i += 8) {
            __m256 u = _mm256_maskload_ps(x + i, ck_mask256(d - i));
            a0 = _mm256_fmadd_ps(u, u, a0);
        }
        float ss = ck_hsum256(_mm256_add_ps(a0, a1));
        __m256 s = _mm256_set1_ps(1.0f / sqrtf(ss / (float)d + c->eps));
        for (i = 0; i < d; i += 8) {
            __m256i mk = ck_mask256(d - i);
            __m256 u = _mm256_maskload_ps(x + i, mk), w = _mm256_maskload_ps(c->weight + i, mk);
            _mm256_maskstore_ps(y + i, mk, _mm256_mul_ps(w, _mm256_mul_ps(u, s)));
        }
    }
}
#endif

static void rms_rows_scalar(const rms_ctx *c, int64_t r0, int64_t r1) {
    const int64_t d = c->dim;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = c->x + r * d;
        float *y = c->y + r * d;
        float a[8] = {0};
        for (int64_t i = 0; i < d; i++) a[i & 7] += x[i] * x[i];
        float ss = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
        float s = 1.0f / sqrtf(ss / (float)d + c->eps);
        for (int64_t i = 0; i < d; i++) y[i] = c->weight[i] * (x[i] * s);
    }
}

static void rms_task(void *p, int chunk, int nchunks) {
    const rms_ctx *c = p;
    int64_t r0, r1;
    ck_split(c->rows, 1, chunk, nchunks, &r0, &r1);
    switch (c->isa) {
#if CK_X86
    case CK_ISA_AVX512: rms_rows512(c, r0, r1); break;
    case CK_ISA_AVX2: rms_rows256(c, r0, r1); break;
#endif
    default: rms_rows_scalar(c, r0, r1); break;
    }
}

void ck_rmsnorm(const float *x, const float *weight, float *y, int64_t rows, int64_t dim, float eps) {
    if (rows <= 0 || dim <= 0) return;
    rms_ctx c = {x, weight, y, rows, dim, eps, ck_isa_level()};
    ck_parallel(rms_task, &c, chunks_for(rows * dim, rows));
}

// ---------------------------------------------------------------- SiLU(gate) · up

typedef struct {
    const float *gate, *up;
    float *out;
    int64_t n;
    int isa;
} silu_ctx;

#if CK_X86
CK_AVX512 static void silu512(const float *g, const float *u, float *o, int64_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 gv = _mm512_maskz_loadu_ps(mk, g + i), uv = _mm512_maskz_loadu_ps(mk, u + i);
        __m512 e = ck_exp512(_mm512_sub_ps(_mm512_setzero_ps(), gv));
        __m512 s = _mm512_div_ps(gv, _mm512_add_ps(one, e));
        _mm512_mask_storeu_ps(o + i, mk, _mm512_mul_ps(s, uv));
    }
}

CK_AVX2 static void silu256(const float *g, const float *u, float *o, int64_t n) {
    const __m256 one = _mm256_set1_ps(1.0f);
    for (int64_t i = 0; i < n; i += 8) {
        __m256i mk = ck_mask256(n - i);
        __m256 gv = _mm256_maskload_ps(g + i, mk), uv = _mm256_maskload_ps(u + i, mk);
        __m256 e = ck_exp256(_mm256_sub_ps(_mm256_setzero_ps(), gv));
        __m256 s = _mm256_div_ps(gv, _mm256_add_ps(one, e));
        _mm256_maskstore_ps(o + i, mk, _mm256_mul_ps(s, uv));
    }
}
#endif

static void silu_scalar(const float *g, const float *u, float *o, int64_t n) {
    for (int64_t i = 0; i < n; i++) o[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

static void silu_task(void *p, int chunk, int nchunks) {
    const silu_ctx *c = p;
    int64_t i0, i1;
    ck_split(c->n, 64, chunk, nchunks, &i0, &i1);
    if (i0 >= i1) return;
    switch (c->isa) {
#if CK_X86
    case CK_ISA_AVX512: silu512(c->gate + i0, c->up + i0, c->out + i0, i1 - i0); break;
    case CK_ISA_AVX2: silu256(c->gate + i0, c->up + i0, c->out + i0, i1 - i0); break;
#endif
    default: silu_scalar(c->gate + i0, c->up + i0, c->out + i0, i1 - i0); break;
    }
}

void ck_silu_mul(const float *gate, const float *up, float *out, int64_t n) {
    if (n <= 0) return;
    silu_ctx c = {gate, up, out, n, ck_isa_level()};
    ck_parallel(silu_task, &c, chunks_for(n, (n + 63) / 64));
}

// ---------------------------------------------------------------- softmax

#if CK_X86
CK_AVX512 static void softmax512(float *x, int64_t n) {
    __m512 mx = _mm512_set1_ps(-__builtin_inff());
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        mx = _mm512_mask_max_ps(mx, mk, mx, _mm512_maskz_loadu_ps(mk, x + i));
    }
    __m512 m = _mm512_set1_ps(ck_hmax512(mx));
    __m512 sum = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 e = ck_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(mk, x + i), m));
        e = _mm512_maskz_mov_ps(mk, e);
        sum = _mm512_add_ps(sum, e);
        _mm512_mask_storeu_ps(x + i, mk, e);
    }
    __m512 inv = _mm512_set1_ps(1.0f / ck_hsum512(sum));
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(x + i, mk, _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, x + i), inv));
    }
}

CK_AVX2 static void softmax256(float *x, int64_t n) {
    __m256 mx = _mm256_set1_ps(-__builtin_inff());
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(x + i));
    float m = ck_hmax256(mx);
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    __m256 mv = _mm256_set1_ps(m), sum = _mm256_setzero_ps();
    for (i = 0; i < n; i += 8) {
        __m256i mk = ck_mask256(n - i);
        __m256 e = ck_exp256(_mm256_sub_ps(_mm256_maskload_ps(x + i, mk), mv));
        e = _mm256_and_ps(e, _mm256_castsi256_ps(mk));
        sum = _mm256_add_ps(sum, e);
        _mm256_maskstore_ps(x + i, mk, e);
    }
    __m256 inv = _mm256_set1_ps(1.0f / ck_hsum256(sum));
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
    for (; i < n; i++) x[i] *= _mm256_cvtss_f32(inv);
}
#endif

static void softmax_scalar(float *x, int64_t n) {
    float m = -__builtin_inff();
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    float s[8] = {0};
    for (int64_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - m);
        s[i & 7] += x[i];
    }
    float inv = 1.0f / (((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])));
    for (int64_t i = 0; i < n; i++) x[i] *= inv;
}

void ck_softmax_inplace(float *x, int64_t n) {
    if (n <= 0) return;
    switch (ck_isa_level()) {
#if CK_X86
    case CK_ISA_AVX512: softmax512(x, n); break;
    case CK_ISA_AVX2: softmax256(x, n); break;
#endif
    default: softmax_scalar(x, n); break;
    }
}

// ---------------------------------------------------------------- RoPE

// Hugging Face Qwen2RotaryEmbedding (default rope type): inv_freq = 1.0 / base ** (arange(0, D, 2).float() / D)
// in float32, freqs = position.float() * inv_freq in float32, cos/sin of those, then
// q·cos + rotate_half(q)·sin with rotate_half(q) = cat(-q[D/2:], q[:D/2]). We repeat the float32 steps
// and take cos/sin in double, rounded once. The rotation is kept to separate multiplies and an add
// (no FMA contraction), as PyTorch does.
typedef struct {
    float *x;
    int64_t ntok, nheads, hd;
    const int32_t *pos;
    const float *inv_freq;
} rope_ctx;

static void rope_task(void *p, int chunk, int nchunks) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
    const rope_ctx *c = p;
    int64_t t0, t1, half = c->hd / 2;
    ck_split(c->ntok, 1, chunk, nchunks, &t0, &t1);
    float *tab = ck_scratch(1, (size_t)c->hd * sizeof(float));
    float *cs = tab, *sn = tab + half;
    for (int64_t t = t0; t < t1; t++) {
        float pos = (float)c->pos[t];
        for (int64_t i = 0; i < half; i++) {
            float a = pos * c->inv_freq[i];
            cs[i] = (float)cos((double)a);
            sn[i] = (float)sin((double)a);
        }
        for (int64_t h = 0; h < c->nheads; h++) {
            float *v = c->x + (t * c->nheads + h) * c->hd;
            for (int64_t i = 0; i < half; i++) {
                float a = v[i], b = v[i + half];
                float a_cos = a * cs[i], b_sin = b * sn[i], b_cos = b * cs[i], a_sin = a * sn[i];
                v[i] = a_cos - b_sin;
                v[i + half] = b_cos + a_sin;
            }
        }
    }
}

void ck_rope(float *x, int64_t ntok, int64_t nheads, int64_t head_dim, const int32_t *positions,
             float theta) {
    if (ntok <= 0 || nheads <= 0 || head_dim < 2) return;
    int64_t half = head_dim / 2;
    float *inv = ck_scratch(0, (size_t)half * sizeof(float));
    for (int64_t i = 0; i < half; i++) {
        float e = (float)(2 * i) / (float)head_dim;
        inv[i] = 1.0f / powf(theta, e);
    }
    rope_ctx c = {x, ntok, nheads, head_dim, positions, inv};
    ck_parallel(rope_task, &c, chunks_for(ntok * nheads * head_dim, ntok));
}

// SwiGLU, Qwen2's MLP activation, forward and backward: act = silu(gate) · up with silu(g) = g·σ(g).
//
// Forward serves both engines: inference asks for act alone, training also keeps σ(gate) for backward.
// It splits the elements across threads when the work pays for a dispatch (prefill, training) and
// computes every element the same way whatever the split: act = g / (1 + e^-g) · up, σ = 1 / (1 + e^-g).
#include "ck_internal.h"
#include "ck_simd.h"
#include <math.h>

typedef struct {
    const float *gate, *up;
    float *act, *sigmoid;
    int64_t n;
    int isa;
} swiglu_ctx;

#if CK_X86
CK_AVX512 static void forward512(const float *g, const float *u, float *o, float *sig, int64_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = ck_mask512(n - i);
        __m512 gv = _mm512_maskz_loadu_ps(mk, g + i), uv = _mm512_maskz_loadu_ps(mk, u + i);
        __m512 den = _mm512_add_ps(one, ck_exp512(_mm512_sub_ps(_mm512_setzero_ps(), gv)));
        _mm512_mask_storeu_ps(o + i, mk, _mm512_mul_ps(_mm512_div_ps(gv, den), uv));
        if (sig) _mm512_mask_storeu_ps(sig + i, mk, _mm512_div_ps(one, den));
    }
}

CK_AVX2 static void forward256(const float *g, const float *u, float *o, float *sig, int64_t n) {
    const __m256 one = _mm256_set1_ps(1.0f);
    for (int64_t i = 0; i < n; i += 8) {
        __m256i mk = ck_mask256(n - i);
        __m256 gv = _mm256_maskload_ps(g + i, mk), uv = _mm256_maskload_ps(u + i, mk);
        __m256 den = _mm256_add_ps(one, ck_exp256(_mm256_sub_ps(_mm256_setzero_ps(), gv)));
        _mm256_maskstore_ps(o + i, mk, _mm256_mul_ps(_mm256_div_ps(gv, den), uv));
        if (sig) _mm256_maskstore_ps(sig + i, mk, _mm256_div_ps(one, den));
    }
}
#endif

static void forward_scalar(const float *g, const float *u, float *o, float *sig, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i], ui = u[i], den = 1.0f + expf(-gi);
        o[i] = gi / den * ui;
        if (sig) sig[i] = 1.0f / den;
    }
}

static void forward_task(void *p, int chunk, int nchunks) {
    const swiglu_ctx *c = p;
    int64_t i0, i1;
    ck_split(c->n, 64, chunk, nchunks, &i0, &i1);
    if (i0 >= i1) return;
    const float *g = c->gate + i0, *u = c->up + i0;
    float *o = c->act + i0, *sig = c->sigmoid ? c->sigmoid + i0 : NULL;
    switch (c->isa) {
#if CK_X86
    case CK_ISA_AVX512: forward512(g, u, o, sig, i1 - i0); break;
    case CK_ISA_AVX2: forward256(g, u, o, sig, i1 - i0); break;
#endif
    default: forward_scalar(g, u, o, sig, i1 - i0); break;
    }
}

void ck_swiglu_forward(const float *gate, const float *up, float *act, float *sigmoid, int64_t n) {
    if (n <= 0) return;
    swiglu_ctx c = {gate, up, act, sigmoid, n, ck_isa_level()};
    ck_parallel(forward_task, &c, ck_chunks_for_elems(n, (n + 63) / 64));
}

// d act / d g = up · (σ + g·σ·(1 − σ)) = up · σ · (1 + g·(1 − σ)); d act / d up = g·σ. No exp, so plain C
// (the compiler vectorises it).
void ck_swiglu_backward(const float *gate, const float *up, const float *sigmoid, const float *dact, float *dgate,
                        float *dup, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float g = gate[i], s = sigmoid[i], d = dact[i], u = up[i];
        dgate[i] = d * u * s * (1.0f + g * (1.0f - s));
        dup[i] = d * (g * s);
    }
}

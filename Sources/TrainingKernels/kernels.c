#include "training_kernels.h"
#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define TK_X86 1
#define TK_AVX512 __attribute__((target("avx512f,avx512dq,fma")))
#else
#define TK_X86 0
#endif

// expf after Cephes: x = n·ln2 + r with |r| ≤ ln2/2, degree-6 polynomial (relative error ≈ 1e-7).
#define P0 1.9875691500E-4f
#define P1 1.3981999507E-3f
#define P2 8.3334519073E-3f
#define P3 4.1665795894E-2f
#define P4 1.6666665459E-1f
#define P5 5.0000001201E-1f
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f
#define LOG2E 1.44269504088896341f

static inline float exp_scalar(float x) {
    if (x < -104.0f) return 0.0f;
    if (x > 88.5f) x = 88.5f;
    float n = nearbyintf(x * LOG2E);
    float r = x - n * LN2_HI;
    r = r - n * LN2_LO;
    float p = P0;
    p = p * r + P1; p = p * r + P2; p = p * r + P3; p = p * r + P4; p = p * r + P5;
    p = p * (r * r) + r + 1.0f;
    return ldexpf(p, (int)n);
}

#if TK_X86
TK_AVX512 static inline __m512 exp512(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
    x = _mm512_min_ps(_mm512_set1_ps(88.5f), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
    __m512 p = _mm512_set1_ps(P0);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(P5));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

TK_AVX512 static inline __mmask16 tail_mask(int64_t remaining) {
    return remaining >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << remaining) - 1u);
}

TK_AVX512 static float exp_sum512(const float *x, float shift, float *y, int64_t n) {
    __m512 acc = _mm512_setzero_ps(), s = _mm512_set1_ps(shift);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), s));
        e = _mm512_maskz_mov_ps(m, e);
        _mm512_mask_storeu_ps(y + i, m, e);
        acc = _mm512_add_ps(acc, e);
    }
    return _mm512_reduce_add_ps(acc);
}

TK_AVX512 static float max512(const float *x, int64_t n) {
    __m512 m = _mm512_set1_ps(-INFINITY);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = tail_mask(n - i);
        m = _mm512_mask_max_ps(m, k, m, _mm512_maskz_loadu_ps(k, x + i));
    }
    return _mm512_reduce_max_ps(m);
}

TK_AVX512 static void scale512(float *x, float s, int64_t n) {
    __m512 v = _mm512_set1_ps(s);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = tail_mask(n - i);
        _mm512_mask_storeu_ps(x + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), v));
    }
}

TK_AVX512 static void swiglu_fwd512(const float *g, const float *u, float *act, float *sig, int64_t n) {
    __m512 one = _mm512_set1_ps(1.0f);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = tail_mask(n - i);
        __m512 gv = _mm512_maskz_loadu_ps(k, g + i), uv = _mm512_maskz_loadu_ps(k, u + i);
        __m512 s = _mm512_div_ps(one, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), gv))));
        _mm512_mask_storeu_ps(act + i, k, _mm512_mul_ps(_mm512_mul_ps(gv, s), uv));
        if (sig) _mm512_mask_storeu_ps(sig + i, k, s);
    }
}

TK_AVX512 static void lse_block512(float *logits, int64_t rows, int64_t cols, int64_t v0, const int32_t *targets,
                                   float *run_max, float *run_sum, float *target_logit, float *rescale) {
    for (int64_t r = 0; r < rows; r++) {
        float *row = logits + r * cols;
        int64_t t = (int64_t)targets[r] - v0;
        if (t >= 0 && t < cols) target_logit[r] = row[t];
        float bm = max512(row, cols), a = 1.0f;
        if (bm > run_max[r]) {
            a = run_max[r] == -INFINITY ? 0.0f : exp_scalar(run_max[r] - bm);
            run_sum[r] *= a;
            run_max[r] = bm;
        }
        if (rescale) rescale[r] = a;
        run_sum[r] += exp_sum512(row, run_max[r], row, cols);
    }
}

TK_AVX512 static void lsm_back512(float *logits, int64_t rows, int64_t cols, int64_t v0, const int32_t *targets,
                                  const float *lse, const float *dlp) {
    for (int64_t r = 0; r < rows; r++) {
        float *row = logits + r * cols;
        __m512 s = _mm512_set1_ps(lse[r]), d = _mm512_set1_ps(-dlp[r]);
        for (int64_t i = 0; i < cols; i += 16) {
            __mmask16 k = tail_mask(cols - i);
            __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, row + i), s));
            _mm512_mask_storeu_ps(row + i, k, _mm512_mul_ps(e, d));
        }
        int64_t t = (int64_t)targets[r] - v0;
        if (t >= 0 && t < cols) row[t] += dlp[r];
    }
}
#endif

static int avx512_state = -1;

int tk_uses_avx512(void) {
#if TK_X86
    if (avx512_state < 0) {
        __builtin_cpu_init();
        avx512_state = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") ? 1 : 0;
    }
    return avx512_state;
#else
    return 0;
#endif
}

float tk_exp_sum(const float *x, float shift, float *y, int64_t n) {
#if TK_X86
    if (tk_uses_avx512()) return exp_sum512(x, shift, y, n);
#endif
    float s = 0;
    for (int64_t i = 0; i < n; i++) { y[i] = exp_scalar(x[i] - shift); s += y[i]; }
    return s;
}

float tk_max(const float *x, int64_t n) {
#if TK_X86
    if (tk_uses_avx512()) return max512(x, n);
#endif
    float m = -INFINITY;
    for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

static void scale(float *x, float s, int64_t n) {
#if TK_X86
    if (tk_uses_avx512()) { scale512(x, s, n); return; }
#endif
    for (int64_t i = 0; i < n; i++) x[i] *= s;
}

void tk_causal_softmax(float *p, int64_t rows, int64_t cols, int64_t ld, int64_t first_visible, float *lse, int64_t lse_stride) {
    for (int64_t r = 0; r < rows; r++) {
        float *row = p + r * ld;
        int64_t visible = first_visible + r < cols ? first_visible + r : cols;
        float m = tk_max(row, visible);
        float sum = tk_exp_sum(row, m, row, visible);
        scale(row, 1.0f / sum, visible);
        if (visible < cols) memset(row + visible, 0, (size_t)(cols - visible) * sizeof(float));
        if (lse) lse[r * lse_stride] = m + logf(sum);
    }
}

void tk_causal_exp(float *p, int64_t rows, int64_t cols, int64_t ld, int64_t first_visible, const float *lse, int64_t lse_stride) {
    for (int64_t r = 0; r < rows; r++) {
        float *row = p + r * ld;
        int64_t visible = first_visible + r < cols ? first_visible + r : cols;
        (void)tk_exp_sum(row, lse[r * lse_stride], row, visible);
        if (visible < cols) memset(row + visible, 0, (size_t)(cols - visible) * sizeof(float));
    }
}

void tk_causal_softmax_backward(const float *p, float *ds, int64_t rows, int64_t cols, int64_t ld, int64_t first_visible, const float *delta) {
    for (int64_t r = 0; r < rows; r++) {
        const float *pr = p + r * ld;
        float *dr = ds + r * ld;
        int64_t visible = first_visible + r < cols ? first_visible + r : cols;
        float d = delta[r];
        for (int64_t j = 0; j < visible; j++) dr[j] = pr[j] * (dr[j] - d);
        if (visible < cols) memset(dr + visible, 0, (size_t)(cols - visible) * sizeof(float));
    }
}

void tk_swiglu_forward(const float *gate, const float *up, float *act, float *sigmoid, int64_t n) {
#if TK_X86
    if (tk_uses_avx512()) { swiglu_fwd512(gate, up, act, sigmoid, n); return; }
#endif
    for (int64_t i = 0; i < n; i++) {
        float s = 1.0f / (1.0f + exp_scalar(-gate[i]));
        act[i] = gate[i] * s * up[i];
        if (sigmoid) sigmoid[i] = s;
    }
}

void tk_swiglu_backward(const float *gate, const float *up, const float *sigmoid, const float *dact, float *dgate, float *dup, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float g = gate[i], s = sigmoid[i], d = dact[i], u = up[i];
        dgate[i] = d * u * s * (1.0f + g * (1.0f - s));
        dup[i] = d * (g * s);
    }
}

void tk_lse_block(float *logits, int64_t rows, int64_t cols, int64_t v0, const int32_t *targets, float *run_max, float *run_sum,
                  float *target_logit, float *rescale) {
#if TK_X86
    if (tk_uses_avx512()) { lse_block512(logits, rows, cols, v0, targets, run_max, run_sum, target_logit, rescale); return; }
#endif
    for (int64_t r = 0; r < rows; r++) {
        float *row = logits + r * cols;
        int64_t t = (int64_t)targets[r] - v0;
        if (t >= 0 && t < cols) target_logit[r] = row[t];
        float bm = tk_max(row, cols), a = 1.0f;
        if (bm > run_max[r]) {
            a = run_max[r] == -INFINITY ? 0.0f : exp_scalar(run_max[r] - bm);
            run_sum[r] *= a;
            run_max[r] = bm;
        }
        if (rescale) rescale[r] = a;
        run_sum[r] += tk_exp_sum(row, run_max[r], row, cols);
    }
}

void tk_logsoftmax_block_backward(float *logits, int64_t rows, int64_t cols, int64_t v0, const int32_t *targets, const float *lse, const float *dlp) {
#if TK_X86
    if (tk_uses_avx512()) { lsm_back512(logits, rows, cols, v0, targets, lse, dlp); return; }
#endif
    for (int64_t r = 0; r < rows; r++) {
        float *row = logits + r * cols;
        float d = dlp[r];
        for (int64_t j = 0; j < cols; j++) row[j] = -d * exp_scalar(row[j] - lse[r]);
        int64_t t = (int64_t)targets[r] - v0;
        if (t >= 0 && t < cols) row[t] += d;
    }
}

// Softmax and log-softmax, forward and backward.
//
// Every softmax in the target is built from three row primitives (max, exp-sum, scale) with one code
// path per ISA level: the in-place softmax of sampling here, the causal rows of training attention
// (attention.c), and the training engine's log-softmax over the vocabulary, which walks the vocabulary
// in blocks with an online log-sum-exp (forward) and recomputes each block's probabilities from the kept
// log-sum-exp (backward). All single-threaded: callers split the rows or blocks.
#include "ck_internal.h"
#include "ck_simd.h"
#include <math.h>

// ---------------------------------------------------------------- row primitives

#if CK_X86
CK_AVX512 static float max512(const float *x, int64_t n) {
    __m512 mx = _mm512_set1_ps(-__builtin_inff());
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = ck_mask512(n - i);
        mx = _mm512_mask_max_ps(mx, mk, mx, _mm512_maskz_loadu_ps(mk, x + i));
    }
    return ck_hmax512(mx);
}

CK_AVX512 static float exp_sum512(const float *x, float shift, float *y, int64_t n) {
    __m512 s = _mm512_set1_ps(shift), sum = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = ck_mask512(n - i);
        __m512 e = ck_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(mk, x + i), s));
        e = _mm512_maskz_mov_ps(mk, e);
        sum = _mm512_add_ps(sum, e);
        _mm512_mask_storeu_ps(y + i, mk, e);
    }
    return ck_hsum512(sum);
}

CK_AVX512 static void scale512(float *x, float s, int64_t n) {
    __m512 v = _mm512_set1_ps(s);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = ck_mask512(n - i);
        _mm512_mask_storeu_ps(x + i, mk, _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, x + i), v));
    }
}

CK_AVX512 static void scaled_exp512(float *x, float shift, float c, int64_t n) {
    __m512 s = _mm512_set1_ps(shift), cv = _mm512_set1_ps(c);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 mk = ck_mask512(n - i);
        __m512 e = ck_exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(mk, x + i), s));
        _mm512_mask_storeu_ps(x + i, mk, _mm512_mul_ps(e, cv));
    }
}

CK_AVX2 static float max256(const float *x, int64_t n) {
    __m256 mx = _mm256_set1_ps(-__builtin_inff());
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(x + i));
    float m = ck_hmax256(mx);
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    return m;
}

CK_AVX2 static float exp_sum256(const float *x, float shift, float *y, int64_t n) {
    __m256 s = _mm256_set1_ps(shift), sum = _mm256_setzero_ps();
    for (int64_t i = 0; i < n; i += 8) {
        __m256i mk = ck_mask256(n - i);
        __m256 e = ck_exp256(_mm256_sub_ps(_mm256_maskload_ps(x + i, mk), s));
        e = _mm256_and_ps(e, _mm256_castsi256_ps(mk));
        sum = _mm256_add_ps(sum, e);
        _mm256_maskstore_ps(y + i, mk, e);
    }
    return ck_hsum256(sum);
}

CK_AVX2 static void scale256(float *x, float s, int64_t n) {
    __m256 v = _mm256_set1_ps(s);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), v));
    for (; i < n; i++) x[i] *= s;
}

CK_AVX2 static void scaled_exp256(float *x, float shift, float c, int64_t n) {
    __m256 s = _mm256_set1_ps(shift), cv = _mm256_set1_ps(c);
    for (int64_t i = 0; i < n; i += 8) {
        __m256i mk = ck_mask256(n - i);
        __m256 e = ck_exp256(_mm256_sub_ps(_mm256_maskload_ps(x + i, mk), s));
        _mm256_maskstore_ps(x + i, mk, _mm256_mul_ps(e, cv));
    }
}
#endif

float ck_row_max(int isa, const float *x, int64_t n) {
    switch (isa) {
#if CK_X86
    case CK_ISA_AVX512: return max512(x, n);
    case CK_ISA_AVX2: return max256(x, n);
#endif
    default: {
        float m = -__builtin_inff();
        for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
        return m;
    }
    }
}

float ck_row_exp_sum(int isa, const float *x, float shift, float *y, int64_t n) {
    switch (isa) {
#if CK_X86
    case CK_ISA_AVX512: return exp_sum512(x, shift, y, n);
    case CK_ISA_AVX2: return exp_sum256(x, shift, y, n);
#endif
    default: {
        float s[8] = {0};
        for (int64_t i = 0; i < n; i++) {
            y[i] = expf(x[i] - shift);
            s[i & 7] += y[i];
        }
        return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    }
    }
}

void ck_row_scale(int isa, float *x, float s, int64_t n) {
    switch (isa) {
#if CK_X86
    case CK_ISA_AVX512: scale512(x, s, n); break;
    case CK_ISA_AVX2: scale256(x, s, n); break;
#endif
    default:
        for (int64_t i = 0; i < n; i++) x[i] *= s;
        break;
    }
}

void ck_row_scaled_exp(int isa, float *x, float shift, float c, int64_t n) {
    switch (isa) {
#if CK_X86
    case CK_ISA_AVX512: scaled_exp512(x, shift, c, n); break;
    case CK_ISA_AVX2: scaled_exp256(x, shift, c, n); break;
#endif
    default:
        for (int64_t i = 0; i < n; i++) x[i] = expf(x[i] - shift) * c;
        break;
    }
}

float ck_max(const float *x, int64_t n) { return ck_row_max(ck_isa_level(), x, n); }

float ck_exp_sum(const float *x, float shift, float *y, int64_t n) {
    return ck_row_exp_sum(ck_isa_level(), x, shift, y, n);
}

// ---------------------------------------------------------------- softmax

void ck_softmax_inplace(float *x, int64_t n) {
    if (n <= 0) return;
    int isa = ck_isa_level();
    float m = ck_row_max(isa, x, n);
    ck_row_scale(isa, x, 1.0f / ck_row_exp_sum(isa, x, m, x, n), n);
}

// ---------------------------------------------------------------- log-softmax over vocabulary blocks

void ck_logsoftmax_block_forward(float *logits, int64_t rows, int64_t cols, int64_t v0, const int32_t *targets,
                                 float *run_max, float *run_sum, float *target_logit, float *rescale) {
    int isa = ck_isa_level();
    for (int64_t r = 0; r < rows; r++) {
        float *row = logits + r * cols;
        int64_t t = (int64_t)targets[r] - v0;
        if (t >= 0 && t < cols) target_logit[r] = row[t];
        float bm = ck_row_max(isa, row, cols), a = 1.0f;
        if (bm > run_max[r]) {
            a = run_max[r] == -__builtin_inff() ? 0.0f : expf(run_max[r] - bm);
            run_sum[r] *= a;
            run_max[r] = bm;
        }
        if (rescale) rescale[r] = a;
        run_sum[r] += ck_row_exp_sum(isa, row, run_max[r], row, cols);
    }
}

void ck_logsoftmax_block_backward(float *logits, int64_t rows, int64_t cols, int64_t v0, const int32_t *targets,
                                  const float *lse, const float *dlp) {
    int isa = ck_isa_level();
    for (int64_t r = 0; r < rows; r++) {
        float *row = logits + r * cols;
        ck_row_scaled_exp(isa, row, lse[r], -dlp[r], cols);
        int64_t t = (int64_t)targets[r] - v0;
        if (t >= 0 && t < cols) row[t] += dlp[r];
    }
}

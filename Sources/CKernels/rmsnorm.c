// RMSNorm as Qwen2RMSNorm in float32 for the inference engine (the training engine's RMSNorm keeps rstd for its
// backward and is Swift). Rows are split across threads when the work pays for a dispatch (prefill); each row
// is computed the same way whatever the split.
#include "ck_internal.h"
#include "ck_simd.h"
#include <math.h>

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
            __mmask16 mk = ck_mask512(d - i);
            __m512 u = _mm512_maskz_loadu_ps(mk, x + i);
            a0 = _mm512_fmadd_ps(u, u, a0);
        }
        float ss = ck_hsum512(_mm512_add_ps(a0, a1));
        __m512 s = _mm512_set1_ps(1.0f / sqrtf(ss / (float)d + c->eps));
        for (i = 0; i < d; i += 16) {
            __mmask16 mk = ck_mask512(d - i);
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
    ck_parallel(rms_task, &c, ck_chunks_for_elems(rows * dim, rows));
}

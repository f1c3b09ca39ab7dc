// Streaming-read bandwidth, the roof that memory-bound kernels (decode linears) are measured against.
// Like those kernels it prefetches well ahead in software: in these VMs the hardware prefetcher alone
// often leaves bandwidth unused.
#include "ck_internal.h"
#include "ck_simd.h"
#include <time.h>

typedef struct {
    const float *buf;
    size_t n;
    int isa;
    float sums[256];
} bw_ctx;

// Prefetch distance: 8 KiB ahead of the loads.
#define PREFETCH_FLOATS 2048

#if CK_X86
CK_AVX512 static float sum512(const float *p, size_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        _mm_prefetch((const char *)(p + i + PREFETCH_FLOATS), _MM_HINT_T0);
        _mm_prefetch((const char *)(p + i + PREFETCH_FLOATS + 16), _MM_HINT_T0);
        _mm_prefetch((const char *)(p + i + PREFETCH_FLOATS + 32), _MM_HINT_T0);
        _mm_prefetch((const char *)(p + i + PREFETCH_FLOATS + 48), _MM_HINT_T0);
        a0 = _mm512_add_ps(a0, _mm512_loadu_ps(p + i));
        a1 = _mm512_add_ps(a1, _mm512_loadu_ps(p + i + 16));
        a2 = _mm512_add_ps(a2, _mm512_loadu_ps(p + i + 32));
        a3 = _mm512_add_ps(a3, _mm512_loadu_ps(p + i + 48));
    }
    float s = ck_hsum512(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    for (; i < n; i++) s += p[i];
    return s;
}

CK_AVX2 static float sum256(const float *p, size_t n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        _mm_prefetch((const char *)(p + i + PREFETCH_FLOATS), _MM_HINT_T0);
        _mm_prefetch((const char *)(p + i + PREFETCH_FLOATS + 16), _MM_HINT_T0);
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 16));
        a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 24));
    }
    float s = ck_hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) s += p[i];
    return s;
}
#endif

static float sum_scalar(const float *p, size_t n) {
    float a[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) a[l] += p[i + l];
    for (; i < n; i++) a[0] += p[i];
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

static void bw_task(void *pc, int chunk, int nchunks) {
    bw_ctx *c = pc;
    int64_t i0, i1;
    ck_split((int64_t)c->n, 16, chunk, nchunks, &i0, &i1);
    const float *p = c->buf + i0;
    size_t n = (size_t)(i1 - i0);
    float s;
    switch (c->isa) {
#if CK_X86
    case CK_ISA_AVX512: s = sum512(p, n); break;
    case CK_ISA_AVX2: s = sum256(p, n); break;
#endif
    default: s = sum_scalar(p, n); break;
    }
    c->sums[chunk & 255] = s;
}

double ck_read_bandwidth(const float *buf, size_t n, int repeats) {
    if (n == 0) return 0;
    bw_ctx c = {.buf = buf, .n = n, .isa = ck_isa_level()};
    double best = 0;
    for (int r = 0; r < (repeats > 0 ? repeats : 1); r++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        ck_parallel(bw_task, &c, ck_chunks((int64_t)(n / 4096), 8));
        clock_gettime(CLOCK_MONOTONIC, &b);
        double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
        double gbs = (double)n * sizeof(float) / s * 1e-9;
        if (gbs > best) best = gbs;
    }
    volatile float sink = c.sums[0];
    (void)sink;
    return best;
}

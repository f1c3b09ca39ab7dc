// Internal declarations shared by the CKernels sources (not part of the public header).
#ifndef CK_INTERNAL_H
#define CK_INTERNAL_H
#include "ckernels.h"
#include <stddef.h>
#include <stdint.h>

// CK_PORTABLE_ONLY builds the plain C paths alone (used to check them on x86).
#if (defined(__x86_64__) || defined(__i386__)) && !defined(CK_PORTABLE_ONLY)
#define CK_X86 1
#include <immintrin.h>
// Function-level ISA variants: the target is compiled for baseline x86-64; these functions are only
// called after ck_isa_level() has confirmed that the CPU (and OS) support them.
#define CK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma")))
#define CK_AVX2 __attribute__((target("avx2,fma")))
#else
#define CK_X86 0
#endif

#define CK_INLINE static inline __attribute__((always_inline))

// Small-batch linear layers (linear.c, linear_bf16dot.c): rows of up to CK_SINGLE_STREAM_K values are read one weight
// row at a time where that pays (batch 1; batches of 5–8 on vdpbf16ps), so each thread's share of W is one linear
// stream, prefetched CK_PF_BYTES ahead of the loads (linear.c has the measurements).
#define CK_PF_BYTES 512
#define CK_SINGLE_STREAM_K 2048

/// One bfloat16 value (raw bits) as float32.
CK_INLINE float ck_bf16_value(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}

/// float32 → bfloat16 bits, round to nearest even; NaN stays NaN (quiet).
CK_INLINE uint16_t ck_bf16_round(float f) {
    uint32_t x;
    __builtin_memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

/// A piece of parallel work: chunk `chunk` of `nchunks`. The function partitions the work by chunk
/// index only (never by thread), so results do not depend on which thread runs which chunk.
typedef void (*ck_task_fn)(void *ctx, int chunk, int nchunks);

/// Runs fn(ctx, i, nchunks) for every i in 0..<nchunks, spread over the pool (the caller takes part),
/// and returns when all are done. nchunks <= 1 or a one-thread pool runs them inline on the caller.
/// Calls from different threads are serialised.
void ck_parallel(ck_task_fn fn, void *ctx, int nchunks);

/// A chunk count for `units` independent units of work: 1 for a one-thread pool, else
/// min(units, threads · per_thread).
int ck_chunks(int64_t units, int per_thread);

/// Elements below which threading an elementwise kernel does not pay for the dispatch (a few µs).
#define CK_PAR_MIN_ELEMS (64 * 1024)

/// The chunk count for an elementwise kernel over `elems` values in `units` independent units: 1 below
/// CK_PAR_MIN_ELEMS, else ck_chunks(units, 4).
CK_INLINE int ck_chunks_for_elems(int64_t elems, int64_t units) {
    return elems >= CK_PAR_MIN_ELEMS ? ck_chunks(units, 4) : 1;
}

/// Splits [0, n) into `nth` contiguous parts whose boundaries are multiples of `align` (except the end).
CK_INLINE void ck_split(int64_t n, int64_t align, int tid, int nth, int64_t *lo, int64_t *hi) {
    int64_t blocks = (n + align - 1) / align;
    int64_t b0 = blocks * tid / nth, b1 = blocks * (tid + 1) / nth;
    *lo = b0 * align < n ? b0 * align : n;
    *hi = b1 * align < n ? b1 * align : n;
}

/// Thread-local scratch buffer of at least `bytes` bytes, 64-byte aligned; `slot` 0 or 1 gives two
/// independent buffers. Valid until the next call with the same slot on the same thread.
void *ck_scratch(int slot, size_t bytes);

// Row primitives of every softmax in the target (softmax.c), at an explicit ISA level so that one call
// uses one level throughout. Single-threaded.

/// Largest of x[0..<n] (-inf for n = 0).
float ck_row_max(int isa, const float *x, int64_t n);
/// y[i] = exp(x[i] - shift); returns Σ y[i]. x and y may alias.
float ck_row_exp_sum(int isa, const float *x, float shift, float *y, int64_t n);
/// x[i] *= s.
void ck_row_scale(int isa, float *x, float s, int64_t n);
/// x[i] = c · exp(x[i] - shift).
void ck_row_scaled_exp(int isa, float *x, float shift, float c, int64_t n);

#endif

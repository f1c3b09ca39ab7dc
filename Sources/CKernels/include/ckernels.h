#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>
#include <stdint.h>

/// Widens `n` bfloat16 values (raw bits) to float32.
void ck_bf16_to_f32(const uint16_t *src, float *dst, size_t n);
/// Narrows `n` float32 values to bfloat16 with round-to-nearest-even (NaN stays NaN).
void ck_f32_to_bf16(const float *src, uint16_t *dst, size_t n);
/// Widens `n` IEEE half values (raw bits) to float32.
void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n);

#endif

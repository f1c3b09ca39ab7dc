#ifndef TRAINING_KERNELS_H
#define TRAINING_KERNELS_H
#include <stddef.h>
#include <stdint.h>

// Elementwise kernels of the training engine's hot loops (exp-heavy: attention softmax, vocabulary log-softmax,
// SwiGLU). AVX-512 when the CPU has it, portable scalar code otherwise; same polynomial on both paths.

/// y[i] = exp(x[i] - shift); returns the sum of y. x and y may alias.
float tk_exp_sum(const float *x, float shift, float *y, int64_t n);
/// Largest of n > 0 values.
float tk_max(const float *x, int64_t n);
/// Softmax of each row's first visible[r] = first_visible + r values (causal rows), zeros after them, and
/// lse[r * lse_stride] = log-sum-exp of the visible scores. p: [rows, ld] (scores on entry, probabilities on return).
void tk_causal_softmax(float *p, int64_t rows, int64_t cols, int64_t ld, int64_t first_visible, float *lse, int64_t lse_stride);
/// Recomputes probabilities from kept log-sum-exps: p[r, j] = exp(p[r, j] - lse[r * lse_stride]) for
/// j < first_visible + r, 0 after.
void tk_causal_exp(float *p, int64_t rows, int64_t cols, int64_t ld, int64_t first_visible, const float *lse, int64_t lse_stride);
/// Softmax backward through the causal rows: ds[r, j] = p[r, j] * (ds[r, j] - delta[r]) where visible, 0 after.
void tk_causal_softmax_backward(const float *p, float *ds, int64_t rows, int64_t cols, int64_t ld, int64_t first_visible, const float *delta);
/// act = silu(gate) * up; sigmoid (nullable) receives σ(gate).
void tk_swiglu_forward(const float *gate, const float *up, float *act, float *sigmoid, int64_t n);
/// dgate = dact * up * σ * (1 + g(1 - σ)); dup = dact * g * σ. dgate may alias dact, dup may alias sigmoid.
void tk_swiglu_backward(const float *gate, const float *up, const float *sigmoid, const float *dact, float *dgate, float *dup, int64_t n);
/// Online log-sum-exp over one vocabulary block of logits [rows, cols] (row stride cols), rows of the running
/// max/sum. On return logits[r, j] = exp(logit - run_max[r]) (the updated running max), and rescale[r] (nullable) is
/// the factor the previous running sum was multiplied by (0 on the first block). target_logit[r] receives the logit of
/// targets[r] - v0 when it lies in the block.
void tk_lse_block(float *logits, int64_t rows, int64_t cols, int64_t v0, const int32_t *targets, float *run_max, float *run_sum,
                  float *target_logit, float *rescale);
/// Gradient of log-probs through one vocabulary block: logits[r, j] = dlp[r] * ([v0 + j == target] - exp(logits - lse[r])).
void tk_logsoftmax_block_backward(float *logits, int64_t rows, int64_t cols, int64_t v0, const int32_t *targets, const float *lse, const float *dlp);
/// 1 when the AVX-512 path is used.
int tk_uses_avx512(void);

#endif

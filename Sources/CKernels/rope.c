// Rotary position embedding (inference; the training engine rotates in Swift from a precomputed table).
// Tokens are split across threads when the work pays for a dispatch (prefill).
#include "ck_internal.h"
#include <math.h>

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
    ck_parallel(rope_task, &c, ck_chunks_for_elems(ntok * nheads * head_dim, ntok));
}

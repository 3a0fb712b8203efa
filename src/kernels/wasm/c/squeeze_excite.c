/*
 * Squeeze-excitation, x [batch, hw, c] (NHWC with the spatial axes flattened):
 *   s = sigmoid(expand(act(reduce(mean_hw(x)))));  y = x · s (per channel)
 * reduce: weight [c, cs] + bias [cs]; expand: weight [cs, c] + bias [c].
 * Two passes over x (sum, then scale) instead of tfjs' mean, two convs, two activations
 * and a broadcast multiply. `inAct` optionally applies an activation to x first (the
 * producer's SiLU in EfficientNet), so that pass is folded in too: y then holds act(x)
 * between the passes.
 * `scratch` is caller-allocated: 2·round4(c) + round4(cs) floats (no C stack here).
 */
#include "simd.h"

/* sum[c] = Σ_hw act(x[hw, c]); with inAct, also writes act(x) to y. Channels 8 at a time. */
static void channel_sums(const float *x, float *y, float *sum, int hw, int c, int inAct) {
  int ch = 0;
  for (; ch + 8 <= c; ch += 8) {
    f4 s0 = splat(0.0f), s1 = splat(0.0f);
    for (int i = 0; i < hw; i++) {
      f4 v0 = activate(load4(x + i * c + ch), inAct), v1 = activate(load4(x + i * c + ch + 4), inAct);
      if (inAct != ACT_LINEAR) {
        store4(y + i * c + ch, v0);
        store4(y + i * c + ch + 4, v1);
      }
      s0 = wasm_f32x4_add(s0, v0);
      s1 = wasm_f32x4_add(s1, v1);
    }
    store4(sum + ch, s0);
    store4(sum + ch + 4, s1);
  }
  for (; ch < c; ch += 4) {
    const int lanes = c - ch < 4 ? c - ch : 4;
    f4 s = splat(0.0f);
    for (int i = 0; i < hw; i++) {
      f4 v = activate(load_n(x + i * c + ch, lanes), inAct);
      if (inAct != ACT_LINEAR) store_n(y + i * c + ch, v, lanes);
      s = wasm_f32x4_add(s, v);
    }
    store_n(sum + ch, s, lanes);
  }
}

/* out[j] = act(bias[j] + scale · Σ_i in[i] · w[i, j]) for j < m; w is [n, m]. */
static void mat_vec(const float *in, float scale, const float *w, const float *bias, float *out,
                    int n, int m, int act, int sigmoidOut) {
  for (int j = 0; j < m; j += 4) {
    const int lanes = m - j < 4 ? m - j : 4;
    f4 acc = splat(0.0f);
    for (int i = 0; i < n; i++) acc = madd(acc, splat(in[i]), load_n(w + i * m + j, lanes));
    acc = wasm_f32x4_add(wasm_f32x4_mul(acc, splat(scale)), load_n(bias + j, lanes));
    acc = sigmoidOut ? sigmoid4(acc) : activate(acc, act);
    store_n(out + j, acc, lanes);
  }
}

/* y[hw, c] = x[hw, c] · s[c]. */
static void scale_channels(const float *x, const float *s, float *y, int hw, int c) {
  for (int i = 0; i < hw; i++) {
    const float *xi = x + i * c;
    float *yi = y + i * c;
    int ch = 0;
    for (; ch + 4 <= c; ch += 4) store4(yi + ch, wasm_f32x4_mul(load4(xi + ch), load4(s + ch)));
    if (ch < c) store_n(yi + ch, wasm_f32x4_mul(load_n(xi + ch, c - ch), load_n(s + ch, c - ch)), c - ch);
  }
}

EXPORT(squeeze_excite)
void squeeze_excite(const float *x, const float *wReduce, const float *bReduce,
                    const float *wExpand, const float *bExpand, float *y, float *scratch,
                    int batch, int hw, int c, int cs, int act, int inAct) {
  const int c4 = (c + 3) & ~3;
  float *sum = scratch, *gate = scratch + c4, *hidden = scratch + 2 * c4;
  for (int b = 0; b < batch; b++) {
    const float *xb = x + b * hw * c;
    float *yb = y + b * hw * c;
    channel_sums(xb, yb, sum, hw, c, inAct);
    mat_vec(sum, 1.0f / (float)hw, wReduce, bReduce, hidden, c, cs, act, 0);
    mat_vec(hidden, 1.0f, wExpand, bExpand, gate, cs, c, ACT_LINEAR, 1);
    scale_channels(inAct != ACT_LINEAR ? yb : xb, gate, yb, hw, c);
  }
}

/*
 * Squeeze-excitation, x [batch, hw, c] (NHWC with the spatial axes flattened):
 *   s = sigmoid(expand(act(reduce(mean_hw(x)))));  y = x · s (per channel)
 * reduce: weight [c, cs] + bias [cs]; expand: weight [cs, c] + bias [c].
 * Two streaming passes over x (sum, then scale) instead of tfjs' mean, two convs, two
 * activations and a broadcast multiply. `inAct` optionally applies an activation to x
 * first (the producer's SiLU in EfficientNet), folding that pass in too: y then holds
 * act(x) between the passes.
 * `scratch` is caller-allocated, 2·round4(c) + round4(cs) floats (no C stack here);
 * `kc` is the constants table (simd.h).
 */
#include "simd.h"

/*
 * sum[c] = Σ_hw act(x[hw, c]), pixel by pixel so memory streams once (channel blocks
 * with an inner pixel loop re-read every cache line once per block: slower than the
 * stock ops at 56×56×144); with inAct, also writes act(x) to y.
 */
static void channel_sums(const float *x, float *y, float *sum, int hw, int c, int inAct,
                         const float *kc) {
  const Consts k = load_consts(kc);
  const int full = c & ~3, lanes = c - full;
  for (int ch = 0; ch < c; ch += 4) store4(sum + ch, splat(0.0f));
  for (int i = 0; i < hw; i++) {
    const float *xi = x + i * c;
    float *yi = y + i * c;
    for (int ch = 0; ch < full; ch += 4) {
      f4 v = activate(load4(xi + ch), inAct, k);
      if (inAct != ACT_LINEAR) store4(yi + ch, v);
      store4(sum + ch, wasm_f32x4_add(load4(sum + ch), v));
    }
    if (lanes > 0) {
      f4 v = activate(load_n(xi + full, lanes), inAct, k);
      if (inAct != ACT_LINEAR) store_n(yi + full, v, lanes);
      store4(sum + full, wasm_f32x4_add(load4(sum + full), v));
    }
  }
}

/* out[j] = f(bias[j] + scale · Σ_i in[i] · w[i, j]) for j < m, w [n, m]; f = act or sigmoid. */
static void mat_vec(const float *in, float scale, const float *w, const float *bias, float *out,
                    int n, int m, int act, int sigmoidOut, const float *kc) {
  const Consts k = load_consts(kc);
  for (int j = 0; j < m; j += 4) {
    const int lanes = m - j < 4 ? m - j : 4;
    f4 acc = splat(0.0f);
    for (int i = 0; i < n; i++) acc = madd(acc, splat(in[i]), load_n(w + i * m + j, lanes));
    acc = madd(load_n(bias + j, lanes), acc, splat(scale));
    acc = sigmoidOut ? sigmoid4(acc, k) : activate(acc, act, k);
    store_n(out + j, acc, lanes);
  }
}

/* y[hw, c] = x[hw, c] · s[c]. */
static void scale_channels(const float *x, const float *s, float *y, int hw, int c) {
  const int full = c & ~3, lanes = c - full;
  for (int i = 0; i < hw; i++) {
    const float *xi = x + i * c;
    float *yi = y + i * c;
    for (int ch = 0; ch < full; ch += 4) store4(yi + ch, wasm_f32x4_mul(load4(xi + ch), load4(s + ch)));
    if (lanes > 0) store_n(yi + full, wasm_f32x4_mul(load_n(xi + full, lanes), load4(s + full)), lanes);
  }
}

EXPORT(squeeze_excite)
void squeeze_excite(const float *x, const float *wReduce, const float *bReduce,
                    const float *wExpand, const float *bExpand, float *y, float *scratch,
                    int batch, int hw, int c, int cs, int act, int inAct, const float *kc) {
  const int c4 = (c + 3) & ~3;
  float *sum = scratch, *gate = scratch + c4, *hidden = scratch + 2 * c4;
  for (int b = 0; b < batch; b++) {
    const float *xb = x + b * hw * c;
    float *yb = y + b * hw * c;
    channel_sums(xb, yb, sum, hw, c, inAct, kc);
    mat_vec(sum, 1.0f / (float)hw, wReduce, bReduce, hidden, c, cs, act, 0, kc);
    mat_vec(hidden, 1.0f, wExpand, bExpand, gate, cs, c, ACT_LINEAR, 1, kc);
    scale_channels(inAct != ACT_LINEAR ? yb : xb, gate, yb, hw, c);
  }
}

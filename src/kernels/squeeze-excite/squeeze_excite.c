/*
 * Squeeze-excitation, x [batch, hw, c] (NHWC with the spatial axes flattened):
 *   s = sigmoid(expand(act(reduce(mean_hw(x)))));  y = x · s (per channel)
 * reduce: weight [c, cs] + bias [cs]; expand: weight [cs, c] + bias [c].
 * Two streaming passes over x (sum, then scale) instead of tfjs' mean, two convs, two
 * activations and a broadcast multiply. `inAct` optionally applies an activation to x
 * first (the producer's SiLU in EfficientNet), folding that pass in too: y then holds
 * act(x) between the passes.
 *
 * Three exports, so the two passes can be split over the kernel pool's threads (their last
 * arguments: part, parts) and the tiny gate computation runs once between them:
 *   se_sums (pixel slices) → se_gates (one thread) → se_scale (pixel slices).
 * Both passes split by pixels, as the convs split by rows: a thread then reads mostly the
 * rows it wrote in the previous kernel, from its own core's cache. Each slice sums into its
 * own row of `partials` (parts · batch · round4(c) floats, caller-allocated: no C stack here);
 * se_gates adds the rows up. `gates` holds batch · round4(c) floats, `hidden` round4(cs);
 * `kc` is the constants table (simd.h).
 */
#include "simd.h"

/* First pixel of slice `part` of `pixels` (over the batch, images back to back). */
static int slice_start(int pixels, int part, int parts) {
  return (int)((long long)part * pixels / parts);
}

/*
 * partials[part, b, :] = Σ act(x[b, i, :]) over this part's pixels i of image b, pixel by
 * pixel so memory streams once (channel blocks with an inner pixel loop re-read every
 * cache line once per block: slower than the stock ops at 56×56×144); with inAct, also
 * writes act(x) to y.
 */
EXPORT(se_sums)
void se_sums(const float *x, float *y, float *partials, int batch, int hw, int c, int inAct,
             const float *kc, int part, int parts) {
  const Consts k = load_consts(kc);
  const int c4 = (c + 3) & ~3, full = c & ~3, lanes = c - full;
  float *rows = partials + part * batch * c4;
  for (int i = 0; i < batch * c4; i += 4) store4(rows + i, splat(0.0f));
  const int last = slice_start(batch * hw, part + 1, parts);
  for (int i = slice_start(batch * hw, part, parts); i < last;) {
    const int image = i / hw, end = (image + 1) * hw < last ? (image + 1) * hw : last;
    float *sum = rows + image * c4;
    for (; i < end; i++) {
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

/*
 * gates[b] = sigmoid(expand(act(reduce(mean)))), the mean of image b from the `parts` rows
 * of partial sums (added up into the first row).
 */
EXPORT(se_gates)
void se_gates(float *partials, int parts, const float *wReduce, const float *bReduce,
              const float *wExpand, const float *bExpand, float *gates, float *hidden, int batch,
              int hw, int c, int cs, int act, const float *kc) {
  const int c4 = (c + 3) & ~3, n = batch * c4;
  for (int p = 1; p < parts; p++) {
    for (int i = 0; i < n; i += 4) {
      store4(partials + i, wasm_f32x4_add(load4(partials + i), load4(partials + p * n + i)));
    }
  }
  for (int b = 0; b < batch; b++) {
    mat_vec(partials + b * c4, 1.0f / (float)hw, wReduce, bReduce, hidden, c, cs, act, 0, kc);
    mat_vec(hidden, 1.0f, wExpand, bExpand, gates + b * c4, cs, c, ACT_LINEAR, 1, kc);
  }
}

/* y[b, hw, c] = x[b, hw, c] · gates[b, c] for this part's pixels (x may be y). */
EXPORT(se_scale)
void se_scale(const float *x, const float *gates, float *y, int batch, int hw, int c, int part,
              int parts) {
  const int c4 = (c + 3) & ~3, full = c & ~3, lanes = c - full;
  const int last = slice_start(batch * hw, part + 1, parts);
  for (int i = slice_start(batch * hw, part, parts); i < last;) {
    const int image = i / hw, end = (image + 1) * hw < last ? (image + 1) * hw : last;
    const float *s = gates + image * c4;
    for (; i < end; i++) {
      const float *xi = x + i * c;
      float *yi = y + i * c;
      for (int ch = 0; ch < full; ch += 4) store4(yi + ch, wasm_f32x4_mul(load4(xi + ch), load4(s + ch)));
      if (lanes > 0) store_n(yi + full, wasm_f32x4_mul(load_n(xi + full, lanes), load4(s + full)), lanes);
    }
  }
}

/*
 * A residual sum and its activation in one pass: what tfjs runs as add, then relu (each a
 * full pass over memory plus a fresh output tensor). `k` is the constants table (simd.h).
 */
#include "simd.h"

/* y = act(a + b), same shapes: a residual sum and its activation. */
EXPORT(add_act)
void add_act(const float *a, const float *b, float *y, int n, int act, const float *k) {
  const Consts c = load_consts(k);
  int i = 0;
  for (; i + 4 <= n; i += 4) store4(y + i, activate(wasm_f32x4_add(load4(a + i), load4(b + i)), act, c));
  if (i < n) {
    f4 sum = wasm_f32x4_add(load_n(a + i, n - i), load_n(b + i, n - i));
    store_n(y + i, activate(sum, act, c), n - i);
  }
}

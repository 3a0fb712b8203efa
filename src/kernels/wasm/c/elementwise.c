/*
 * One-pass elementwise kernels: what tfjs would run as two or three ops (each a full
 * pass over memory plus a fresh output tensor) done in a single read-and-write pass.
 */
#include "simd.h"

/* y = x · sigmoid(x) (SiLU / swish). */
EXPORT(silu)
void silu(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    store4(y + i, silu4(load4(x + i)));
    store4(y + i + 4, silu4(load4(x + i + 4)));
  }
  for (; i < n; i += 4) store_n(y + i, silu4(load_n(x + i, n - i)), n - i);
}

/* y = act(a + b), same shapes: a residual sum and its activation. */
EXPORT(add_act)
void add_act(const float *a, const float *b, float *y, int n, int act) {
  int i = 0;
  for (; i + 4 <= n; i += 4) store4(y + i, activate(wasm_f32x4_add(load4(a + i), load4(b + i)), act));
  if (i < n) store_n(y + i, activate(wasm_f32x4_add(load_n(a + i, n - i), load_n(b + i, n - i)), act), n - i);
}

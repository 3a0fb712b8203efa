/*
 * SiLU in one pass: what tfjs runs as two ops (sigmoid, then mul: each a full pass over
 * memory plus a fresh output tensor) in a single read-and-write pass. `k` is the
 * constants table (simd.h).
 */
#include "simd.h"

/*
 * y = x · sigmoid(x) (SiLU / swish). Four independent vectors per iteration: one
 * sigmoid is a long dependent chain, and V8 does not interleave iterations for us.
 */
EXPORT(silu)
void silu(const float *x, float *y, int n, const float *k) {
  const Consts c = load_consts(k);
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    f4 a = load4(x + i), b = load4(x + i + 4), d = load4(x + i + 8), e = load4(x + i + 12);
    store4(y + i, silu4(a, c));
    store4(y + i + 4, silu4(b, c));
    store4(y + i + 8, silu4(d, c));
    store4(y + i + 12, silu4(e, c));
  }
  for (; i < n; i += 4) store_n(y + i, silu4(load_n(x + i, n - i), c), n - i);
}

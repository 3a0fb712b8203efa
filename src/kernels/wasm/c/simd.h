/*
 * Shared SIMD helpers for the webnets WASM kernels.
 *
 * The module runs inside the tfjs WASM backend's memory (imported, never owned):
 * no static data, no C stack. Everything here is `static inline` on v128 values, so
 * it lives in wasm locals; the build checks the binary for data segments and for
 * any use of the stack pointer global.
 */
#ifndef WEBNETS_SIMD_H
#define WEBNETS_SIMD_H

#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name), visibility("default")))
#define INLINE static inline __attribute__((always_inline))

typedef v128_t f4;

/* Activation codes: keep in sync with ACTIVATION_CODES in ../register.ts. */
enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_SILU = 2 };

INLINE f4 splat(float v) { return wasm_f32x4_splat(v); }
INLINE f4 load4(const float *p) { return wasm_v128_load(p); }
INLINE void store4(float *p, f4 v) { wasm_v128_store(p, v); }
INLINE f4 madd(f4 acc, f4 a, f4 b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }

/* Loads lanes [0, n) of p (n in 1..4); the other lanes are 0. Never reads past p[n-1]. */
INLINE f4 load_n(const float *p, int n) {
  if (n >= 4) return wasm_v128_load(p);
  f4 v = wasm_v128_load32_zero(p);
  if (n > 1) v = wasm_v128_load32_lane(p + 1, v, 1);
  if (n > 2) v = wasm_v128_load32_lane(p + 2, v, 2);
  return v;
}

/* Stores lanes [0, n) of v to p (n in 1..4). */
INLINE void store_n(float *p, f4 v, int n) {
  if (n >= 4) {
    wasm_v128_store(p, v);
    return;
  }
  wasm_v128_store32_lane(p, v, 0);
  if (n > 1) wasm_v128_store32_lane(p + 1, v, 1);
  if (n > 2) wasm_v128_store32_lane(p + 2, v, 2);
}

/*
 * exp(t) for t <= 0, about 2 ulp: t = n·ln2 + r with |r| <= ln2/2, exp(r) by Cephes'
 * expf polynomial, 2^n built in the exponent bits. Below -87.3 the result flushes to 0
 * (the true value is subnormal there), which keeps 2^n a normal float.
 */
INLINE f4 exp_nonpositive(f4 t) {
  const f4 lo = splat(-87.33654f);
  f4 underflow = wasm_f32x4_lt(t, lo);
  t = wasm_f32x4_pmax(lo, t);
  f4 n = wasm_f32x4_nearest(wasm_f32x4_mul(t, splat(1.44269504088896341f)));
  f4 r = wasm_f32x4_sub(t, wasm_f32x4_mul(n, splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, splat(-2.12194440e-4f)));
  f4 p = splat(1.9875691500e-4f);
  p = madd(splat(1.3981999507e-3f), p, r);
  p = madd(splat(8.3334519073e-3f), p, r);
  p = madd(splat(4.1665795894e-2f), p, r);
  p = madd(splat(1.6666665459e-1f), p, r);
  p = madd(splat(5.0000001201e-1f), p, r);
  f4 r2 = wasm_f32x4_mul(r, r);
  p = wasm_f32x4_add(madd(r, p, r2), splat(1.0f));
  v128_t bits = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_v128_andnot(wasm_f32x4_mul(p, bits), underflow);
}

/* sigmoid(x) = 1 / (1 + e^-x), evaluated through e^-|x| so it never overflows. */
INLINE f4 sigmoid4(f4 x) {
  f4 e = exp_nonpositive(wasm_f32x4_neg(wasm_f32x4_abs(x)));
  f4 num = wasm_v128_bitselect(e, splat(1.0f), wasm_f32x4_lt(x, splat(0.0f)));
  return wasm_f32x4_div(num, wasm_f32x4_add(splat(1.0f), e));
}

INLINE f4 silu4(f4 x) { return wasm_f32x4_mul(x, sigmoid4(x)); }

INLINE f4 relu4(f4 x) { return wasm_f32x4_pmax(splat(0.0f), x); }

INLINE f4 activate(f4 v, int act) {
  if (act == ACT_RELU) return relu4(v);
  if (act == ACT_SILU) return silu4(v);
  return v;
}

#endif

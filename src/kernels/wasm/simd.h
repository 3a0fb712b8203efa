/*
 * Shared SIMD helpers for the webnets WASM kernels (each kernel's C source is in its folder,
 * src/kernels/<kernel>/).
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

/*
 * Unrolling by macro, M(i, a) for i < N: accumulators must be named locals, since clang
 * may keep array-held ones in stack memory (when it fully unrolls a loop only after its
 * last scalar-replacement pass: clang 14 did), and the module may not have a stack.
 */
#define REP1(M, a) M(0, a)
#define REP2(M, a) REP1(M, a) M(1, a)
#define REP4(M, a) REP2(M, a) M(2, a) M(3, a)
#define REP8(M, a) REP4(M, a) M(4, a) M(5, a) M(6, a) M(7, a)

/*
 * Activation codes. The module exports them (activation_linear, … in constants.c), and
 * setup checks them against ACTIVATION_CODES in src/kernels/kernel.ts.
 */
enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_SILU = 2 };

INLINE f4 splat(float v) { return wasm_f32x4_splat(v); }
INLINE f4 load4(const float *p) { return wasm_v128_load(p); }
INLINE void store4(float *p, f4 v) { wasm_v128_store(p, v); }

/*
 * v128.load of p plus a constant byte offset, the offset in the instruction itself. clang
 * puts a constant offset there only where it can prove the add does not wrap, which it
 * cannot for a pointer stepped through a loop (loop strength reduction drops that), so
 * `load4(w + 4)` in a loop becomes i32.add + v128.load, and JavaScriptCore then spends an
 * address instruction on each (2026-12-05, FD-MobileNet's 1×1 convs alone in 16 × 2 blocks:
 * 1.13-1.16× faster in JavaScriptCore's shell with their weight vectors loaded so, 1.02× in
 * Node). For memory the kernel only reads (weights): the asm tells clang nothing of what
 * it reads, so clang may move it across stores.
 */
#define LOAD4_AT(p, bytes)                                                               \
  ({                                                                                     \
    f4 loaded_;                                                                          \
    __asm__("local.get %1\n\tv128.load " #bytes ":p2align=0\n\tlocal.set %0"            \
            : "=r"(loaded_)                                                              \
            : "r"(p));                                                                   \
    loaded_;                                                                             \
  })
#ifdef WEBNETS_RELAXED
/* acc + a·b as relaxed SIMD's f32x4.relaxed_madd: one FMA where the CPU has one. */
INLINE f4 madd(f4 acc, f4 a, f4 b) { return wasm_f32x4_relaxed_madd(a, b, acc); }
#else
INLINE f4 madd(f4 acc, f4 a, f4 b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }
#endif

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
 * Stores lanes 0–2 of v at out (an RGB pixel). A 4-lane store whose last lane the next
 * pixel overwrites, except for the output's last pixel, which must not write past the end.
 */
INLINE void store_rgb(float *out, f4 v, int last) {
  if (!last) {
    store4(out, v);
    return;
  }
  out[0] = wasm_f32x4_extract_lane(v, 0);
  out[1] = wasm_f32x4_extract_lane(v, 1);
  out[2] = wasm_f32x4_extract_lane(v, 2);
}

/*
 * Constants of exp/sigmoid. V8 re-materializes every v128.const at each use inside a
 * loop (several instructions each) and clang folds splats of literals into such
 * constants, so the constants live in a small table in tfjs' heap instead (written once
 * by init_constants, see constants.c): loaded before a loop, they stay in registers or
 * become memory operands. Each entry is one splatted v128 (16 bytes).
 */
enum {
  K_MAGIC,   /* 1.5·2^23 + 127: rounds to an integer and carries the exponent bias */
  K_LOG2E,   /* log2(e) */
  K_NLN2_HI, /* −ln2, high bits (exact product with small integers) */
  K_NLN2_LO, /* −ln2, the rest */
  K_C5,      /* exp(r) ≈ 1 + r·(c1 + r·(c2 + r·(c3 + r·(c4 + r·c5)))) on |r| ≤ ln2/2, */
  K_C4,      /* relative-error fit, 1.7e-7 in float32 */
  K_C3,
  K_C2,
  K_C1,
  K_ONE,
  K_MIN_EXP, /* −87.33654: e^x below stays normal (2^-126) */
  K_SIGN,    /* 0x80000000 */
  K_COUNT
};
#define CONSTANTS_BYTES (K_COUNT * 16)

typedef struct {
  f4 magic, log2e, nln2hi, nln2lo, c5, c4, c3, c2, c1, one, minExp, sign;
} Consts;

INLINE Consts load_consts(const float *k) {
  Consts c = {load4(k + 4 * K_MAGIC), load4(k + 4 * K_LOG2E), load4(k + 4 * K_NLN2_HI),
              load4(k + 4 * K_NLN2_LO), load4(k + 4 * K_C5),    load4(k + 4 * K_C4),
              load4(k + 4 * K_C3),      load4(k + 4 * K_C2),    load4(k + 4 * K_C1),
              load4(k + 4 * K_ONE),     load4(k + 4 * K_MIN_EXP), load4(k + 4 * K_SIGN)};
  return c;
}

/*
 * sigmoid(x) = e/(1 + e) with e = exp(−|x|) for x < 0, 1 − that for x ≥ 0: the exp never
 * overflows. exp(z), z = −|x| ≥ −87.34: n = round(z·log2e) by the magic-number addition
 * (whose low mantissa bits, shifted into the exponent field, are 2^n), r = z − n·ln2 in
 * two steps, then the degree-5 polynomial. About 2 ulp.
 */
INLINE f4 sigmoid4(f4 x, Consts c) {
  f4 z = wasm_f32x4_pmax(c.minExp, wasm_v128_or(x, c.sign));
  f4 n = madd(c.magic, z, c.log2e);
  f4 scale = wasm_i32x4_shl(n, 23);
  n = wasm_f32x4_sub(n, c.magic);
  f4 r = madd(madd(z, n, c.nln2hi), n, c.nln2lo);
  f4 p = madd(c.c4, c.c5, r);
  p = madd(c.c3, p, r);
  p = madd(c.c2, p, r);
  p = madd(c.c1, p, r);
  f4 e = wasm_f32x4_mul(scale, madd(c.one, p, r));
  f4 f = wasm_f32x4_div(e, wasm_f32x4_add(e, c.one));
  return wasm_v128_bitselect(f, wasm_f32x4_sub(c.one, f), wasm_i32x4_shr(x, 31));
}

INLINE f4 silu4(f4 x, Consts c) { return wasm_f32x4_mul(x, sigmoid4(x, c)); }

INLINE f4 relu4(f4 x) { return wasm_f32x4_pmax(splat(0.0f), x); }

INLINE f4 activate(f4 v, int act, Consts c) {
  if (act == ACT_RELU) return relu4(v);
  if (act == ACT_SILU) return silu4(v, c);
  return v;
}

#endif

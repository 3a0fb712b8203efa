/*
 * The constants table of simd.h, written once into tfjs' heap by the JS side, and the
 * activation codes, which setup (src/kernels/wasm/module.ts) checks against the TypeScript
 * table before any kernel runs.
 */
#include "simd.h"

EXPORT(constants_bytes) int constants_bytes(void) { return CONSTANTS_BYTES; }

EXPORT(init_constants)
void init_constants(float *k) {
  store4(k + 4 * K_MAGIC, splat(0x1.8000FEp23f));
  store4(k + 4 * K_LOG2E, splat(1.44269504088896341f));
  store4(k + 4 * K_NLN2_HI, splat(-0x1.62E400p-1f));
  store4(k + 4 * K_NLN2_LO, splat(-0x1.7F7D1Cp-20f));
  store4(k + 4 * K_C5, splat(0x1.0FBA7Cp-7f));
  store4(k + 4 * K_C4, splat(0x1.573A50p-5f));
  store4(k + 4 * K_C3, splat(0x1.555A3Ap-3f));
  store4(k + 4 * K_C2, splat(0x1.FFFDC6p-2f));
  store4(k + 4 * K_C1, splat(0x1.FFFFF6p-1f));
  store4(k + 4 * K_ONE, splat(1.0f));
  store4(k + 4 * K_MIN_EXP, splat(-87.33654f));
  store4(k + 4 * K_SIGN, wasm_i32x4_splat((int)0x80000000u));
}

EXPORT(activation_linear) int activation_linear(void) { return ACT_LINEAR; }
EXPORT(activation_relu) int activation_relu(void) { return ACT_RELU; }
EXPORT(activation_silu) int activation_silu(void) { return ACT_SILU; }

#include "simd.h"

/*
 * The area pre-shrink of src/runtime/preprocess.ts on packed RGBA bytes: y [out_h, out_w, 3]
 * float32 is the mean of each k×k block of the region whose top-left pixel is (top, left)
 * in the width-pixel-wide image x. One pass over the region, no float copy of the frame.
 * A block row is summed in 16-bit lanes two pixels (8 bytes) a load (255 · ⌈k/2⌉ fits),
 * then widened into the 32-bit total.
 */
EXPORT(area_shrink_rgba8)
void area_shrink_rgba8(const unsigned char *x, float *y, int width, int top, int left, int out_h,
                       int out_w, int k) {
  const f4 inv = splat(1.0f / (float)(k * k));
  const int pairs = k >> 1;
  for (int i = 0; i < out_h; i++) {
    const unsigned char *block_row = x + ((top + i * k) * width + left) * 4;
    float *out = y + i * out_w * 3;
    for (int j = 0; j < out_w; j++, out += 3) {
      const unsigned char *block = block_row + j * k * 4;
      v128_t total = wasm_i32x4_splat(0);
      for (int u = 0; u < k; u++) {
        const unsigned char *p = block + u * width * 4;
        v128_t row = wasm_i16x8_splat(0); /* lanes 0–3: even pixels, 4–7: odd pixels */
        for (int v = 0; v < pairs; v++) row = wasm_i16x8_add(row, wasm_u16x8_load8x8(p + v * 8));
        if (k & 1) {
          row = wasm_i16x8_add(row, wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(p + pairs * 8)));
        }
        total = wasm_i32x4_add(total, wasm_i32x4_add(wasm_u32x4_extend_low_u16x8(row),
                                                     wasm_u32x4_extend_high_u16x8(row)));
      }
      const f4 mean = wasm_f32x4_mul(wasm_f32x4_convert_i32x4(total), inv);
      store_rgb(out, mean, i == out_h - 1 && j == out_w - 1);
    }
  }
}

/*
 * The network's input in two passes, Pillow's resampling byte for byte (pillow.ts says
 * what Pillow computes; its resampleCrop is the reference this reproduces): a horizontal
 * pass over the source rows the crop needs, into 8-bit scratch, then a vertical pass that
 * also normalizes, y = v · scale[c] − shift[c] (float32 multiply, then subtract).
 *
 * Taps for one axis, as pillowTaps makes them: start[n], count[n], coeffs[n · ksize]
 * (fixed point, PRECISION_BITS = 22), one after the other. A pixel's channels are one
 * i32x4 (RGB + a lane that is ignored); the sums are Pillow's int32 sums, so the result is
 * exact whatever the vector width.
 *
 * Sources: packed RGBA bytes (a canvas's ImageData as it is: alpha ignored), or [H, W, 3]
 * int32 / float32 pixels, which are made bytes first as Pillow holds them (clamped to
 * 0–255; floats rounded to nearest, ties to even, as a Uint8ClampedArray stores them).
 */
#include "simd.h"

#define PRECISION_BITS 22

/* Pillow's clip8 on 4 lanes: (acc >> 22) clamped to 0–255. */
INLINE v128_t clip8(v128_t acc) {
  return wasm_i32x4_min(wasm_i32x4_max(wasm_i32x4_shr(acc, PRECISION_BITS), wasm_i32x4_splat(0)),
                        wasm_i32x4_splat(255));
}

/* 4 lanes of 0–255 as 4 bytes (lane order), for the 8-bit scratch. */
INLINE v128_t pack8(v128_t v) {
  const v128_t h = wasm_i16x8_narrow_i32x4(v, v);
  return wasm_u8x16_narrow_i16x8(h, h);
}

INLINE v128_t bytes_at(const unsigned char *p) {
  return wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(p)));
}

/* Three 32-bit values at p into lanes 0–2 (never reads p[3]). */
INLINE v128_t load3(const void *p) {
  const int *q = (const int *)p;
  v128_t v = wasm_v128_load32_zero(q);
  v = wasm_v128_load32_lane(q + 1, v, 1);
  return wasm_v128_load32_lane(q + 2, v, 2);
}

INLINE v128_t pixel_rgba8(const unsigned char *x, int i) { return bytes_at(x + i * 4); }
INLINE v128_t pixel_i32(const int *x, int i) {
  return wasm_i32x4_min(wasm_i32x4_max(load3(x + i * 3), wasm_i32x4_splat(0)), wasm_i32x4_splat(255));
}
INLINE v128_t pixel_f32(const float *x, int i) {
  const f4 v = wasm_f32x4_min(wasm_f32x4_max(wasm_f32x4_nearest(load3(x + i * 3)), splat(0.0f)),
                              splat(255.0f));
  return wasm_i32x4_trunc_sat_f32x4(v);
}

/*
 * Horizontal pass: source rows [row0, row0 + rows) through the n column taps into tmp,
 * rows × n pixels of 4 bytes.
 */
#define HORIZONTAL(NAME, T, CHANNELS, PIXEL)                                                  \
  EXPORT(NAME)                                                                                \
  void NAME(const T *x, int width, int row0, int rows, const int *taps, int n, int ksize,     \
            unsigned char *tmp) {                                                             \
    const int *start = taps, *count = taps + n, *coeffs = taps + 2 * n;                       \
    for (int r = 0; r < rows; r++) {                                                          \
      const T *line = x + (row0 + r) * width * CHANNELS;                                      \
      unsigned char *out = tmp + r * n * 4;                                                   \
      for (int j = 0; j < n; j++) {                                                           \
        const int *k = coeffs + j * ksize;                                                    \
        const T *in = line + start[j] * CHANNELS;                                             \
        v128_t acc = wasm_i32x4_splat(1 << (PRECISION_BITS - 1));                             \
        for (int t = 0; t < count[j]; t++) {                                                  \
          acc = wasm_i32x4_add(acc, wasm_i32x4_mul(PIXEL(in, t), wasm_i32x4_splat(k[t])));    \
        }                                                                                     \
        wasm_v128_store32_lane(out + j * 4, pack8(clip8(acc)), 0);                            \
      }                                                                                       \
    }                                                                                         \
  }

HORIZONTAL(pillow_horizontal_rgba8, unsigned char, 4, pixel_rgba8)
HORIZONTAL(pillow_horizontal_i32, int, 3, pixel_i32)
HORIZONTAL(pillow_horizontal_f32, float, 3, pixel_f32)

/*
 * Vertical pass and normalization: tmp (rows starting at source row row0, n_cols pixels of
 * 4 bytes each) through the n_rows row taps into y [n_rows, n_cols, 3] float32.
 */
EXPORT(pillow_vertical_normalize)
void pillow_vertical_normalize(const unsigned char *tmp, int n_cols, int row0, const int *taps,
                               int n_rows, int ksize, float *y, float s0, float s1, float s2,
                               float t0, float t1, float t2) {
  const int *start = taps, *count = taps + n_rows, *coeffs = taps + 2 * n_rows;
  const f4 scale = wasm_f32x4_make(s0, s1, s2, 0.0f), shift = wasm_f32x4_make(t0, t1, t2, 0.0f);
  for (int i = 0; i < n_rows; i++) {
    const int *k = coeffs + i * ksize;
    const unsigned char *first = tmp + (start[i] - row0) * n_cols * 4;
    float *out = y + i * n_cols * 3;
    for (int j = 0; j < n_cols; j++) {
      v128_t acc = wasm_i32x4_splat(1 << (PRECISION_BITS - 1));
      for (int t = 0; t < count[i]; t++) {
        acc = wasm_i32x4_add(
            acc, wasm_i32x4_mul(bytes_at(first + (t * n_cols + j) * 4), wasm_i32x4_splat(k[t])));
      }
      const f4 v = wasm_f32x4_convert_i32x4(clip8(acc));
      store_rgb(out + j * 3, wasm_f32x4_sub(wasm_f32x4_mul(v, scale), shift),
                i == n_rows - 1 && j == n_cols - 1);
    }
  }
}

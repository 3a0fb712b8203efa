/*
 * The network's input in one pass: bilinear resize with half-pixel centres (edges
 * clamped, as tf.image.resizeBilinear(x, size, false, true) and PyTorch compute it),
 * center crop and normalize, computing only the pixels the crop keeps. tfjs runs this as
 * resize → slice → mul → sub: four passes and three full-size intermediates, which took
 * about half of an FD-MobileNet predict in Chromium (bench/RESULTS.md).
 *
 * x: [H, W, 3] pixels (float32 or int32, 0–255), or [H, W] packed RGBA bytes (a canvas's
 * ImageData as it is: the alpha byte is ignored); y: [size, size, 3] float32 with
 * y = v · scale[c] − shift[c] (scale = 1 / (255·std), shift = mean / std). The virtual
 * resized image is resized_h × resized_w; the crop starts at (top, left) in it. When the
 * resize is the identity the source coordinates are whole numbers and v is the pixel
 * exactly (the fractions are 0).
 */
#include "simd.h"

/* One axis of the bilinear map: output index → the two source indices and the weight. */
typedef struct {
  int lo, hi;
  float frac;
} Tap;

INLINE Tap tap(int out, float scale, int in_size) {
  const float f = ((float)out + 0.5f) * scale - 0.5f;
  int lo = (int)__builtin_floorf(f);
  int hi = (int)__builtin_ceilf(f);
  if (lo < 0) lo = 0;
  if (hi > in_size - 1) hi = in_size - 1;
  if (lo > in_size - 1) lo = in_size - 1;
  Tap t = {lo, hi, f - (float)lo};
  return t;
}

INLINE float lerp(float a, float b, float t) { return a + (b - a) * t; }

INLINE f4 load_f32(const float *p) { return load4(p); }
INLINE f4 load_i32(const int *p) { return wasm_f32x4_convert_i32x4(wasm_v128_load(p)); }

/*
 * The body for one pixel type T: rows whose source coordinates are whole numbers in both
 * axes (an identity resize, e.g. a 256² image for a 256 → 224 model) are a strided copy
 * normalized 4 pixels (3 vectors) at a time, the channel pattern rotating through the
 * vectors; other rows interpolate pixel by pixel.
 */
#define RESIZE_CROP_NORMALIZE(NAME, T, LOAD)                                                   \
  EXPORT(NAME)                                                                                 \
  void NAME(const T *x, float *y, int height, int width, int resized_h, int resized_w, int top, \
            int left, int size, float s0, float s1, float s2, float t0, float t1, float t2) {   \
    const float row_scale = (float)height / (float)resized_h;                                   \
    const float col_scale = (float)width / (float)resized_w;                                    \
    const f4 sa = wasm_f32x4_make(s0, s1, s2, s0), sb = wasm_f32x4_make(s1, s2, s0, s1);       \
    const f4 sc = wasm_f32x4_make(s2, s0, s1, s2), ta = wasm_f32x4_make(t0, t1, t2, t0);       \
    const f4 tb = wasm_f32x4_make(t1, t2, t0, t1), tc = wasm_f32x4_make(t2, t0, t1, t2);       \
    for (int i = 0; i < size; i++) {                                                           \
      const Tap r = tap(top + i, row_scale, height);                                           \
      const T *row0 = x + r.lo * width * 3, *row1 = x + r.hi * width * 3;                      \
      float *out = y + i * size * 3;                                                           \
      int j = 0;                                                                               \
      if (width == resized_w && r.frac == 0.0f) {                                              \
        const T *in = row0 + left * 3;                                                         \
        for (; j + 4 <= size; j += 4, in += 12, out += 12) {                                   \
          store4(out, wasm_f32x4_sub(wasm_f32x4_mul(LOAD(in), sa), ta));                       \
          store4(out + 4, wasm_f32x4_sub(wasm_f32x4_mul(LOAD(in + 4), sb), tb));               \
          store4(out + 8, wasm_f32x4_sub(wasm_f32x4_mul(LOAD(in + 8), sc), tc));               \
        }                                                                                      \
      }                                                                                        \
      for (; j < size; j++, out += 3) {                                                        \
        const Tap c = tap(left + j, col_scale, width);                                         \
        const T *a = row0 + c.lo * 3, *b = row0 + c.hi * 3;                                    \
        const T *d = row1 + c.lo * 3, *e = row1 + c.hi * 3;                                    \
        out[0] = lerp(lerp(a[0], b[0], c.frac), lerp(d[0], e[0], c.frac), r.frac) * s0 - t0;   \
        out[1] = lerp(lerp(a[1], b[1], c.frac), lerp(d[1], e[1], c.frac), r.frac) * s1 - t1;   \
        out[2] = lerp(lerp(a[2], b[2], c.frac), lerp(d[2], e[2], c.frac), r.frac) * s2 - t2;   \
      }                                                                                        \
    }                                                                                          \
  }

RESIZE_CROP_NORMALIZE(resize_crop_normalize_f32, float, load_f32)
RESIZE_CROP_NORMALIZE(resize_crop_normalize_i32, int, load_i32)

/*
 * One RGBA pixel's 4 bytes as floats [r, g, b, a]: the bytes widened to 32-bit lanes and
 * made floats by the exponent trick (2²³ + n as bits, minus 2²³; exact for n < 2²³). clang
 * 14 turns an int-to-float conversion of zero-extended bytes into four scalar conversions
 * and lane inserts, which ran this kernel several times slower than the scalar RGB one.
 */
INLINE f4 rgba_at(const unsigned char *p) {
  const v128_t n =
      wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(p)));
  return wasm_f32x4_sub(wasm_v128_or(n, wasm_i32x4_splat(0x4B000000)), splat(8388608.0f));
}

/*
 * The same from packed RGBA bytes, which is how a canvas hands out pixels: tfjs'
 * fromPixels would first unpack them into an int32 RGB tensor with a JavaScript loop
 * (slower, for a camera frame, than FD-MobileNet itself: bench/RESULTS.md). A pixel's
 * four channels are one vector; the interpolation runs on all four, the alpha lane is
 * dropped. Column taps are computed 4 columns at a time in vectors (the scalar floor and
 * float-to-int conversions cost more than the interpolation).
 */
EXPORT(resize_crop_normalize_rgba8)
void resize_crop_normalize_rgba8(const unsigned char *x, float *y, int height, int width,
                                 int resized_h, int resized_w, int top, int left, int size,
                                 float s0, float s1, float s2, float t0, float t1, float t2) {
  const float row_scale = (float)height / (float)resized_h;
  const float col_scale = (float)width / (float)resized_w;
  const f4 scale = wasm_f32x4_make(s0, s1, s2, 0.0f), shift = wasm_f32x4_make(t0, t1, t2, 0.0f);
  const f4 steps = wasm_f32x4_make(0.5f, 1.5f, 2.5f, 3.5f), cs = splat(col_scale);
  const v128_t zero = wasm_i32x4_splat(0), last_col = wasm_i32x4_splat(width - 1);
  for (int i = 0; i < size; i++) {
    const Tap r = tap(top + i, row_scale, height);
    const unsigned char *row0 = x + r.lo * width * 4, *row1 = x + r.hi * width * 4;
    const f4 rf = splat(r.frac);
    float *out = y + i * size * 3;
    for (int j0 = 0; j0 < size; j0 += 4) {
      /* f = (out + 0.5) · scale − 0.5 for 4 columns; lo = ⌊f⌋, hi = ⌈f⌉, clamped. */
      const f4 f = wasm_f32x4_sub(
          wasm_f32x4_mul(wasm_f32x4_add(splat((float)(left + j0)), steps), cs), splat(0.5f));
      const f4 fl = wasm_f32x4_floor(f);
      const f4 fracs = wasm_f32x4_sub(f, fl);
      const v128_t lo = wasm_i32x4_min(
          wasm_i32x4_max(wasm_i32x4_trunc_sat_f32x4(fl), zero), last_col);
      const v128_t hi = wasm_i32x4_min(
          wasm_i32x4_max(wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_ceil(f)), zero), last_col);
      const int n = size - j0 < 4 ? size - j0 : 4;
#define RGBA_PIXEL(q)                                                                      \
  if (q < n) {                                                                             \
    const int l = wasm_i32x4_extract_lane(lo, q) * 4, h = wasm_i32x4_extract_lane(hi, q) * 4; \
    const f4 cf = wasm_f32x4_splat(wasm_f32x4_extract_lane(fracs, q));                     \
    const f4 a = rgba_at(row0 + l), b = rgba_at(row0 + h);                                 \
    const f4 d = rgba_at(row1 + l), e = rgba_at(row1 + h);                                 \
    const f4 up = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_f32x4_sub(b, a), cf));             \
    const f4 down = wasm_f32x4_add(d, wasm_f32x4_mul(wasm_f32x4_sub(e, d), cf));           \
    const f4 v = wasm_f32x4_add(up, wasm_f32x4_mul(wasm_f32x4_sub(down, up), rf));         \
    store_rgb(out + (j0 + q) * 3, wasm_f32x4_sub(wasm_f32x4_mul(v, scale), shift),         \
              i == size - 1 && j0 + q == size - 1);                                        \
  }
      RGBA_PIXEL(0) RGBA_PIXEL(1) RGBA_PIXEL(2) RGBA_PIXEL(3)
#undef RGBA_PIXEL
    }
  }
}

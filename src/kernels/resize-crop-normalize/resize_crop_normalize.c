/*
 * The network's input in two passes, Pillow's resampling byte for byte (pillow.ts says
 * what Pillow computes; its resampleCrop is the reference this reproduces): a horizontal
 * pass over the source rows the crop needs, into 8-bit scratch, then a vertical pass that
 * also normalizes, y = v · scale[c] − shift[c] (float32 multiply, then subtract).
 *
 * Taps for one axis, as pillowTaps makes them with the zero weights at either end of each
 * window dropped (index.ts, trimTaps: they add nothing): start[n], count[n],
 * coeffs[n · ksize] (fixed point, PRECISION_BITS = 22), one after the other. The sums are
 * Pillow's int32 sums, so the result is exact whatever the vector width.
 *
 * The scratch holds RGB rows, 3 bytes a pixel, `tmp_stride` bytes apart (room for 16 more
 * bytes than a row: a pixel is stored as 4 bytes, the vertical pass loads 16 at a time).
 * The horizontal pass computes one pixel's channels in one i32x4; the vertical pass reads
 * those rows as flat bytes, 16 channels at a time, every lane used, the normalization's
 * per-channel constants rotating with the chunk's position in the RGB pattern.
 *
 * Sources: packed RGBA bytes (a canvas's ImageData as it is: alpha ignored), or [H, W, 3]
 * int32 / float32 pixels, made bytes first, each source pixel once, as Pillow holds them
 * (clamped to 0–255; floats rounded to nearest, ties to even, as a Uint8ClampedArray
 * stores them; NaN 0). Where the column taps are the identity (the source is already the
 * resize's width), those bytes are the scratch row itself.
 */
#include "simd.h"

#define PRECISION_BITS 22
#define HALF (1 << (PRECISION_BITS - 1))

/* 4 bytes at p widened to 4 lanes. */
INLINE v128_t bytes_at(const unsigned char *p) {
  return wasm_u32x4_extend_low_u16x8(wasm_u16x8_extend_low_u8x16(wasm_v128_load32_zero(p)));
}

/* Pillow's clip8 on 4 lanes as 4 bytes (lane order): acc >> 22 clamped to 0–255 by the
 * saturating narrows. */
INLINE v128_t clip8_bytes(v128_t acc) {
  const v128_t h = wasm_i16x8_narrow_i32x4(wasm_i32x4_shr(acc, PRECISION_BITS),
                                           wasm_i32x4_splat(0));
  return wasm_u8x16_narrow_i16x8(h, h);
}

/* Pillow's clip8 on 4 lanes, as floats. */
INLINE f4 clip8_f32(v128_t acc, v128_t zero, v128_t max) {
  return wasm_f32x4_convert_i32x4(
      wasm_i32x4_min(wasm_i32x4_max(wasm_i32x4_shr(acc, PRECISION_BITS), zero), max));
}

/*
 * Pixel values → 4 lanes of int32 whose saturating narrows are the bytes Pillow holds:
 * int32 as they are; floats rounded to nearest even (trunc_sat then takes NaN to 0 and
 * clamps the infinities).
 */
INLINE v128_t lanes_i32(const int *p) { return wasm_v128_load(p); }
INLINE v128_t lanes_f32(const float *p) {
  return wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_v128_load(p)));
}
INLINE v128_t lane_i32(const int *p) { return wasm_v128_load32_zero(p); }
INLINE v128_t lane_f32(const float *p) {
  return wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_nearest(wasm_v128_load32_zero(p)));
}

/* n values at x → n bytes at out, 16 at a time (never reads or writes past n). */
#define TO_BYTES(NAME, T, LANES, LANE)                                                   \
  INLINE void NAME(const T *x, int n, unsigned char *out) {                             \
    int e = 0;                                                                           \
    for (; e + 16 <= n; e += 16) {                                                       \
      const v128_t a = wasm_i16x8_narrow_i32x4(LANES(x + e), LANES(x + e + 4));          \
      const v128_t b = wasm_i16x8_narrow_i32x4(LANES(x + e + 8), LANES(x + e + 12));     \
      wasm_v128_store(out + e, wasm_u8x16_narrow_i16x8(a, b));                           \
    }                                                                                    \
    for (; e < n; e++) {                                                                 \
      const v128_t h = wasm_i16x8_narrow_i32x4(LANE(x + e), LANE(x + e));                \
      wasm_v128_store8_lane(out + e, wasm_u8x16_narrow_i16x8(h, h), 0);                  \
    }                                                                                    \
  }

TO_BYTES(bytes_of_i32, int, lanes_i32, lane_i32)
TO_BYTES(bytes_of_f32, float, lanes_f32, lane_f32)

/*
 * One row through the column taps: n output pixels, 3 bytes each (stored as 4: the next
 * pixel overwrites the fourth), into out. `in` holds the row's pixels from column `first`
 * on, `stride` bytes apart; each is read as 4 bytes (the fourth lane is never stored).
 */
INLINE void horizontal_row(const unsigned char *in, int first, int stride, const int *start,
                           const int *count, const int *coeffs, int n, int ksize,
                           unsigned char *out) {
  for (int j = 0; j < n; j++) {
    const int *k = coeffs + j * ksize;
    const unsigned char *p = in + (start[j] - first) * stride;
    v128_t acc = wasm_i32x4_splat(HALF);
    for (int t = 0; t < count[j]; t++) {
      acc = wasm_i32x4_add(acc, wasm_i32x4_mul(bytes_at(p + t * stride), wasm_i32x4_splat(k[t])));
    }
    wasm_v128_store32_lane(out + j * 3, clip8_bytes(acc), 0);
  }
}

/* The columns [*first, *end) the taps read. */
INLINE void tap_span(const int *start, const int *count, int n, int *first, int *end) {
  int lo = start[0], hi = start[0] + count[0];
  for (int j = 1; j < n; j++) {
    lo = start[j] < lo ? start[j] : lo;
    hi = start[j] + count[j] > hi ? start[j] + count[j] : hi;
  }
  *first = lo;
  *end = hi;
}

/*
 * Horizontal pass of int32 / float32 RGB: source rows [row0, row0 + rows) through the n
 * column taps into tmp. Each row's columns that the taps read are made bytes into `bytes`
 * first (3 per pixel and one more), or, with identity columns (every tap one weight of
 * 1.0, columns consecutive), straight into the scratch row.
 */
#define HORIZONTAL_RGB(NAME, T, TO)                                                            \
  EXPORT(NAME)                                                                                 \
  void NAME(const T *x, int width, int row0, int rows, const int *taps, int n, int ksize,      \
            int identity, unsigned char *tmp, int tmp_stride, unsigned char *bytes) {          \
    const int *start = taps, *count = taps + n, *coeffs = taps + 2 * n;                        \
    int first, end;                                                                            \
    tap_span(start, count, n, &first, &end);                                                   \
    for (int r = 0; r < rows; r++) {                                                           \
      const T *line = x + ((row0 + r) * width + first) * 3;                                    \
      unsigned char *out = tmp + r * tmp_stride;                                               \
      if (identity) {                                                                          \
        TO(line, n * 3, out);                                                                  \
      } else {                                                                                 \
        TO(line, (end - first) * 3, bytes);                                                    \
        horizontal_row(bytes, first, 3, start, count, coeffs, n, ksize, out);                  \
      }                                                                                        \
    }                                                                                          \
  }

HORIZONTAL_RGB(pillow_columns_i32, int, bytes_of_i32)
HORIZONTAL_RGB(pillow_columns_f32, float, bytes_of_f32)

/* Horizontal pass of packed RGBA bytes, read in place; identity columns drop the alpha. */
EXPORT(pillow_columns_rgba8)
void pillow_columns_rgba8(const unsigned char *x, int width, int row0, int rows,
                             const int *taps, int n, int ksize, int identity, unsigned char *tmp,
                             int tmp_stride, unsigned char *bytes) {
  (void)bytes;
  const int *start = taps, *count = taps + n, *coeffs = taps + 2 * n;
  for (int r = 0; r < rows; r++) {
    const unsigned char *line = x + (row0 + r) * width * 4;
    unsigned char *out = tmp + r * tmp_stride;
    if (identity) {
      const unsigned char *in = line + start[0] * 4;
      int j = 0;
      for (; j + 4 <= n; j += 4) {
        const v128_t v = wasm_v128_load(in + j * 4);
        wasm_v128_store(out + j * 3, wasm_i8x16_shuffle(v, v, 0, 1, 2, 4, 5, 6, 8, 9, 10, 12,
                                                        13, 14, 15, 15, 15, 15));
      }
      for (; j < n; j++) wasm_v128_store32_lane(out + j * 3, wasm_v128_load32_zero(in + j * 4), 0);
    } else {
      horizontal_row(line, 0, 4, start, count, coeffs, n, ksize, out);
    }
  }
}

/*
 * 16 channels at p (rows `stride` apart) through the row taps, normalized into out. The
 * scale and shift lanes of the 4 vectors: s0, s1, s2, s0 (the pattern repeats every 3).
 */
INLINE void vertical_chunk(const unsigned char *p, int stride, const int *k, int count,
                           float *out, v128_t s0, v128_t s1, v128_t s2, v128_t t0, v128_t t1,
                           v128_t t2, v128_t zero, v128_t max) {
  v128_t a0 = wasm_i32x4_splat(HALF), a1 = a0, a2 = a0, a3 = a0;
  for (int t = 0; t < count; t++) {
    const v128_t v = wasm_v128_load(p + t * stride);
    const v128_t w = wasm_i32x4_splat(k[t]);
    const v128_t lo = wasm_u16x8_extend_low_u8x16(v), hi = wasm_u16x8_extend_high_u8x16(v);
    a0 = wasm_i32x4_add(a0, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(lo), w));
    a1 = wasm_i32x4_add(a1, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(lo), w));
    a2 = wasm_i32x4_add(a2, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(hi), w));
    a3 = wasm_i32x4_add(a3, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(hi), w));
  }
  store4(out, wasm_f32x4_sub(wasm_f32x4_mul(clip8_f32(a0, zero, max), s0), t0));
  store4(out + 4, wasm_f32x4_sub(wasm_f32x4_mul(clip8_f32(a1, zero, max), s1), t1));
  store4(out + 8, wasm_f32x4_sub(wasm_f32x4_mul(clip8_f32(a2, zero, max), s2), t2));
  store4(out + 12, wasm_f32x4_sub(wasm_f32x4_mul(clip8_f32(a3, zero, max), s0), t0));
}

/* The channel pattern from position `phase` of RGB on: lanes c[phase], c[phase + 1], … */
INLINE v128_t channels(float c0, float c1, float c2, int phase) {
  return phase == 0   ? wasm_f32x4_make(c0, c1, c2, c0)
         : phase == 1 ? wasm_f32x4_make(c1, c2, c0, c1)
                      : wasm_f32x4_make(c2, c0, c1, c2);
}

/*
 * Vertical pass and normalization: tmp (rows from source row row0 on, tmp_stride bytes
 * apart, n_cols RGB pixels each) through the n_rows row taps into y [n_rows, n_cols, 3]
 * float32. A row narrower than 16 channels goes one channel at a time; a wider one in
 * chunks of 16, its last chunk ending at the row's end (overlapping the one before).
 */
EXPORT(pillow_rows_normalize)
void pillow_rows_normalize(const unsigned char *tmp, int tmp_stride, int n_cols, int row0,
                               const int *taps, int n_rows, int ksize, float *y, float s0,
                               float s1, float s2, float t0, float t1, float t2) {
  const int *start = taps, *count = taps + n_rows, *coeffs = taps + 2 * n_rows;
  const int width = n_cols * 3;
  const v128_t zero = wasm_i32x4_splat(0), max = wasm_i32x4_splat(255);
  /* The last chunk of a row of 16 or more channels, and its pattern. */
  const int last = width - 16, phase = last > 0 ? last % 3 : 0;
  const v128_t ls0 = channels(s0, s1, s2, phase), ls1 = channels(s0, s1, s2, (phase + 1) % 3),
               ls2 = channels(s0, s1, s2, (phase + 2) % 3);
  const v128_t lt0 = channels(t0, t1, t2, phase), lt1 = channels(t0, t1, t2, (phase + 1) % 3),
               lt2 = channels(t0, t1, t2, (phase + 2) % 3);
  for (int i = 0; i < n_rows; i++) {
    const int *k = coeffs + i * ksize;
    const unsigned char *first = tmp + (start[i] - row0) * tmp_stride;
    float *out = y + i * width;
    if (width < 16) {
      for (int e = 0; e < width; e++) {
        v128_t acc = wasm_i32x4_splat(HALF);
        for (int t = 0; t < count[i]; t++) {
          acc = wasm_i32x4_add(acc, wasm_i32x4_mul(wasm_i32x4_splat(first[t * tmp_stride + e]),
                                                   wasm_i32x4_splat(k[t])));
        }
        const f4 v = wasm_f32x4_sub(wasm_f32x4_mul(clip8_f32(acc, zero, max),
                                                   channels(s0, s1, s2, e % 3)),
                                    channels(t0, t1, t2, e % 3));
        wasm_v128_store32_lane(out + e, v, 0);
      }
      continue;
    }
    v128_t sa = channels(s0, s1, s2, 0), sb = channels(s0, s1, s2, 1),
           sc = channels(s0, s1, s2, 2);
    v128_t ta = channels(t0, t1, t2, 0), tb = channels(t0, t1, t2, 1),
           tc = channels(t0, t1, t2, 2);
    for (int c = 0; c < last; c += 16) {
      vertical_chunk(first + c, tmp_stride, k, count[i], out + c, sa, sb, sc, ta, tb, tc, zero,
                     max);
      /* 16 channels on, the pattern starts one channel later. */
      const v128_t s = sa, t = ta;
      sa = sb, sb = sc, sc = s;
      ta = tb, tb = tc, tc = t;
    }
    vertical_chunk(first + last, tmp_stride, k, count[i], out + last, ls0, ls1, ls2, lt0, lt1, lt2,
                   zero, max);
  }
}

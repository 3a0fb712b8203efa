/*
 * Depthwise 2-D convolution, NHWC, with bias and a fused activation (EfficientNet's
 * 3×3/5×5 convs + SiLU, FD-MobileNet's 3×3 + ReLU):
 *   y[b, oy, ox, ch] = act(bias[ch] + Σ_{ky, kx} x[b, oy·s − pad + ky, ox·s − pad + kx, ch] · w[ky, kx, ch])
 * The filter is tfjs' depthwise layout [k, k, C, 1], read in place.
 *
 * Channels innermost, so each tap reads a contiguous channel row and memory streams.
 * Runs of interior columns (all tap columns inside the image) take blocks of 6 pixels,
 * any k and stride, the tap rows clipped at the top and bottom edges; the few left and
 * right border pixels loop over their valid taps. On small maps, where those are many,
 * the caller pads the input into scratch first (depthwise_pad), which makes every pixel
 * interior (see depthwise_conv2d). 3×3 convs with ReLU or no activation (FD-MobileNet's)
 * take a row walk instead (depthwise3x3.c).
 */
#include "simd.h"

/* depthwise3x3.c: output rows [part, part + 1) / parts of a 3×3, pad 1 conv, stride 1 or 2. */
void depthwise3x3_rows(const float *x, const float *w, const float *bias, float *y, int batch,
                       int height, int width, int c, int stride, int act, int part, int parts);

/*
 * P interior pixels of one row (input columns xPix apart) × every channel vector, for
 * any k and stride, over the tap rows [ky0, ky1) (fewer at the top and bottom edges).
 * Each tap loads its weight vector once for the P pixels. P and the activation A are
 * compile-time, the taps a loop, and P = 6 is what fits V8's registers: V8 issues a
 * loop body's loads first and its multiply-adds after them (they are pure, and it
 * schedules them next to their use, the loop's back edge), so P accumulators, P loaded
 * inputs and the weight are live at once: 13 of x64's 15 allocatable xmm registers.
 * The activation is compile-time too, so the SiLU constants are loaded after the taps,
 * where nothing else is live. The previous kernel (4 pixels, taps unrolled for k = 3
 * and 5, activation at run time) let clang put every load of a tap row first: V8
 * spilled accumulators (what this block gained over it: bench/RESULTS.md).
 */
#define DW_ACC(p, _) f4 a##p = b;
#define DW_TAP(p, _) if ((p) < P) a##p = madd(a##p, load4(xq + (p) * xPix), wv);
#define DW_STORE(p, _) if ((p) < P) store4(yp + (p) * c + ch, activate(a##p, A, consts));

INLINE void dw_block(const float *xp, const float *w, const float *bias, float *yp, int c,
                     int full, int xRow, int xPix, int k, int ky0, int ky1, const float *kc,
                     const int P, const int A) {
  for (int ch = 0; ch < full; ch += 4) {
    const f4 b = load4(bias + ch);
    REP8(DW_ACC, _)
    for (int ky = ky0; ky < ky1; ky++) {
      const float *xr = xp + ky * xRow + ch, *wr = w + ky * k * c + ch;
#pragma clang loop unroll(disable)
      for (int kx = 0; kx < k; kx++) {
        const f4 wv = load4(wr + kx * c);
        const float *xq = xr + kx * c;
        REP8(DW_TAP, _)
      }
    }
    const Consts consts = load_consts(kc);
    REP8(DW_STORE, _)
  }
}

/*
 * A run of `count` interior pixels: blocks of 6, the rest as blocks of 4 or 6 moved back
 * to end at the run's end (recomputing a few pixels, same values), choosing the fewest
 * pixels: 7 = 4 + 4 rather than 6 + 4. Runs under 4 pixels go one by one.
 */
#define DW_BLOCK_AT(at, P, A) \
  dw_block(xp + (at) * xPix, w, bias, yp + (at) * c, c, full, xRow, xPix, k, ky0, ky1, kc, P, A)
#define DEFINE_RUN(A)                                                                     \
  static void dw_run_##A(const float *xp, const float *w, const float *bias, float *yp,  \
                         int count, int c, int full, int xRow, int xPix, int k, int ky0, \
                         int ky1, const float *kc) {                                     \
    if (count < 4) {                                                                     \
      for (int i = 0; i < count; i++) DW_BLOCK_AT(i, 1, A);                              \
      return;                                                                            \
    }                                                                                    \
    const int r = count % 6, sixes = count / 6 - (count >= 6 && (r == 1 || r == 2));     \
    for (int i = 0; i < sixes; i++) DW_BLOCK_AT(6 * i, 6, A);                            \
    const int from = 6 * sixes, rest = count - from; /* 0–5, or 7–8 */                   \
    if (rest == 5 && sixes > 0) {                                                        \
      DW_BLOCK_AT(count - 6, 6, A);                                                      \
      return;                                                                            \
    }                                                                                    \
    if (rest > 4) DW_BLOCK_AT(from, 4, A);                                               \
    if (rest > 0) DW_BLOCK_AT(count - 4, 4, A);                                          \
  }
DEFINE_RUN(0)
DEFINE_RUN(1)
DEFINE_RUN(2)

static void dw_run(const float *xp, const float *w, const float *bias, float *yp, int count,
                   int c, int full, int xRow, int xPix, int k, int ky0, int ky1, int act,
                   const float *kc) {
  if (act == ACT_RELU) dw_run_1(xp, w, bias, yp, count, c, full, xRow, xPix, k, ky0, ky1, kc);
  else if (act == ACT_SILU) dw_run_2(xp, w, bias, yp, count, c, full, xRow, xPix, k, ky0, ky1, kc);
  else dw_run_0(xp, w, bias, yp, count, c, full, xRow, xPix, k, ky0, ky1, kc);
}

/* Any pixel, any k: the taps [ky0, ky1) × [kx0, kx1); channels [from, c), tail lanes too. */
static void dw_pixel_any(const float *xp, const float *w, const float *bias, float *yp, int c,
                         int from, int k, int ky0, int ky1, int kx0, int kx1, int xRow, int act,
                         const float *kc) {
  const Consts consts = load_consts(kc);
  int ch = from;
  for (; ch + 4 <= c; ch += 4) {
    f4 acc = load4(bias + ch);
    for (int ky = ky0; ky < ky1; ky++)
      for (int kx = kx0; kx < kx1; kx++)
        acc = madd(acc, load4(xp + ky * xRow + kx * c + ch), load4(w + (ky * k + kx) * c + ch));
    store4(yp + ch, activate(acc, act, consts));
  }
  if (ch < c) {
    const int lanes = c - ch;
    f4 acc = load_n(bias + ch, lanes);
    for (int ky = ky0; ky < ky1; ky++)
      for (int kx = kx0; kx < kx1; kx++)
        acc = madd(acc, load_n(xp + ky * xRow + kx * c + ch, lanes),
                   load_n(w + (ky * k + kx) * c + ch, lanes));
    store_n(yp + ch, activate(acc, act, consts), lanes);
  }
}

INLINE int clamp_i(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

INLINE int min_i(int a, int b) { return a < b ? a : b; }
INLINE int max_i(int a, int b) { return a > b ? a : b; }

/* dst [batch, height + 2·pad, width + 2·pad, c] = x with a zero border of `pad` pixels. */
static void pad_input(const float *x, float *dst, int batch, int height, int width, int c, int pad) {
  const int pw = width + 2 * pad, rowFloats = pw * c, n = width * c;
  for (int b = 0; b < batch; b++) {
    for (int py = 0; py < height + 2 * pad; py++) {
      float *row = dst + (b * (height + 2 * pad) + py) * rowFloats;
      const int iy = py - pad;
      if (iy < 0 || iy >= height) {
        for (int i = 0; i < rowFloats; i += 4) store_n(row + i, splat(0.0f), rowFloats - i);
        continue;
      }
      const float *src = x + (b * height + iy) * n;
      for (int i = 0; i < pad * c; i += 4) {
        store_n(row + i, splat(0.0f), pad * c - i);
        store_n(row + (pad + width) * c + i, splat(0.0f), pad * c - i);
      }
      float *mid = row + pad * c;
      int i = 0;
      for (; i + 4 <= n; i += 4) store4(mid + i, load4(src + i));
      if (i < n) store_n(mid + i, load_n(src + i, n - i), n - i);
    }
  }
}

/*
 * Whether a conv takes depthwise3x3.c's row walk, which needs no padded input: exported so
 * the caller asks rather than repeats the rule before it pads (wasm: depthwise-conv2d/index.ts).
 */
EXPORT(depthwise_walks_rows)
int depthwise_walks_rows(int k, int pad, int stride, int c, int act) {
  return k == 3 && pad == 1 && (stride == 1 || stride == 2) && (c & 3) == 0 && act != ACT_SILU;
}

/*
 * scratch: 0, or room for the zero-padded input ([batch, h + 2·pad, w + 2·pad, c]
 * floats), which turns every pixel into an interior one: the caller passes it for small
 * maps, where the border pixels (their taps a loop each) are a large share — at 14×14
 * with k = 5, half of them.
 */
/* scratch ← x zero-padded by pad on every side: call once before depthwise_conv2d's slices. */
EXPORT(depthwise_pad)
void depthwise_pad(const float *x, float *scratch, int batch, int height, int width, int c, int pad) {
  pad_input(x, scratch, batch, height, width, c, pad);
}

/*
 * scratch: 0, or the input already zero-padded by depthwise_pad (then every pixel is
 * interior). part, parts: this call computes slice `part` of `parts` equal slices of the
 * output rows, so threads sharing the memory can split one conv (wasm/pool.ts).
 */
EXPORT(depthwise_conv2d)
void depthwise_conv2d(const float *x, const float *w, const float *bias, float *y,
                      const float *scratch, int batch, int height, int width, int c, int k,
                      int stride, int pad, int act, const float *kc, int part, int parts) {
  if (depthwise_walks_rows(k, pad, stride, c, act)) {
    depthwise3x3_rows(x, w, bias, y, batch, height, width, c, stride, act, part, parts);
    return;
  }
  if (scratch && pad > 0) {
    x = scratch;
    height += 2 * pad;
    width += 2 * pad;
    pad = 0;
  }
  const int oh = (height + 2 * pad - k) / stride + 1, ow = (width + 2 * pad - k) / stride + 1;
  const int xRow = width * c, xPix = stride * c, full = c & ~3;
  /* Output columns whose taps all fall inside the image: [oxLo, oxHi). */
  const int oxLo = min_i(ow, (pad + stride - 1) / stride);
  const int oxHi = max_i(oxLo, min_i(ow, width - k + pad >= 0 ? (width - k + pad) / stride + 1 : 0));
  const int rows = batch * oh;
  const int r1 = (int)((long long)rows * (part + 1) / parts);
  for (int r = (int)((long long)rows * part / parts); r < r1; r++) {
    const int b = r / oh, oy = r % oh;
    {
      const int iy = oy * stride - pad;
      const int ky0 = clamp_i(-iy, 0, k), ky1 = clamp_i(height - iy, 0, k);
      for (int ox = 0; ox < ow;) {
        const int ix = ox * stride - pad;
        const float *xp = x + ((b * height + iy) * width + ix) * c; /* tap (0, 0); may be outside */
        float *yp = y + ((b * oh + oy) * ow + ox) * c;
        if (ox == oxLo && oxHi > oxLo) {
          const int count = oxHi - oxLo;
          dw_run(xp, w, bias, yp, count, c, full, xRow, xPix, k, ky0, ky1, act, kc);
          if (full < c)
            for (int i = 0; i < count; i++)
              dw_pixel_any(xp + i * xPix, w, bias, yp + i * c, c, full, k, ky0, ky1, 0, k, xRow, act, kc);
          ox += count;
          continue;
        }
        const int kx0 = clamp_i(-ix, 0, k), kx1 = clamp_i(width - ix, 0, k);
        dw_pixel_any(xp, w, bias, yp, c, 0, k, ky0, ky1, kx0, kx1, xRow, act, kc);
        ox++;
      }
    }
  }
}

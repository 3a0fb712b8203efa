/*
 * Grouped 2-D convolution, NHWC: RegNet's 3×3 convs with group width 8, 16, 24, …, and
 * with groups = 1 any dense conv (a 1×1 conv is a GEMM; faster than tfjs' XNNPACK
 * FusedConv2D on RegNet and EfficientNet shapes, thread for thread).
 *
 * y[b, oy, ox, g·gOut + co] = act(bias[g·gOut + co] + residual[…] +
 *     Σ_{ky, kx, ci < gIn} x[b, oy·s − pad + ky, ox·s − pad + kx, g·gIn + ci] · w(g, ky, kx, ci, co))
 *
 * The weight is webnets' HWIO layout [k, k, gIn, cout], output channels group by group:
 * w(g, ky, kx, ci, co) = w[((ky·k + kx)·gIn + ci)·cout + g·gOut + co]. It is read in
 * place (no repack): a group-major repack [groups, k, k, gIn, gOut] gains nothing, since
 * one group's weights (k·k·gIn·gOut floats) stay cache-resident either way.
 *
 * Register blocking: a block computes P output pixels × NV vectors of 4 output channels
 * in P·NV v128 accumulators; each step loads NV weight vectors once and broadcasts one
 * input value per pixel. P·NV + NV + 1 stays within x64's 16 xmm registers, which is
 * what V8 allocates from. Padding is handled without bounds checks in the inner loop:
 * the valid tap rows are a per-output-row loop bound, and only the edge columns whose
 * taps leave the image take a one-pixel path with a clamped tap-column range.
 */
#include "simd.h"

/*
 * Where one block's inputs, weights and outputs are, and how to step through them.
 * resOff: floats from y to the residual tensor (same layout as y), 0 when there is none.
 */
#define BLOCK_PARAMS                                                                         \
  const float *x, int xPix, int xRow, int cin, const float *w, int wRow, int wTap, int k, \
      int nky, int nkx, int gIn, const float *bias, float *y, int cout, int resOff, int act,   \
      const float *kc

/* The epilogue of one output vector: + residual, activation, store. */
INLINE void finish(float *y, f4 acc, int resOff, int act, Consts c) {
  if (resOff != 0) acc = wasm_f32x4_add(acc, load4(y + resOff));
  store4(y, activate(acc, act, c));
}

/*
 * The block kernel, unrolled by macros (see REP in simd.h) over P pixels and NV output
 * vectors: accumulator a<p>_<v>, weights w<v>, broadcast inputs xv<p>.
 */
#define REPV1(M, p) M(p, 0)
#define REPV2(M, p) REPV1(M, p) M(p, 1)
#define REPV3(M, p) REPV2(M, p) M(p, 2)
#define REPV4(M, p) REPV3(M, p) M(p, 3)

#define ACC_INIT(p, v) f4 a##p##_##v = load4(bias + 4 * v);
#define ACC_STEP(p, v) a##p##_##v = madd(a##p##_##v, xv##p, w##v);
#define ACC_STORE(p, v) finish(y + p * cout + 4 * v, a##p##_##v, resOff, act, c);
#define W_LOAD(_, v) f4 w##v = load4(wq + 4 * v);
#define PIX_INIT(p, NV) REPV##NV(ACC_INIT, p)
#define PIX_STEP(p, NV)                                    \
  {                                                        \
    f4 xv##p = wasm_v128_load32_splat(xq + p * xPix + ci); \
    REPV##NV(ACC_STEP, p)                                  \
  }
#define PIX_STORE(p, NV) REPV##NV(ACC_STORE, p)

#define DEFINE_BLOCK(NV, P)                                \
  INLINE void conv_block_##NV##x##P(BLOCK_PARAMS) {        \
    REP##P(PIX_INIT, NV)                                   \
    for (int ky = 0; ky < nky; ky++) {                     \
      for (int kx = 0; kx < nkx; kx++) {                   \
        const float *xq = x + ky * xRow + kx * cin;        \
        const float *wq = w + (ky * k + kx) * wTap;        \
        for (int ci = 0; ci < gIn; ci++, wq += wRow) {     \
          REPV##NV(W_LOAD, _)                              \
          REP##P(PIX_STEP, NV)                             \
        }                                                  \
      }                                                    \
    }                                                      \
    const Consts c = load_consts(kc);                      \
    REP##P(PIX_STORE, NV)                                  \
  }

/* The last 1–3 output channels of a group whose width is not a multiple of 4: one pixel. */
static void conv_tail(int lanes, BLOCK_PARAMS) {
  f4 acc = load_n(bias, lanes);
  for (int ky = 0; ky < nky; ky++) {
    for (int kx = 0; kx < nkx; kx++) {
      const float *xq = x + ky * xRow + kx * cin;
      const float *wq = w + (ky * k + kx) * wTap;
      for (int ci = 0; ci < gIn; ci++, wq += wRow)
        acc = madd(acc, wasm_v128_load32_splat(xq + ci), load_n(wq, lanes));
    }
  }
  if (resOff != 0) acc = wasm_f32x4_add(acc, load_n(y + resOff, lanes));
  store_n(y, activate(acc, act, load_consts(kc)), lanes);
}

/* `count` consecutive output pixels (same tap range) × NV output vectors. */
#define DEFINE_SPAN(NV, P)                                                           \
  DEFINE_BLOCK(NV, P)                                                                \
  DEFINE_BLOCK(NV, 1)                                                                \
  static void conv_span_##NV(int count, BLOCK_PARAMS) {                              \
    int i = 0;                                                                       \
    for (; i + P <= count; i += P)                                                   \
      conv_block_##NV##x##P(x + i * xPix, xPix, xRow, cin, w, wRow, wTap, k, nky, nkx, \
                            gIn, bias, y + i * cout, cout, resOff, act, kc);         \
    for (; i < count; i++)                                                           \
      conv_block_##NV##x1(x + i * xPix, xPix, xRow, cin, w, wRow, wTap, k, nky, nkx,   \
                          gIn, bias, y + i * cout, cout, resOff, act, kc);           \
  }

/*
 * Pixels per block for each NV, measured on RegNet and EfficientNet shapes in Node
 * (V8), with and without FMA: 4×2 beats 4×3, 3×3, 3×4 and 2×5/2×6 (those spill),
 * 3×2 serves a 3-vector remainder, and 2×4 suits group width 8.
 */
DEFINE_SPAN(1, 8)
DEFINE_SPAN(2, 4)
DEFINE_SPAN(3, 2)
DEFINE_SPAN(4, 2)

/*
 * `count` pixels of a 1×1 stride-1 conv (a GEMM) whose weight rows are wRow floats apart:
 * the block with its tap loops gone (inlined, so a constant wRow stays one).
 */
#define DEFINE_GEMM_SPAN(NV, P)                                                              \
  INLINE void gemm_span_##NV(int count, const float *x, int cin, const float *w, int wRow,   \
                             const float *bias, float *y, int cout, int resOff, int act,    \
                             const float *kc) {                                              \
    int i = 0;                                                                               \
    for (; i + P <= count; i += P)                                                           \
      conv_block_##NV##x##P(x + i * cin, cin, 0, cin, w, wRow, 0, 1, 1, 1, cin, bias,        \
                            y + i * cout, cout, resOff, act, kc);                            \
    for (; i < count; i++)                                                                   \
      conv_block_##NV##x1(x + i * cin, cin, 0, cin, w, wRow, 0, 1, 1, 1, cin, bias,          \
                          y + i * cout, cout, resOff, act, kc);                              \
  }
DEFINE_GEMM_SPAN(2, 4)
DEFINE_GEMM_SPAN(4, 2)

/* A packed weight's panel ([cin][16], see dense_packed): its row stride a constant. */
static void panel_span_2(int count, const float *x, int cin, const float *w, const float *bias,
                         float *y, int cout, int resOff, int act, const float *kc) {
  gemm_span_2(count, x, cin, w, 16, bias, y, cout, resOff, act, kc);
}
static void panel_span_4(int count, const float *x, int cin, const float *w, const float *bias,
                         float *y, int cout, int resOff, int act, const float *kc) {
  gemm_span_4(count, x, cin, w, 16, bias, y, cout, resOff, act, kc);
}

/*
 * Register blocks (config.ts picks them per engine): BLOCKS_16X2 runs a group's output
 * channels 16 × 2 pixels at a time, BLOCKS_8X4 8 × 4: the same arithmetic, which engines
 * compile at different speeds. PACKED_WEIGHT, or'ed in, says a 1×1 conv's weight is packed.
 */
enum { BLOCKS_16X2 = 1, BLOCKS_8X4 = 2, BLOCKS_MASK = 3, PACKED_WEIGHT = 4 };

/* Setup checks this against config.ts CONV_PACKED_WEIGHT (module.ts). */
EXPORT(conv_packed_weight) int conv_packed_weight(void) { return PACKED_WEIGHT; }

/* A run of output pixels sharing one tap range, for every group and output channel. */
static void conv_pixels(int count, int groups, int gOut, int blocks, BLOCK_PARAMS) {
  for (int g = 0; g < groups; g++) {
    const float *xg = x + g * gIn;
    const float *wg = w + g * gOut;
    const float *bg = bias + g * gOut;
    float *yg = y + g * gOut;
    int co = 0;
    if (blocks == BLOCKS_8X4)
      for (; co + 8 <= gOut; co += 8)
        conv_span_2(count, xg, xPix, xRow, cin, wg + co, wRow, wTap, k, nky, nkx, gIn, bg + co,
                    yg + co, cout, resOff, act, kc);
    for (; co + 16 <= gOut; co += 16)
      conv_span_4(count, xg, xPix, xRow, cin, wg + co, wRow, wTap, k, nky, nkx, gIn, bg + co,
                  yg + co, cout, resOff, act, kc);
    const int rest = (gOut - co) / 4;
    if (rest == 3)
      conv_span_3(count, xg, xPix, xRow, cin, wg + co, wRow, wTap, k, nky, nkx, gIn, bg + co,
                  yg + co, cout, resOff, act, kc);
    if (rest == 2)
      conv_span_2(count, xg, xPix, xRow, cin, wg + co, wRow, wTap, k, nky, nkx, gIn, bg + co,
                  yg + co, cout, resOff, act, kc);
    if (rest == 1)
      conv_span_1(count, xg, xPix, xRow, cin, wg + co, wRow, wTap, k, nky, nkx, gIn, bg + co,
                  yg + co, cout, resOff, act, kc);
    co += 4 * rest;
    if (co < gOut)
      for (int i = 0; i < count; i++)
        conv_tail(gOut - co, xg + i * xPix, xPix, xRow, cin, wg + co, wRow, wTap, k, nky, nkx,
                  gIn, bg + co, yg + i * cout + co, cout, resOff, act, kc);
  }
}

/*
 * The stems' 3×3 dense conv on 3 input channels in 8 × 4 blocks, every tap column inside:
 * each tap row is one flat run of 9 steps (3 taps × 3 channels), given here as constants,
 * so clang unrolls the steps and the engine compiles straight-line blocks instead of a
 * 9-iteration loop per tap row. SpiderMonkey (the 8 × 4 engine) runs the stems 1.2-1.7×
 * faster so; V8 and JavaScriptCore run their 16 × 2 loops as fast or faster (16 × 2
 * unrolled spills on V8), so they keep conv_pixels. The last cout mod 8 channels too.
 */
static void stem_pixels_8x4(int count, BLOCK_PARAMS) {
  int co = 0;
  for (; co + 8 <= cout; co += 8) {
    int i = 0;
    for (; i + 4 <= count; i += 4)
      conv_block_2x4(x + i * xPix, xPix, xRow, 3, w + co, wRow, 3 * wRow, 3, nky, 1, 9,
                     bias + co, y + i * cout + co, cout, resOff, act, kc);
    for (; i < count; i++)
      conv_block_2x1(x + i * xPix, xPix, xRow, 3, w + co, wRow, 3 * wRow, 3, nky, 1, 9,
                     bias + co, y + i * cout + co, cout, resOff, act, kc);
  }
  if (co < cout)
    conv_pixels(count, 1, cout - co, BLOCKS_8X4, x, xPix, xRow, cin, w + co, wRow, wTap, k, nky,
                nkx, gIn, bias + co, y + co, cout, resOff, act, kc);
}

INLINE int max_i(int a, int b) { return a > b ? a : b; }
INLINE int min_i(int a, int b) { return a < b ? a : b; }

/* Where slice `part` of `parts` equal slices of n items starts (64-bit: n · part may pass 2³¹). */
INLINE int slice_start(int n, int part, int parts) {
  return (int)((long long)n * part / parts);
}

/*
 * A 1×1 stride-1 dense conv on a packed weight (pack_dense_filter's layout): panel p of
 * 16 output channels is [cin][16] at p·16·cin, the last cout mod 16 channels are
 * [cin][rest] after the panels. Each panel is contiguous, so it stays in L1 while every
 * pixel passes; rows of a [cin][cout] weight 2^n floats apart fall into a few L1 sets
 * and evict each other (bench/RESULTS.md: what packing gains per conv). A panel runs as
 * blocks of 16 channels × 2 pixels, or as two halves of 8 channels × 4 pixels (`blocks`).
 */
static void dense_packed(int pixels, int blocks, BLOCK_PARAMS) {
  const int full = cout / 16, rest = cout - 16 * full;
  for (int p = 0; p < full; p++) {
    if (blocks == BLOCKS_8X4) {
      for (int h = 0; h < 16; h += 8)
        panel_span_2(pixels, x, cin, w + p * 16 * cin + h, bias + 16 * p + h, y + 16 * p + h, cout,
                     resOff, act, kc);
    } else {
      panel_span_4(pixels, x, cin, w + p * 16 * cin, bias + 16 * p, y + 16 * p, cout, resOff,
                   act, kc);
    }
  }
  if (rest > 0)
    conv_pixels(pixels, 1, rest, blocks, x, cin, xRow, cin, w + full * 16 * cin, rest, rest * cin, 1, 1,
                1, cin, bias + 16 * full, y + 16 * full, cout, resOff, act, kc);
}

/* A 1×1 stride-1 dense conv on its [cin][cout] weight in place: `pixels` pixels. */
static void dense_in_place(int pixels, int blocks, const float *x, int cin, const float *w,
                           const float *bias, float *y, int cout, int resOff, int act,
                           const float *kc) {
  int co = 0;
  if (blocks == BLOCKS_8X4)
    for (; co + 8 <= cout; co += 8)
      gemm_span_2(pixels, x, cin, w + co, cout, bias + co, y + co, cout, resOff, act, kc);
  for (; co + 16 <= cout; co += 16)
    gemm_span_4(pixels, x, cin, w + co, cout, bias + co, y + co, cout, resOff, act, kc);
  if (co < cout)
    conv_pixels(pixels, 1, cout - co, blocks, x, cin, 0, cin, w + co, cout, cin * cout, 1, 1, 1,
                cin, bias + co, y + co, cout, resOff, act, kc);
}

/*
 * residual: a tensor shaped like y added before the activation, or 0 for none.
 * part, parts: this call computes part `part` of `parts` equal slices of the output rows
 * (of the pixels, for a 1×1 conv), so that threads sharing the memory can split one conv
 * (wasm/pool.ts); 0, 1 computes all of it. layout: this engine's register blocks
 * (BLOCKS_16X2 or BLOCKS_8X4), | PACKED_WEIGHT for a 1×1 stride-1 conv's weight packed by
 * pack_dense_filter (see dense_packed).
 */
EXPORT(group_conv2d)
void group_conv2d(const float *x, const float *w, const float *bias, const float *residual,
                  float *y, int batch, int height, int width, int cin, int cout, int k,
                  int stride, int pad, int groups, int act, const float *kc, int layout, int part,
                  int parts) {
  const int gIn = cin / groups, gOut = cout / groups;
  const int oh = (height + 2 * pad - k) / stride + 1, ow = (width + 2 * pad - k) / stride + 1;
  const int wRow = cout, wTap = gIn * wRow, xPix = stride * cin, xRow = width * cin;
  const int resOff = residual ? (int)(residual - y) : 0;
  const int blocks = layout & BLOCKS_MASK;
  /* Output columns whose taps all fall inside the image: [oxLo, oxHi). */
  const int oxLo = min_i(ow, (pad + stride - 1) / stride);
  const int oxHi = max_i(oxLo, min_i(ow, width - k + pad >= 0 ? (width - k + pad) / stride + 1 : 0));
  /*
   * A 1×1 stride-1 conv is a GEMM over every pixel at once: one span, so each weight panel
   * (cin × 16 outputs) is fetched once and reused by all pixels from L1, instead of once per
   * output row (RegNet's 384→384 weights, 590 KB, outgrow L2).
   */
  if (k == 1 && stride == 1 && pad == 0) {
    const int pixels = batch * height * width;
    const int p0 = slice_start(pixels, part, parts), p1 = slice_start(pixels, part + 1, parts);
    if (p1 > p0 && (layout & PACKED_WEIGHT))
      dense_packed(p1 - p0, blocks, x + p0 * cin, cin, xRow, cin, w, wRow, wTap, 1, 1, 1, cin, bias,
                   y + p0 * cout, cout, resOff, act, kc);
    else if (p1 > p0 && groups == 1)
      dense_in_place(p1 - p0, blocks, x + p0 * cin, cin, w, bias, y + p0 * cout, cout, resOff, act,
                     kc);
    else if (p1 > p0)
      conv_pixels(p1 - p0, groups, gOut, blocks, x + p0 * cin, cin, xRow, cin, w, wRow, wTap, k, 1, 1,
                  gIn, bias, y + p0 * cout, cout, resOff, act, kc);
    return;
  }
  const int rows = batch * oh;
  const int r1 = slice_start(rows, part + 1, parts);
  for (int r = slice_start(rows, part, parts); r < r1; r++) {
    const int b = r / oh, oy = r % oh;
    {
      const int iy = oy * stride - pad;
      const int ky0 = max_i(0, -iy), nky = min_i(k, height - iy) - ky0;
      const float *xRowBase = x + ((b * height + iy + ky0) * width) * cin;
      const float *wRowBase = w + ky0 * k * wTap;
      float *yRow = y + ((b * oh + oy) * ow) * cout;
      for (int ox = 0; ox < ow;) {
        const int ix = ox * stride - pad;
        const int kx0 = max_i(0, -ix), nkx = min_i(k, width - ix) - kx0;
        const int count = ox == oxLo && oxHi > oxLo ? oxHi - oxLo : 1;
        /*
         * Dense, all tap columns inside: a tap row's k·cin inputs are contiguous in x and
         * its k·cin weight rows in w, so one loop of k·cin steps replaces k loops of cin.
         * The stems (3×3, 3 inputs): 9 steps instead of 3 × 3, each step long enough to pay.
         */
        const int flat = groups == 1 && nkx == k;
        if (flat && k == 3 && cin == 3 && blocks == BLOCKS_8X4) {
          stem_pixels_8x4(count, xRowBase + (ix + kx0) * cin, xPix, xRow, cin,
                      wRowBase + kx0 * wTap, wRow, wTap, k, nky, 1, 9, bias, yRow + ox * cout,
                      cout, resOff, act, kc);
          ox += count;
          continue;
        }
        conv_pixels(count, groups, gOut, blocks, xRowBase + (ix + kx0) * cin, xPix, xRow, cin,
                    wRowBase + kx0 * wTap, wRow, wTap, k, nky, flat ? 1 : nkx,
                    flat ? k * cin : gIn, bias, yRow + ox * cout, cout, resOff, act, kc);
        ox += count;
      }
    }
  }
}

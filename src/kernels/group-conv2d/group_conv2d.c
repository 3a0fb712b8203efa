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
 * what V8 allocates from. V8, SpiderMonkey and JavaScriptCore all run 16 channels × 2
 * pixels fastest once the weight vectors' offsets are in their loads (W_AT below).
 * Padding is handled without bounds checks in the inner loop:
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
 * vectors: accumulator a<p>_<v>, weights w<v>, broadcast inputs xv<p>. WLOAD(v) loads a
 * step's weight vector v: W_AT with its offset in the load (LOAD4_AT), which every engine
 * runs faster in the long step loops of 1×1 and grouped convs (bench/RESULTS.md,
 * 2026-12-05: JavaScriptCore 1.06-1.11× on whole networks; SpiderMonkey's 16 × 2 blocks
 * so beat the 8 × 4 ones it ran before); W_PLAIN as a pointer sum (SpiderMonkey's stems).
 */
#define REPV1(M, p) M(p, 0)
#define REPV2(M, p) REPV1(M, p) M(p, 1)
#define REPV3(M, p) REPV2(M, p) M(p, 2)
#define REPV4(M, p) REPV3(M, p) M(p, 3)

#define ACC_INIT(p, v) f4 a##p##_##v = load4(bias + 4 * v);
#define ACC_STEP(p, v) a##p##_##v = madd(a##p##_##v, xv##p, w##v);
#define ACC_STORE(p, v) finish(y + p * cout + 4 * v, a##p##_##v, resOff, act, c);
#define W_OFFSET_0 0
#define W_OFFSET_1 16
#define W_OFFSET_2 32
#define W_OFFSET_3 48
#define W_LOAD_AT(p, bytes) LOAD4_AT(p, bytes) /* expands W_OFFSET_v before # quotes it */
#define W_AT(v) W_LOAD_AT(wq, W_OFFSET_##v)
#define W_PLAIN(v) load4(wq + 4 * v)
#define W_LOAD(WLOAD, v) f4 w##v = WLOAD(v);
/* STEPS: clang's choice whether to unroll the step loop, or a loop kept as one. */
#define STEPS_ANY
#define STEPS_AS_LOOP _Pragma("clang loop unroll(disable)")
#define PIX_INIT(p, NV) REPV##NV(ACC_INIT, p)
#define PIX_STEP(p, NV)                                    \
  {                                                        \
    f4 xv##p = wasm_v128_load32_splat(xq + p * xPix + ci); \
    REPV##NV(ACC_STEP, p)                                  \
  }
#define PIX_STORE(p, NV) REPV##NV(ACC_STORE, p)

#define DEFINE_BLOCK(NAME, NV, P, WLOAD, STEPS)            \
  INLINE void NAME(BLOCK_PARAMS) {                         \
    REP##P(PIX_INIT, NV)                                   \
    for (int ky = 0; ky < nky; ky++) {                     \
      for (int kx = 0; kx < nkx; kx++) {                   \
        const float *xq = x + ky * xRow + kx * cin;        \
        const float *wq = w + (ky * k + kx) * wTap;        \
        STEPS                                              \
        for (int ci = 0; ci < gIn; ci++, wq += wRow) {     \
          REPV##NV(W_LOAD, WLOAD)                          \
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

/*
 * SPAN: `count` consecutive output pixels (same tap range) × NV output vectors, in blocks
 * BLOCK_<NV>x<P> and BLOCK_<NV>x1 of the given weight loads and step loop.
 */
#define DEFINE_SPAN(SPAN, BLOCK, NV, P, WLOAD, STEPS)                                   \
  DEFINE_BLOCK(BLOCK##_##NV##x##P, NV, P, WLOAD, STEPS)                                \
  DEFINE_BLOCK(BLOCK##_##NV##x1, NV, 1, WLOAD, STEPS)                                  \
  static void SPAN(int count, BLOCK_PARAMS) {                                           \
    int i = 0;                                                                          \
    for (; i + P <= count; i += P)                                                      \
      BLOCK##_##NV##x##P(x + i * xPix, xPix, xRow, cin, w, wRow, wTap, k, nky, nkx, gIn, \
                         bias, y + i * cout, cout, resOff, act, kc);                    \
    for (; i < count; i++)                                                              \
      BLOCK##_##NV##x1(x + i * xPix, xPix, xRow, cin, w, wRow, wTap, k, nky, nkx, gIn,   \
                       bias, y + i * cout, cout, resOff, act, kc);                      \
  }

/*
 * Pixels per block for each NV, measured on RegNet and EfficientNet shapes in Node
 * (V8), with and without FMA: 4×2 beats 4×3, 3×3, 3×4 and 2×5/2×6 (those spill),
 * 3×2 serves a 3-vector remainder, and 2×4 suits group width 8.
 */
DEFINE_SPAN(conv_span_1, conv_block, 1, 8, W_AT, STEPS_ANY)
DEFINE_SPAN(conv_span_2, conv_block, 2, 4, W_AT, STEPS_ANY)
DEFINE_SPAN(conv_span_3, conv_block, 3, 2, W_AT, STEPS_ANY)
DEFINE_SPAN(conv_span_4, conv_block, 4, 2, W_AT, STEPS_ANY)

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
DEFINE_GEMM_SPAN(4, 2)

/* A packed weight's panel ([cin][16], see dense_packed): its row stride a constant. */
static void panel_span_4(int count, const float *x, int cin, const float *w, const float *bias,
                         float *y, int cout, int resOff, int act, const float *kc) {
  gemm_span_4(count, x, cin, w, 16, bias, y, cout, resOff, act, kc);
}

/*
 * `layout` bits: STEM_OFFSETS, the stems load their weight vectors at offsets (W_AT) rather
 * than as pointer sums (config.ts STEM_WEIGHT_LOADS picks per engine); PACKED_WEIGHT, a
 * 1×1 conv's weight is packed (dense_packed). Bits 0-1 were the register blocks of builds
 * before 2026-12-05 (1 there: 16 × 2, as every conv runs now; 2: 8 × 4).
 */
enum { STEM_OFFSETS = 1, PACKED_WEIGHT = 4 };

/* Setup checks this against config.ts CONV_PACKED_WEIGHT (module.ts). */
EXPORT(conv_packed_weight) int conv_packed_weight(void) { return PACKED_WEIGHT; }

/* A run of output pixels sharing one tap range, for every group and output channel. */
static void conv_pixels(int count, int groups, int gOut, BLOCK_PARAMS) {
  for (int g = 0; g < groups; g++) {
    const float *xg = x + g * gIn;
    const float *wg = w + g * gOut;
    const float *bg = bias + g * gOut;
    float *yg = y + g * gOut;
    int co = 0;
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
 * The stems' spans of 16 output channels, both weight loads: their 9 steps stay a loop
 * (unrolled, 16 × 2 spills on V8).
 */
DEFINE_SPAN(stem_span_at, stem_block_at, 4, 2, W_AT, STEPS_AS_LOOP)
DEFINE_SPAN(stem_span_sum, stem_block_sum, 4, 2, W_PLAIN, STEPS_AS_LOOP)

/*
 * The stems' 3×3 dense conv on 3 input channels, every tap column inside: each tap row is
 * one flat run of 9 steps (3 taps × 3 channels) in a loop kept as one, the weights loaded
 * at offsets (`offsets`: STEM_OFFSETS) or as pointer sums. Every engine runs its stems
 * faster so than through conv_pixels, and engines disagree on the loads (bench/RESULTS.md,
 * 2026-12-05: JavaScriptCore 1.12× and V8 1.04× faster at offsets, SpiderMonkey 1.33×
 * with sums). The last cout mod 16 channels run in conv_pixels.
 */
static void stem_pixels(int count, int offsets, BLOCK_PARAMS) {
  int co = 0;
  for (; co + 16 <= cout; co += 16) {
    if (offsets)
      stem_span_at(count, x, xPix, xRow, cin, w + co, wRow, wTap, k, nky, nkx, gIn, bias + co,
                   y + co, cout, resOff, act, kc);
    else
      stem_span_sum(count, x, xPix, xRow, cin, w + co, wRow, wTap, k, nky, nkx, gIn, bias + co,
                    y + co, cout, resOff, act, kc);
  }
  if (co < cout)
    conv_pixels(count, 1, cout - co, x, xPix, xRow, cin, w + co, wRow, wTap, k, nky, nkx, gIn,
                bias + co, y + co, cout, resOff, act, kc);
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
 * and evict each other (bench/RESULTS.md: what packing gains per conv).
 */
static void dense_packed(int pixels, BLOCK_PARAMS) {
  const int full = cout / 16, rest = cout - 16 * full;
  for (int p = 0; p < full; p++)
    panel_span_4(pixels, x, cin, w + p * 16 * cin, bias + 16 * p, y + 16 * p, cout, resOff, act,
                 kc);
  if (rest > 0)
    conv_pixels(pixels, 1, rest, x, cin, xRow, cin, w + full * 16 * cin, rest, rest * cin, 1, 1,
                1, cin, bias + 16 * full, y + 16 * full, cout, resOff, act, kc);
}

/* A 1×1 stride-1 dense conv on its [cin][cout] weight in place: `pixels` pixels. */
static void dense_in_place(int pixels, const float *x, int cin, const float *w,
                           const float *bias, float *y, int cout, int resOff, int act,
                           const float *kc) {
  int co = 0;
  for (; co + 16 <= cout; co += 16)
    gemm_span_4(pixels, x, cin, w + co, cout, bias + co, y + co, cout, resOff, act, kc);
  if (co < cout)
    conv_pixels(pixels, 1, cout - co, x, cin, 0, cin, w + co, cout, cin * cout, 1, 1, 1,
                cin, bias + co, y + co, cout, resOff, act, kc);
}

/*
 * residual: a tensor shaped like y added before the activation, or 0 for none.
 * part, parts: this call computes part `part` of `parts` equal slices of the output rows
 * (of the pixels, for a 1×1 conv), so that threads sharing the memory can split one conv
 * (wasm/pool.ts); 0, 1 computes all of it. layout: STEM_OFFSETS for this engine's stem
 * weight loads, | PACKED_WEIGHT for a 1×1 stride-1 conv's weight packed by
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
      dense_packed(p1 - p0, x + p0 * cin, cin, xRow, cin, w, wRow, wTap, 1, 1, 1, cin, bias,
                   y + p0 * cout, cout, resOff, act, kc);
    else if (p1 > p0 && groups == 1)
      dense_in_place(p1 - p0, x + p0 * cin, cin, w, bias, y + p0 * cout, cout, resOff, act,
                     kc);
    else if (p1 > p0)
      conv_pixels(p1 - p0, groups, gOut, x + p0 * cin, cin, xRow, cin, w, wRow, wTap, k, 1, 1,
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
        if (flat && k == 3 && cin == 3) {
          stem_pixels(count, layout & STEM_OFFSETS, xRowBase + (ix + kx0) * cin, xPix, xRow, cin,
                      wRowBase + kx0 * wTap, wRow, wTap, k, nky, 1, 9, bias, yRow + ox * cout,
                      cout, resOff, act, kc);
          ox += count;
          continue;
        }
        conv_pixels(count, groups, gOut, xRowBase + (ix + kx0) * cin, xPix, xRow, cin,
                    wRowBase + kx0 * wTap, wRow, wTap, k, nky, flat ? 1 : nkx,
                    flat ? k * cin : gIn, bias, yRow + ox * cout, cout, resOff, act, kc);
        ox += count;
      }
    }
  }
}

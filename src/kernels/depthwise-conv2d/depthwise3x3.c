/*
 * 3×3 depthwise convolution, pad 1, stride 1 or 2, channels a multiple of 4, ReLU or no
 * activation (FD-MobileNet's): one output row at a time, one channel vector at a time,
 * walking the row with the 9 weight vectors in registers. Each input vector is loaded
 * once per output row and used by every output pixel whose taps cover it (3 at stride 1,
 * 1–2 at stride 2): 3 loads per output vector at stride 1 and 6 at stride 2 for 9
 * multiply-adds, where depthwise_conv2d.c's pixel blocks load 10.5. A tap row outside the image
 * gets zero weights and the middle row's pointer, so the walk has no edge branches, and
 * the left and right zero padding are where the walk starts and ends: no padded copy.
 *
 * SiLU convs stay on the pixel blocks: SiLU's constants crowd the weights out of the
 * registers, and as a second pass over the row it lost to them (bench/RESULTS.md).
 */
#include "simd.h"

INLINE int min_i(int a, int b) { return a < b ? a : b; }
INLINE int max_i(int a, int b) { return a > b ? a : b; }

/*
 * A row walk's input floats (3 rows × c channels × its columns) at most: each channel
 * vector re-reads the span's columns, which should stay in L1 (32 KB here). Smaller spans
 * measured slower on FD-MobileNet's maps (their 3 rows are 21 KB), larger ones no faster.
 */
#define DW3_SPAN_FLOATS 8192

/* w<ky><kx>: the channel vector's 9 weights; x0–x2: one input column's 3 tap rows. */
#define W3_LOAD(ky, kx) \
  const f4 w##ky##kx = (ky == 0 && !top) || (ky == 2 && !bottom) ? splat(0.0f) : load4(w + (ky * 3 + kx) * c + ch);
#define W3_ROW(ky) W3_LOAD(ky, 0) W3_LOAD(ky, 1) W3_LOAD(ky, 2)
#define MAC3(acc, kx) acc = madd(madd(madd(acc, x0, w0##kx), x1, w1##kx), x2, w2##kx)
#define COL3(at) \
  const f4 x0 = load4(p0 + (at)), x1 = load4(p1 + (at)), x2 = load4(p2 + (at))

INLINE f4 dw3_out(f4 v, const int A) { return A == ACT_RELU ? relu4(v) : v; }

/* Output columns [o0, o1) of one row, every channel vector. */
INLINE void dw3_span(const float *r0, const float *r1, const float *r2, const float *w,
                     const float *bias, float *y, int width, int ow, int c, int stride, int top,
                     int bottom, int o0, int o1, const int A) {
  for (int ch = 0; ch < c; ch += 4) {
    W3_ROW(0) W3_ROW(1) W3_ROW(2)
    const f4 b = load4(bias + ch);
    const float *p0 = r0 + ch, *p1 = r1 + ch, *p2 = r2 + ch;
    float *out = y + ch;
    if (stride == 1) {
      /* q: output column i, r: column i + 1, both partial; input column i finishes i − 1. */
      f4 q = b, r = b;
      if (o0 > 0) {
        COL3((o0 - 1) * c);
        MAC3(q, 0);
      }
      {
        COL3(o0 * c);
        MAC3(q, 1);
        MAC3(r, 0);
      }
      for (int i = o0 + 1; i < o1; i++) {
        f4 p = q;
        q = r;
        r = b;
        COL3(i * c);
        MAC3(p, 2);
        MAC3(q, 1);
        MAC3(r, 0);
        store4(out + (i - 1) * c, dw3_out(p, A));
      }
      if (o1 < width) {
        COL3(o1 * c);
        MAC3(q, 2);
      }
      store4(out + (o1 - 1) * c, dw3_out(q, A));
    } else {
      /* Output o reads columns 2o − 1, 2o, 2o + 1; acc holds column 2o − 1's part already. */
      f4 acc = b;
      if (o0 > 0) {
        COL3((2 * o0 - 1) * c);
        MAC3(acc, 0);
      }
      const int pairs = min_i(o1, width >> 1); /* outputs whose column 2o + 1 is inside */
      for (int o = o0; o < pairs; o++) {
        f4 next = b;
        {
          COL3(2 * o * c);
          MAC3(acc, 1);
        }
        {
          COL3((2 * o + 1) * c);
          MAC3(acc, 2);
          MAC3(next, 0);
        }
        store4(out + o * c, dw3_out(acc, A));
        acc = next;
      }
      if (o1 > pairs) {
        COL3(2 * pairs * c);
        MAC3(acc, 1);
        store4(out + pairs * c, dw3_out(acc, A));
      }
    }
  }
}

/* One output row in spans whose input columns (3 rows × c channels) stay within L1. */
INLINE void dw3_row(const float *r0, const float *r1, const float *r2, const float *w,
                    const float *bias, float *y, int width, int ow, int c, int stride, int top,
                    int bottom, const int A) {
  const int span = max_i(4, DW3_SPAN_FLOATS / (3 * c * stride));
  for (int o0 = 0; o0 < ow; o0 += span)
    dw3_span(r0, r1, r2, w, bias, y, width, ow, c, stride, top, bottom, o0, min_i(ow, o0 + span), A);
}

#define DEFINE_DW3(A)                                                                        \
  static void dw3_rows_##A(const float *x, const float *w, const float *bias, float *y,     \
                           int height, int width, int c, int stride, int oh, int ow, int r0, \
                           int r1) {                                                        \
    for (int r = r0; r < r1; r++) {                                                         \
      const int b = r / oh, oy = r % oh, iy = oy * stride - 1;                              \
      const float *mid = x + ((b * height + iy + 1) * width) * c;                           \
      const int top = iy >= 0, bottom = iy + 2 < height;                                    \
      dw3_row(top ? mid - width * c : mid, mid, bottom ? mid + width * c : mid, w, bias,    \
              y + ((b * oh + oy) * ow) * c, width, ow, c, stride, top, bottom, A);           \
    }                                                                                       \
  }
DEFINE_DW3(0)
DEFINE_DW3(1)

void depthwise3x3_rows(const float *x, const float *w, const float *bias, float *y, int batch,
                       int height, int width, int c, int stride, int act, int part, int parts) {
  const int oh = (height - 1) / stride + 1, ow = (width - 1) / stride + 1, rows = batch * oh;
  const int r0 = (int)((long long)rows * part / parts);
  const int r1 = (int)((long long)rows * (part + 1) / parts);
  if (act == ACT_RELU) dw3_rows_1(x, w, bias, y, height, width, c, stride, oh, ow, r0, r1);
  else dw3_rows_0(x, w, bias, y, height, width, c, stride, oh, ow, r0, r1);
}

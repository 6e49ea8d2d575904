/*
 * Weight gradient of a stride-1 NHWC conv2d, dW[i, j, ci, co] = sum_{n, oh, ow} x[n, oh+i-pt, ow+j-pl, ci]
 * * dy[n, oh, ow, co], as register-tiled outer products: per output row (n, oh) and tap (i, j), a tile of
 * up to 4 input channels by 8 output channels accumulates over the row's positions in registers, then is
 * added into dW. One pass over dy and x, no transposes, no packed copy of dy (the transposed-conv route
 * through XNNPACK re-streams a packed dy per few output rows, which is slow when dW is small).
 *
 * Same rules as batchnorm_act.c: no stack, no data; dw (zeroed by the caller) and every tensor come from
 * TF.js's heap. co must be a multiple of 8 (the caller checks).
 */
#include "outer.h"

#define EXPORT(name) __attribute__((export_name(#name)))

EXPORT(conv_filter_grad)
void conv_filter_grad(const float *x, const float *dy, int n, int h, int w, int ci, int ho, int wo, int co, int kh,
                      int kw, int pt, int pl, float *dw) {
  for (int b = 0; b < n; b++) {
    for (int oh = 0; oh < ho; oh++) {
      const float *drow = dy + ((long)b * ho + oh) * wo * co;
      for (int i = 0; i < kh; i++) {
        int xr = oh + i - pt;
        if (xr < 0 || xr >= h) continue;
        const float *xrow = x + ((long)b * h + xr) * w * ci;
        for (int j = 0; j < kw; j++) {
          int ow0 = pl - j > 0 ? pl - j : 0;
          int ow1 = w + pl - j < wo ? w + pl - j : wo;
          if (ow0 >= ow1) continue;
          int count = ow1 - ow0;
          float *dwij = dw + (long)(i * kw + j) * ci * co;
          const float *xs0 = xrow + (long)(ow0 + j - pl) * ci;
          const float *ds0 = drow + (long)ow0 * co;
          int c0 = 0;
          for (; c0 + 4 <= ci; c0 += 4)
            for (int o0 = 0; o0 < co; o0 += 8)
              outer_tile(4, xs0 + c0, ci, ds0 + o0, co, count, dwij + c0 * co + o0);
          int rest = ci - c0;
          if (rest)
            for (int o0 = 0; o0 < co; o0 += 8) {
              if (rest == 3) outer_tile(3, xs0 + c0, ci, ds0 + o0, co, count, dwij + c0 * co + o0);
              else if (rest == 2) outer_tile(2, xs0 + c0, ci, ds0 + o0, co, count, dwij + c0 * co + o0);
              else outer_tile(1, xs0 + c0, ci, ds0 + o0, co, count, dwij + c0 * co + o0);
            }
        }
      }
    }
  }
}

/*
 * Stride-1, dilation-1 NHWC conv2d, y[n, oh, ow, co] = sum_{i, j, ci} x[n, oh+i-pt, ow+j-pl, ci] *
 * w[i, j, ci, co], without padded copies or indirection buffers: the forward conv and (with the filter
 * flipped and transposed by the caller) the input gradient of every conv in Conv4 and ResNet-12.
 *
 * Register tiles of up to 4 output pixels of one row by 8 output channels run over every tap and input
 * channel, then are stored once. Each pixel of a tile reads its taps through its own pointer; a tap in the
 * padding reads the caller's zero row instead, so border pixels take the same fast tile as the rest. Taps
 * rows in the padding (the same for the whole row) are skipped. The loop over output-channel blocks is
 * outside the loop over pixels, so an 8-wide column of w stays in L1 while the image streams from L2.
 *
 * Same rules as batchnorm_act.c: no stack, no data; every buffer comes from TF.js's heap. co must be a
 * multiple of 8 (the caller checks); zeros holds ci zero floats.
 */
#include "madd.h"

#define EXPORT(name) __attribute__((export_name(#name)))
/* Four pixels: 8 accumulators, 2 weight vectors and a splat. Five or six spill in V8 (measured slower). */
#define PMAX 4

/* P pixels from column ow0, tap rows [i0, i1), all kw tap columns; xrow = x's row oh - pt. */
static inline __attribute__((always_inline)) void tile(int P, const float *xrow, int ow0, int wd, int rowStep,
                                                      const float *zeros, const float *w, int ci, int co,
                                                      int i0, int i1, int kw, int pl, float *ys) {
  v128_t acc[PMAX][2];
#pragma clang loop unroll(full)
  for (int p = 0; p < PMAX; p++)
    if (p < P) acc[p][0] = acc[p][1] = wasm_f32x4_splat(0.0f);
  /*
   * Where every tap column of the tile lies inside the image, a tap row's kw pixels are kw * ci contiguous
   * floats of x, as its kw taps are of w: one run of kw * ci instead of kw runs of ci, less loop overhead
   * where ci is small.
   */
  int inside = ow0 - pl >= 0 && ow0 + P - 1 + kw - 1 - pl < wd;
  int runs = inside ? 1 : kw, run = inside ? kw * ci : ci;
  for (int i = i0; i < i1; i++) {
    const float *xr = xrow + (long)i * rowStep;
    for (int j = 0; j < runs; j++) {
      const float *xp[PMAX];
#pragma clang loop unroll(full)
      for (int p = 0; p < PMAX; p++) {
        if (p < P) {
          int col = ow0 + p + j - pl;
          xp[p] = col >= 0 && col < wd ? xr + (long)col * ci : zeros;
        }
      }
      const float *wp = w + (long)(i * kw + j) * ci * co;
      for (int c = 0; c < run; c++) {
        v128_t w0 = wasm_v128_load(wp), w1 = wasm_v128_load(wp + 4);
#pragma clang loop unroll(full)
        for (int p = 0; p < PMAX; p++) {
          if (p < P) {
            v128_t s = wasm_v128_load32_splat(xp[p] + c);
            acc[p][0] = MADD(acc[p][0], s, w0);
            acc[p][1] = MADD(acc[p][1], s, w1);
          }
        }
        wp += co;
      }
    }
  }
#pragma clang loop unroll(full)
  for (int p = 0; p < PMAX; p++) {
    if (p < P) {
      wasm_v128_store(ys + (long)p * co, acc[p][0]);
      wasm_v128_store(ys + (long)p * co + 4, acc[p][1]);
    }
  }
}

/*
 * One function per tile width, called per tile: V8 first runs wasm in its baseline compiler and swaps in
 * optimised code only at a function's next call, so a single long call (the whole conv inlined) would run
 * its first seconds at a fifth of the speed.
 */
#define TILE_FN(P)                                                                                            \
  static __attribute__((noinline)) void tile##P(const float *xrow, int ow0, int wd, int rowStep,             \
                                                const float *zeros, const float *w, int ci, int co, int i0,  \
                                                int i1, int kw, int pl, float *ys) {                         \
    tile(P, xrow, ow0, wd, rowStep, zeros, w, ci, co, i0, i1, kw, pl, ys);                                   \
  }
TILE_FN(1)
TILE_FN(2)
TILE_FN(3)
TILE_FN(4)
#undef TILE_FN

EXPORT(conv2d_s1)
void conv2d_s1(const float *x, const float *w, int n, int h, int wd, int ci, int ho, int wo, int co, int kh,
               int kw, int pt, int pl, const float *zeros, float *y) {
  int rowStep = wd * ci;
  for (int b = 0; b < n; b++) {
    const float *ximg = x + (long)b * h * rowStep;
    float *yimg = y + (long)b * ho * wo * co;
    for (int o0 = 0; o0 < co; o0 += 8) {
      for (int oh = 0; oh < ho; oh++) {
        int i0 = pt - oh > 0 ? pt - oh : 0;
        int i1 = h + pt - oh < kh ? h + pt - oh : kh;
        /* x row of tap row 0 (may lie above the image; only rows i0..i1-1 are read). */
        const float *xrow = ximg + (long)(oh - pt) * rowStep;
        float *yrow = yimg + (long)oh * wo * co + o0;
        int ow = 0;
        for (; ow + PMAX <= wo; ow += PMAX)
          tile4(xrow, ow, wd, rowStep, zeros, w + o0, ci, co, i0, i1, kw, pl, yrow + (long)ow * co);
        switch (wo - ow) {
#define REST(R)                                                                                               \
  case R:                                                                                                     \
    tile##R(xrow, ow, wd, rowStep, zeros, w + o0, ci, co, i0, i1, kw, pl, yrow + (long)ow * co);              \
    break;
          REST(1)
          REST(2)
          REST(3)
#undef REST
        default:
          break;
        }
      }
    }
  }
}

/*
 * dst [rows, c4] = src [rows, c] followed by c4 - c zeros per row: an input's channels (or a filter's
 * per-tap [ci, co] blocks) padded to the multiple of 4 that Winograd needs (Conv2D.ts: RGB first layers).
 */
EXPORT(pad_rows)
void pad_rows(const float *src, int rows, int c, int c4, float *dst) {
  for (long r = 0; r < rows; r++) {
    const float *s = src + r * c;
    float *d = dst + r * c4;
    for (int k = 0; k < c; k++) d[k] = s[k];
    for (int k = c; k < c4; k++) d[k] = 0.0f;
  }
}

/*
 * Stride-1 3x3 NHWC conv2d by Winograd's minimal filtering F(MxM, 3x3), M = 2 or 4 (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016): each MxM block of outputs costs A*A multiply-adds
 * per (ci, co) pair, A = M + 2, instead of 9*M*M: 16 instead of 36 for F(2x2), 36 instead of 144 for
 * F(4x4). The forward conv and (through the flipped, transposed filter) the input gradient of every 3x3
 * conv in Conv4 and ResNet-12 (an RGB first layer's channels padded to 4 by the caller, Conv2D.ts), and
 * the weight gradients of those after the first layer. The caller picks M per
 * map (Conv2D.ts: the one with fewer multiplies once partial tiles are counted; F(2x2) on a tie, as its
 * transforms round less).
 *
 *   U = G g G^T   per (ci, co): the filter, 3x3 -> AxA (wino_filter, once per call; the input gradient's
 *                 flipped, transposed filter is read from the forward one in place)
 *   V = B^T d B   per tile and ci: the AxA input patch of an MxM output tile (padding read as zeros)
 *   M[e] = V[e] U[e]  for each of the A*A positions e: a [tiles x ci] by [ci x co] product
 *   Y = A^T M A   per tile and co: AxA -> the MxM outputs (those inside the map are written)
 *
 * Tiles go in blocks of tb (the caller sizes them so that a block's V and M stay in L2): transform the
 * block's inputs into v [A*A][tb][ci], multiply into m [A*A][tb][co], transform out. The products are
 * gemm.c's (register tiles of 4 tiles by 8 output channels). Each plane of u is stored as co / 8 strips of
 * [ci][8] floats, the columns one register tile reads: with rows co floats apart, a strip's 8-float pieces
 * fell into a few L1 sets (co = 640: 8 of 64) and came from L2 on every pass.
 *
 * Every transform is written once, as a 1-D transform per M (the *_1d functions below) applied down the
 * columns and then along the rows; with M a constant after inlining, the loops unroll and the arrays live
 * in registers (the module has no stack).
 *
 * Same rules as batchnorm_act.c: no stack, no data; every buffer comes from TF.js's heap. ci must be a
 * multiple of 4 and co of 8 (the caller checks).
 */
#include "gemm.h"
#include "outer.h"

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("clang loop unroll(full)")
/* The largest tile: arrays are sized for it and indexed with its row length. */
#define AMAX 6

/*
 * The planes of every scratch buffer lie SKEW floats further apart than their size: with sizes of a
 * multiple of 4 KiB (64 tiles by 64 channels), the accesses of one transform would all map to the same L1
 * set and evict each other (measured: the transforms then cost 6x the products). Callers size scratch with
 * wino_plane below.
 */
#define SKEW 16
static inline long plane_of(long floats) { return floats + SKEW; }

/* Floats of one scratch plane holding `floats` ((M + 2)^2 planes make a buffer). */
EXPORT(wino_plane)
int wino_plane(int floats) { return (int)plane_of(floats); }

static inline v128_t ld(const float *p) { return wasm_v128_load(p); }
static inline void st(float *p, v128_t v) { wasm_v128_store(p, v); }
static inline v128_t add(v128_t a, v128_t b) { return wasm_f32x4_add(a, b); }
static inline v128_t sub(v128_t a, v128_t b) { return wasm_f32x4_sub(a, b); }
static inline v128_t mul(float k, v128_t a) { return wasm_f32x4_mul(wasm_f32x4_splat(k), a); }

/* Tile t of the row-major [n, tilesH, tilesW] grid: its image and tile row and column. */
static inline void tile_at(long t, int tilesH, int tilesW, int *b, int *th, int *tw) {
  long rest = t / tilesW;
  *tw = (int)(t % tilesW);
  *th = (int)(rest % tilesH);
  *b = (int)(rest / tilesH);
}

/*
 * The 1-D transforms, r = T x for x[0], x[xs], x[2 xs], ... (out r[0], r[rs], ...); F(2, 3) then F(4, 3):
 *   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
 *       = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
 *   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
 *       = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
 *   A^T = [1 1 1 0; 0 1 -1 -1]
 *       = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]
 * and for the weight gradient A (M -> A, the output gradient into the product's domain) and G^T (A -> 3).
 */
INLINE void bt_1d(int M, const v128_t *x, int xs, v128_t *r, int rs) {
  if (M == 2) {
    r[0] = sub(x[0], x[2 * xs]);
    r[rs] = add(x[xs], x[2 * xs]);
    r[2 * rs] = sub(x[2 * xs], x[xs]);
    r[3 * rs] = sub(x[xs], x[3 * xs]);
  } else {
    v128_t x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs], x4 = x[4 * xs], x5 = x[5 * xs];
    v128_t a = sub(x4, mul(4.0f, x2)), b = sub(x3, mul(4.0f, x1));
    v128_t c = sub(x4, x2), d = mul(2.0f, sub(x3, x1));
    r[0] = add(sub(mul(4.0f, x0), mul(5.0f, x2)), x4);
    r[rs] = add(a, b);
    r[2 * rs] = sub(a, b);
    r[3 * rs] = add(c, d);
    r[4 * rs] = sub(c, d);
    r[5 * rs] = add(sub(mul(4.0f, x1), mul(5.0f, x3)), x5);
  }
}

INLINE void g_1d(int M, const v128_t *x, int xs, v128_t *r, int rs) {
  v128_t x0 = x[0], x1 = x[xs], x2 = x[2 * xs], even = add(x0, x2);
  if (M == 2) {
    r[0] = x0;
    r[rs] = mul(0.5f, add(even, x1));
    r[2 * rs] = mul(0.5f, sub(even, x1));
    r[3 * rs] = x2;
  } else {
    v128_t quarter = add(mul(1.0f / 24, x0), mul(1.0f / 6, x2)), odd = mul(1.0f / 12, x1);
    r[0] = mul(0.25f, x0);
    r[rs] = mul(-1.0f / 6, add(even, x1));
    r[2 * rs] = mul(-1.0f / 6, sub(even, x1));
    r[3 * rs] = add(quarter, odd);
    r[4 * rs] = sub(quarter, odd);
    r[5 * rs] = x2;
  }
}

INLINE void at_1d(int M, const v128_t *x, int xs, v128_t *r, int rs) {
  v128_t s12 = add(x[xs], x[2 * xs]), d12 = sub(x[xs], x[2 * xs]);
  if (M == 2) {
    r[0] = add(x[0], s12);
    r[rs] = sub(d12, x[3 * xs]);
  } else {
    v128_t s34 = add(x[3 * xs], x[4 * xs]), d34 = sub(x[3 * xs], x[4 * xs]);
    r[0] = add(add(x[0], s12), s34);
    r[rs] = add(d12, mul(2.0f, d34));
    r[2 * rs] = add(s12, mul(4.0f, s34));
    r[3 * rs] = add(add(d12, mul(8.0f, d34)), x[5 * xs]);
  }
}

INLINE void a_1d(int M, const v128_t *x, int xs, v128_t *r, int rs) {
  if (M == 2) {
    r[0] = x[0];
    r[rs] = add(x[0], x[xs]);
    r[2 * rs] = sub(x[0], x[xs]);
    r[3 * rs] = wasm_f32x4_neg(x[xs]);
  } else {
    v128_t x0 = x[0], x1 = x[xs], x2 = x[2 * xs], x3 = x[3 * xs];
    v128_t e1 = add(x0, x2), o1 = add(x1, x3);
    v128_t e2 = add(x0, mul(4.0f, x2)), o2 = add(mul(2.0f, x1), mul(8.0f, x3));
    r[0] = x0;
    r[rs] = add(e1, o1);
    r[2 * rs] = sub(e1, o1);
    r[3 * rs] = add(e2, o2);
    r[4 * rs] = sub(e2, o2);
    r[5 * rs] = x3;
  }
}

INLINE void gt_1d(int M, const v128_t *x, int xs, v128_t *r, int rs) {
  v128_t s12 = add(x[xs], x[2 * xs]), d12 = sub(x[xs], x[2 * xs]);
  if (M == 2) {
    v128_t h = mul(0.5f, s12);
    r[0] = add(x[0], h);
    r[rs] = mul(0.5f, d12);
    r[2 * rs] = add(h, x[3 * xs]);
  } else {
    v128_t s34 = add(x[3 * xs], x[4 * xs]), d34 = sub(x[3 * xs], x[4 * xs]);
    v128_t sixth = mul(-1.0f / 6, s12);
    r[0] = add(add(mul(0.25f, x[0]), sixth), mul(1.0f / 24, s34));
    r[rs] = add(mul(-1.0f / 6, d12), mul(1.0f / 12, d34));
    r[2 * rs] = add(add(sixth, mul(1.0f / 6, s34)), x[5 * xs]);
  }
}

/*
 * u[e][o / 8][c][o % 8] = (G w[:, :, c, o] G^T)[e] (planes e of wino_plane(ci * co) floats), co % 8 == 0;
 * w = g [3, 3, ci, co], or, with `flip`, g [3, 3, co, ci] flipped and transposed (w[i, j, c, o] =
 * g[2 - i, 2 - j, o, c]), the input gradient's filter, read in place: four strided loads per vector.
 */
INLINE void filter_m(int M, int flip, const float *g, int ci, int co, float *u) {
  const int A = M + 2;
  long plane = plane_of((long)ci * co);
  for (int c = 0; c < ci; c++) {
    for (int o = 0; o < co; o += 4) {
      v128_t k[3][3], t[AMAX][3], r[AMAX][AMAX];
      UNROLL for (int i = 0; i < 3; i++) UNROLL for (int j = 0; j < 3; j++) {
        if (flip) {
          const float *q = g + ((long)((2 - i) * 3 + 2 - j) * co + o) * ci + c;
          k[i][j] = wasm_f32x4_make(q[0], q[ci], q[2 * ci], q[3 * ci]);
        } else {
          k[i][j] = ld(g + ((long)(i * 3 + j) * ci + c) * co + o);
        }
      }
      UNROLL for (int j = 0; j < 3; j++) g_1d(M, &k[0][j], 3, &t[0][j], 3);
      UNROLL for (int i = 0; i < A; i++) g_1d(M, t[i], 1, r[i], 1);
      float *p = u + ((long)(o / 8) * ci + c) * 8 + o % 8;
      UNROLL for (int i = 0; i < A; i++) UNROLL for (int j = 0; j < A; j++) st(p + (i * A + j) * plane, r[i][j]);
    }
  }
}

/*
 * Input transform of tiles [t0, t0 + count) into v[e][t - t0][ci]. Each of a tile's A*A taps reads through
 * its own pointer, the zero row `zeros` (ci floats) where it falls in the padding, so the channel loop has
 * no branches.
 */
INLINE void input_tiles(int M, const float *x, int h, int wd, int ci, int tilesH, int tilesW, int pt, int pl,
                        long t0, int count, int tb, const float *zeros, float *v) {
  const int A = M + 2;
  long plane = plane_of((long)tb * ci);
  for (int k = 0; k < count; k++) {
    int b, th, tw;
    tile_at(t0 + k, tilesH, tilesW, &b, &th, &tw);
    int r0 = M * th - pt, c0 = M * tw - pl;
    const float *img = x + (long)b * h * wd * ci;
    const float *src[AMAX][AMAX];
    UNROLL for (int i = 0; i < A; i++) UNROLL for (int j = 0; j < A; j++) {
      int r = r0 + i, col = c0 + j;
      src[i][j] = r >= 0 && r < h && col >= 0 && col < wd ? img + ((long)r * wd + col) * ci : zeros;
    }
    float *vk = v + (long)k * ci;
    for (int c = 0; c < ci; c += 4) {
      v128_t d[AMAX][AMAX], s[AMAX][AMAX], r[AMAX][AMAX];
      UNROLL for (int i = 0; i < A; i++) UNROLL for (int j = 0; j < A; j++) d[i][j] = ld(src[i][j] + c);
      UNROLL for (int j = 0; j < A; j++) bt_1d(M, &d[0][j], AMAX, &s[0][j], AMAX);
      UNROLL for (int i = 0; i < A; i++) bt_1d(M, s[i], 1, r[i], 1);
      UNROLL for (int i = 0; i < A; i++) UNROLL for (int j = 0; j < A; j++) st(vk + c + (i * A + j) * plane,
                                                                             r[i][j]);
    }
  }
}

/* The output block of tile (th, tw) that lies inside [ho, wo]: its first output and its rows and columns. */
static inline long out_block(int M, int b, int th, int tw, int ho, int wo, int co, int *rows, int *cols) {
  int oh = M * th, ow = M * tw;
  *rows = ho - oh < M ? ho - oh : M;
  *cols = wo - ow < M ? wo - ow : M;
  return (((long)b * ho + oh) * wo + ow) * co;
}

/* Output transform: the MxM outputs of each tile that lie inside [ho, wo]. */
INLINE void output_tiles(int M, const float *m, int ho, int wo, int co, int tilesH, int tilesW, long t0,
                         int count, int tb, float *y) {
  const int A = M + 2;
  long plane = plane_of((long)tb * co);
  for (int k = 0; k < count; k++) {
    int b, th, tw, rows, cols;
    tile_at(t0 + k, tilesH, tilesW, &b, &th, &tw);
    float *y00 = y + out_block(M, b, th, tw, ho, wo, co, &rows, &cols);
    const float *mk = m + (long)k * co;
    for (int o = 0; o < co; o += 4) {
      v128_t q[AMAX][AMAX], s[AMAX][AMAX], r[AMAX][AMAX];
      UNROLL for (int i = 0; i < A; i++) UNROLL for (int j = 0; j < A; j++) q[i][j] =
          ld(mk + o + (i * A + j) * plane);
      UNROLL for (int j = 0; j < A; j++) at_1d(M, &q[0][j], AMAX, &s[0][j], AMAX);
      UNROLL for (int i = 0; i < M; i++) at_1d(M, s[i], 1, r[i], 1);
      UNROLL for (int i = 0; i < M; i++) UNROLL for (int j = 0; j < M; j++) if (i < rows && j < cols)
          st(y00 + ((long)i * wo + j) * co + o, r[i][j]);
    }
  }
}

INLINE void conv_m(int M, const float *x, const float *u, int n, int h, int wd, int ci, int ho, int wo, int co,
                   int pt, int pl, int tb, const float *zeros, float *v, float *m, float *y) {
  int tilesH = (ho + M - 1) / M, tilesW = (wo + M - 1) / M;
  long tiles = (long)n * tilesH * tilesW;
  long uplane = plane_of((long)ci * co), vplane = plane_of((long)tb * ci), mplane = plane_of((long)tb * co);
  for (long t0 = 0; t0 < tiles; t0 += tb) {
    int count = tiles - t0 < tb ? (int)(tiles - t0) : tb;
    input_tiles(M, x, h, wd, ci, tilesH, tilesW, pt, pl, t0, count, tb, zeros, v);
    products((M + 2) * (M + 2), v, vplane, u, uplane, ci, co, count, m, mplane);
    output_tiles(M, m, ho, wo, co, tilesH, tilesW, t0, count, tb, y);
  }
}

/* dY's MxM blocks of tiles [t0, t0 + count) as A dY A^T into d[e][t - t0][co] (outside the map: zeros). */
INLINE void grad_tiles(int M, const float *dy, int ho, int wo, int co, int tilesH, int tilesW, long t0,
                       int count, int tb, float *d) {
  const int A = M + 2;
  long plane = plane_of((long)tb * co);
  v128_t zero = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < count; k++) {
    int b, th, tw, rows, cols;
    tile_at(t0 + k, tilesH, tilesW, &b, &th, &tw);
    const float *g00 = dy + out_block(M, b, th, tw, ho, wo, co, &rows, &cols);
    float *dk = d + (long)k * co;
    for (int o = 0; o < co; o += 4) {
      v128_t q[AMAX][AMAX], s[AMAX][AMAX], r[AMAX][AMAX];
      UNROLL for (int i = 0; i < M; i++) UNROLL for (int j = 0; j < M; j++) q[i][j] =
          i < rows && j < cols ? ld(g00 + ((long)i * wo + j) * co + o) : zero;
      UNROLL for (int j = 0; j < M; j++) a_1d(M, &q[0][j], AMAX, &s[0][j], AMAX);
      UNROLL for (int i = 0; i < A; i++) a_1d(M, s[i], 1, r[i], 1);
      UNROLL for (int i = 0; i < A; i++) UNROLL for (int j = 0; j < A; j++) st(dk + o + (i * A + j) * plane,
                                                                             r[i][j]);
    }
  }
}

/* s[c0..c0+4)[o0..o0+8) += sum over count tiles of v[t][c0..c0+4) outer d[t][o0..o0+8) (strides ci, co);
 * called per tile, not inlined: see conv2d.c on V8's tiering. */
static __attribute__((noinline)) void outer4x8(const float *v, const float *d, int ci, int co, int count,
                                               float *s) {
  outer_tile(4, v, ci, d, co, count, s);
}

INLINE void filter_grad_m(int M, const float *x, const float *dy, int n, int h, int wd, int ci, int ho, int wo,
                          int co, int pt, int pl, int tb, const float *zeros, float *v, float *d, float *s,
                          float *dw) {
  const int A = M + 2;
  int tilesH = (ho + M - 1) / M, tilesW = (wo + M - 1) / M;
  long tiles = (long)n * tilesH * tilesW;
  long splane = plane_of((long)ci * co), vplane = plane_of((long)tb * ci), dplane = plane_of((long)tb * co);
  for (long i = 0; i + 4 <= A * A * splane; i += 4) st(s + i, wasm_f32x4_splat(0.0f));
  for (long t0 = 0; t0 < tiles; t0 += tb) {
    int count = tiles - t0 < tb ? (int)(tiles - t0) : tb;
    input_tiles(M, x, h, wd, ci, tilesH, tilesW, pt, pl, t0, count, tb, zeros, v);
    grad_tiles(M, dy, ho, wo, co, tilesH, tilesW, t0, count, tb, d);
    for (int e = 0; e < A * A; e++)
      for (int c0 = 0; c0 < ci; c0 += 4)
        for (int o0 = 0; o0 < co; o0 += 8)
          outer4x8(v + e * vplane + c0, d + e * dplane + o0, ci, co, count, s + e * splane + (long)c0 * co + o0);
  }
  /* dW = G^T S G. */
  long tap = (long)ci * co;
  for (int c = 0; c < ci; c++) {
    for (int o = 0; o < co; o += 4) {
      v128_t q[AMAX][AMAX], r[3][AMAX], w[3][3];
      UNROLL for (int i = 0; i < A; i++) UNROLL for (int j = 0; j < A; j++) q[i][j] =
          ld(s + (i * A + j) * splane + (long)c * co + o);
      UNROLL for (int j = 0; j < A; j++) gt_1d(M, &q[0][j], AMAX, &r[0][j], AMAX);
      UNROLL for (int i = 0; i < 3; i++) gt_1d(M, r[i], 1, w[i], 1);
      UNROLL for (int i = 0; i < 3; i++) UNROLL for (int j = 0; j < 3; j++) st(dw + (i * 3 + j) * tap + (long)c * co + o,
                                                                             w[i][j]);
    }
  }
}

/* The exports take the tile size m (2 or 4) first; each specialises the body above for it. */

/*
 * u: the transform of the filter g [3, 3, ci, co] (flip = 0) or of the flipped, transposed g [3, 3, co, ci]
 * (flip = 1), (m + 2)^2 planes of wino_plane(ci * co) floats.
 */
EXPORT(wino_filter)
void wino_filter(int m, int flip, const float *g, int ci, int co, float *u) {
  if (m == 4) {
    if (flip) filter_m(4, 1, g, ci, co, u);
    else filter_m(4, 0, g, ci, co, u);
  } else {
    if (flip) filter_m(2, 1, g, ci, co, u);
    else filter_m(2, 0, g, ci, co, u);
  }
}

/*
 * y [n, ho, wo, co] = x [n, h, wd, ci] correlated with the filter whose transform u (wino_filter, same m)
 * is given, padding (pt, pl) before the map and whatever [ho, wo] needs after it. zeros: ci zero floats;
 * v, m: scratch of (m + 2)^2 planes of wino_plane(tb * ci) and wino_plane(tb * co) floats.
 */
EXPORT(wino_conv3x3)
void wino_conv3x3(int mt, const float *x, const float *u, int n, int h, int wd, int ci, int ho, int wo, int co,
                  int pt, int pl, int tb, const float *zeros, float *v, float *m, float *y) {
  if (mt == 4) conv_m(4, x, u, n, h, wd, ci, ho, wo, co, pt, pl, tb, zeros, v, m, y);
  else conv_m(2, x, u, n, h, wd, ci, ho, wo, co, pt, pl, tb, zeros, v, m, y);
}

/*
 * Weight gradient of the stride-1 3x3 conv above, by the same transform: with V = B^T d B per input tile
 * and D = A dY A^T per output tile, dU[e] = sum over tiles of V[e]^T D[e] ([ci x co] each) and dW = G^T dU G.
 * zeros: ci zero floats; v, d, s: (m + 2)^2 planes of wino_plane(tb * ci), wino_plane(tb * co),
 * wino_plane(ci * co) floats of scratch; dw [3, 3, ci, co] is overwritten.
 */
EXPORT(wino_filter_grad3x3)
void wino_filter_grad3x3(int m, const float *x, const float *dy, int n, int h, int wd, int ci, int ho, int wo,
                         int co, int pt, int pl, int tb, const float *zeros, float *v, float *d, float *s,
                         float *dw) {
  if (m == 4) filter_grad_m(4, x, dy, n, h, wd, ci, ho, wo, co, pt, pl, tb, zeros, v, d, s, dw);
  else filter_grad_m(2, x, dy, n, h, wd, ci, ho, wo, co, pt, pl, tb, zeros, v, d, s, dw);
}

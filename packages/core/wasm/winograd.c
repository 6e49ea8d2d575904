/*
 * Stride-1 3x3 NHWC conv2d by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms
 * for Convolutional Neural Networks", 2016): each 2x2 block of outputs costs 16 multiply-adds per (ci, co)
 * pair instead of 36. The forward conv and (through the flipped, transposed filter) the input gradient of
 * every 3x3 conv in Conv4 and ResNet-12 after the first layer.
 *
 *   U = G g G^T   per (ci, co): the filter, 3x3 -> 4x4 (wino_filter, once per call)
 *   V = B^T d B   per tile and ci: the 4x4 input patch of a 2x2 output tile (padding read as zeros)
 *   M[e] = V[e] U[e]  for each of the 16 positions e: a [tiles x ci] by [ci x co] product
 *   Y = A^T M A   per tile and co: 4x4 -> the 2x2 outputs (those inside the map are written)
 *
 * Tiles go in blocks of tb (the caller sizes them so that a block's V and M stay in L2): transform the
 * block's inputs into v [16][tb][ci], multiply into m [16][tb][co], transform out. The products use the
 * register tile of conv2d.c (4 tiles by 8 output channels).
 *
 * Same rules as batchnorm_act.c: no stack, no data; every buffer comes from TF.js's heap. ci must be a
 * multiple of 4 and co of 8 (the caller checks).
 */
#include "outer.h"

#define EXPORT(name) __attribute__((export_name(#name)))

/*
 * The 16 planes of every scratch buffer lie SKEW floats further apart than their size: with sizes of a
 * multiple of 4 KiB (64 tiles by 64 channels), the 16 accesses of one transform would all map to the same
 * L1 set and evict each other (measured: the transforms then cost 6x the products). Callers size scratch
 * with wino_plane below.
 */
#define SKEW 16
static inline long plane_of(long floats) { return floats + SKEW; }

/* Tile t of the row-major [n, tilesH, tilesW] grid: its image and tile row and column. */
static inline void tile_at(long t, int tilesH, int tilesW, int *b, int *th, int *tw) {
  long rest = t / tilesW;
  *tw = (int)(t % tilesW);
  *th = (int)(rest % tilesH);
  *b = (int)(rest / tilesH);
}

/* Floats of one scratch plane holding `floats` (16 planes make a buffer). */
EXPORT(wino_plane)
int wino_plane(int floats) { return (int)plane_of(floats); }

static inline v128_t ld(const float *p) { return wasm_v128_load(p); }
static inline void st(float *p, v128_t v) { wasm_v128_store(p, v); }

/* u[e][c][o] = (G g[:, :, c, o] G^T)[e] (planes e of wino_plane(ci * co) floats),
 * G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]; co % 4 == 0. */
EXPORT(wino_filter)
void wino_filter(const float *g, int ci, int co, float *u) {
  long plane = plane_of((long)ci * co);
  v128_t half = wasm_f32x4_splat(0.5f);
  for (int c = 0; c < ci; c++) {
    for (int o = 0; o < co; o += 4) {
      v128_t k[3][3], t[4][3];
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) k[i][j] = ld(g + ((long)(i * 3 + j) * ci + c) * co + o);
      for (int j = 0; j < 3; j++) {
        t[0][j] = k[0][j];
        t[1][j] = wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_add(k[0][j], k[1][j]), k[2][j]));
        t[2][j] = wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_sub(k[0][j], k[1][j]), k[2][j]));
        t[3][j] = k[2][j];
      }
      for (int i = 0; i < 4; i++) {
        v128_t r0 = t[i][0];
        v128_t r1 = wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_add(t[i][0], t[i][1]), t[i][2]));
        v128_t r2 = wasm_f32x4_mul(half, wasm_f32x4_add(wasm_f32x4_sub(t[i][0], t[i][1]), t[i][2]));
        v128_t r3 = t[i][2];
        float *p = u + (long)c * co + o;
        st(p + (i * 4 + 0) * plane, r0);
        st(p + (i * 4 + 1) * plane, r1);
        st(p + (i * 4 + 2) * plane, r2);
        st(p + (i * 4 + 3) * plane, r3);
      }
    }
  }
}

/*
 * Input transform of tiles [t0, t0 + count) into v[e][t - t0][ci], B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
 * Each of a tile's 16 taps reads through its own pointer, the zero row `zeros` (ci floats) where it falls in
 * the padding, so the channel loop has no branches.
 */
static void input_tiles(const float *x, int h, int wd, int ci, int tilesH, int tilesW, int pt, int pl, long t0,
                        int count, int tb, const float *zeros, float *v) {
  long plane = plane_of((long)tb * ci);
  for (int k = 0; k < count; k++) {
    long t = t0 + k;
    int b, th, tw;
    tile_at(t, tilesH, tilesW, &b, &th, &tw);
    int r0 = 2 * th - pt, c0 = 2 * tw - pl;
    const float *img = x + (long)b * h * wd * ci;
    const float *src[4][4];
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) {
        int r = r0 + i, col = c0 + j;
        src[i][j] = r >= 0 && r < h && col >= 0 && col < wd ? img + ((long)r * wd + col) * ci : zeros;
      }
    float *vk = v + (long)k * ci;
    for (int c = 0; c < ci; c += 4) {
      v128_t d[4][4], s[4][4];
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) d[i][j] = ld(src[i][j] + c);
      for (int j = 0; j < 4; j++) {
        s[0][j] = wasm_f32x4_sub(d[0][j], d[2][j]);
        s[1][j] = wasm_f32x4_add(d[1][j], d[2][j]);
        s[2][j] = wasm_f32x4_sub(d[2][j], d[1][j]);
        s[3][j] = wasm_f32x4_sub(d[1][j], d[3][j]);
      }
      for (int i = 0; i < 4; i++) {
        float *p = vk + c + (long)(i * 4) * plane;
        st(p, wasm_f32x4_sub(s[i][0], s[i][2]));
        st(p + plane, wasm_f32x4_add(s[i][1], s[i][2]));
        st(p + 2 * plane, wasm_f32x4_sub(s[i][2], s[i][1]));
        st(p + 3 * plane, wasm_f32x4_sub(s[i][1], s[i][3]));
      }
    }
  }
}

/* m[t][o0..o0+8) = v[t][:] . u[:][o0..o0+8) for P consecutive tiles (row strides ci and co). */
static inline __attribute__((always_inline)) void product(int P, const float *v, const float *u, int ci, int co,
                                                         float *m) {
  v128_t a00 = wasm_f32x4_splat(0.0f), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
         a31 = a00;
  for (int c = 0; c < ci; c++) {
    v128_t w0 = ld(u), w1 = ld(u + 4);
    v128_t s = wasm_v128_load32_splat(v + c);
    a00 = MADD(a00, s, w0);
    a01 = MADD(a01, s, w1);
    if (P > 1) {
      s = wasm_v128_load32_splat(v + ci + c);
      a10 = MADD(a10, s, w0);
      a11 = MADD(a11, s, w1);
    }
    if (P > 2) {
      s = wasm_v128_load32_splat(v + 2 * ci + c);
      a20 = MADD(a20, s, w0);
      a21 = MADD(a21, s, w1);
    }
    if (P > 3) {
      s = wasm_v128_load32_splat(v + 3 * ci + c);
      a30 = MADD(a30, s, w0);
      a31 = MADD(a31, s, w1);
    }
    u += co;
  }
  st(m, a00);
  st(m + 4, a01);
  if (P > 1) {
    st(m + co, a10);
    st(m + co + 4, a11);
  }
  if (P > 2) {
    st(m + 2 * co, a20);
    st(m + 2 * co + 4, a21);
  }
  if (P > 3) {
    st(m + 3 * co, a30);
    st(m + 3 * co + 4, a31);
  }
}

/* Called per register tile, not inlined into one long call: see conv2d.c on V8's tiering. */
#define PRODUCT_FN(P)                                                                                         \
  static __attribute__((noinline)) void product##P(const float *v, const float *u, int ci, int co, float *m) { \
    product(P, v, u, ci, co, m);                                                                              \
  }
PRODUCT_FN(1)
PRODUCT_FN(2)
PRODUCT_FN(3)
PRODUCT_FN(4)
#undef PRODUCT_FN

/* Output transform, A^T = [1 1 1 0; 0 1 -1 -1]: the 2x2 outputs of each tile that lie inside [ho, wo]. */
static void output_tiles(const float *m, int ho, int wo, int co, int tilesH, int tilesW, long t0, int count,
                         int tb, float *y) {
  long plane = plane_of((long)tb * co);
  for (int k = 0; k < count; k++) {
    long t = t0 + k;
    int b, th, tw;
    tile_at(t, tilesH, tilesW, &b, &th, &tw);
    int oh = 2 * th, ow = 2 * tw;
    int twoRows = oh + 1 < ho, twoCols = ow + 1 < wo;
    float *y00 = y + (((long)b * ho + oh) * wo + ow) * co;
    const float *mk = m + (long)k * co;
    for (int o = 0; o < co; o += 4) {
      v128_t q[4][4], s[2][4];
      for (int e = 0; e < 16; e++) q[e / 4][e % 4] = ld(mk + o + e * plane);
      for (int j = 0; j < 4; j++) {
        s[0][j] = wasm_f32x4_add(wasm_f32x4_add(q[0][j], q[1][j]), q[2][j]);
        s[1][j] = wasm_f32x4_sub(wasm_f32x4_sub(q[1][j], q[2][j]), q[3][j]);
      }
      for (int i = 0; i < 2; i++) {
        if (i == 1 && !twoRows) break;
        float *p = y00 + (long)i * wo * co + o;
        st(p, wasm_f32x4_add(wasm_f32x4_add(s[i][0], s[i][1]), s[i][2]));
        if (twoCols) st(p + co, wasm_f32x4_sub(wasm_f32x4_sub(s[i][1], s[i][2]), s[i][3]));
      }
    }
  }
}

/*
 * y [n, ho, wo, co] = x [n, h, wd, ci] correlated with the filter whose transform u (wino_filter) is given,
 * padding (pt, pl) before the map and whatever [ho, wo] needs after it. u: 16 planes of wino_plane(ci * co)
 * floats; zeros: ci zero floats; v, m: scratch of 16 planes of wino_plane(tb * ci) and wino_plane(tb * co)
 * floats.
 */
EXPORT(wino_conv3x3)
void wino_conv3x3(const float *x, const float *u, int n, int h, int wd, int ci, int ho, int wo, int co, int pt,
                  int pl, int tb, const float *zeros, float *v, float *m, float *y) {
  int tilesH = (ho + 1) / 2, tilesW = (wo + 1) / 2;
  long tiles = (long)n * tilesH * tilesW;
  long uplane = plane_of((long)ci * co), vplane = plane_of((long)tb * ci), mplane = plane_of((long)tb * co);
  for (long t0 = 0; t0 < tiles; t0 += tb) {
    int count = tiles - t0 < tb ? (int)(tiles - t0) : tb;
    input_tiles(x, h, wd, ci, tilesH, tilesW, pt, pl, t0, count, tb, zeros, v);
    for (int e = 0; e < 16; e++) {
      const float *ve = v + e * vplane;
      const float *ue = u + e * uplane;
      float *me = m + e * mplane;
      for (int o0 = 0; o0 < co; o0 += 8) {
        int k = 0;
        for (; k + 4 <= count; k += 4) product4(ve + (long)k * ci, ue + o0, ci, co, me + (long)k * co + o0);
        switch (count - k) {
        case 3:
          product3(ve + (long)k * ci, ue + o0, ci, co, me + (long)k * co + o0);
          break;
        case 2:
          product2(ve + (long)k * ci, ue + o0, ci, co, me + (long)k * co + o0);
          break;
        case 1:
          product1(ve + (long)k * ci, ue + o0, ci, co, me + (long)k * co + o0);
          break;
        default:
          break;
        }
      }
    }
    output_tiles(m, ho, wo, co, tilesH, tilesW, t0, count, tb, y);
  }
}

/* dY's 2x2 blocks of tiles [t0, t0 + count) as A dY A^T into d[e][t - t0][co], A = [1 0; 1 1; 1 -1; 0 -1]. */
static void grad_tiles(const float *dy, int ho, int wo, int co, int tilesH, int tilesW, long t0, int count,
                       int tb, float *d) {
  long plane = plane_of((long)tb * co);
  v128_t zero = wasm_f32x4_splat(0.0f);
  for (int k = 0; k < count; k++) {
    long t = t0 + k;
    int b, th, tw;
    tile_at(t, tilesH, tilesW, &b, &th, &tw);
    int oh = 2 * th, ow = 2 * tw;
    int twoRows = oh + 1 < ho, twoCols = ow + 1 < wo;
    const float *g00 = dy + (((long)b * ho + oh) * wo + ow) * co;
    float *dk = d + (long)k * co;
    for (int o = 0; o < co; o += 4) {
      v128_t y[2][2], s[4][2];
      y[0][0] = ld(g00 + o);
      y[0][1] = twoCols ? ld(g00 + co + o) : zero;
      y[1][0] = twoRows ? ld(g00 + (long)wo * co + o) : zero;
      y[1][1] = twoRows && twoCols ? ld(g00 + (long)wo * co + co + o) : zero;
      for (int j = 0; j < 2; j++) {
        s[0][j] = y[0][j];
        s[1][j] = wasm_f32x4_add(y[0][j], y[1][j]);
        s[2][j] = wasm_f32x4_sub(y[0][j], y[1][j]);
        s[3][j] = wasm_f32x4_neg(y[1][j]);
      }
      for (int i = 0; i < 4; i++) {
        float *p = dk + o + (long)(i * 4) * plane;
        st(p, s[i][0]);
        st(p + plane, wasm_f32x4_add(s[i][0], s[i][1]));
        st(p + 2 * plane, wasm_f32x4_sub(s[i][0], s[i][1]));
        st(p + 3 * plane, wasm_f32x4_neg(s[i][1]));
      }
    }
  }
}

/* s[c0..c0+4)[o0..o0+8) += sum over count tiles of v[t][c0..c0+4) outer d[t][o0..o0+8) (strides ci, co);
 * called per tile, not inlined: see conv2d.c on V8's tiering. */
static __attribute__((noinline)) void outer4x8(const float *v, const float *d, int ci, int co, int count,
                                               float *s) {
  outer_tile(4, v, ci, d, co, count, s);
}

/*
 * Weight gradient of the stride-1 3x3 conv above, by the same transform: with V = B^T d B per input tile
 * and D = A dY A^T per output tile, dU[e] = sum over tiles of V[e]^T D[e] ([ci x co] each) and dW = G^T dU G.
 * zeros: ci zero floats; v, d, s: 16 planes of wino_plane(tb * ci), wino_plane(tb * co), wino_plane(ci * co)
 * floats of scratch;
 * dw [3, 3, ci, co] is overwritten.
 */
EXPORT(wino_filter_grad3x3)
void wino_filter_grad3x3(const float *x, const float *dy, int n, int h, int wd, int ci, int ho, int wo, int co,
                         int pt, int pl, int tb, const float *zeros, float *v, float *d, float *s, float *dw) {
  int tilesH = (ho + 1) / 2, tilesW = (wo + 1) / 2;
  long tiles = (long)n * tilesH * tilesW;
  long splane = plane_of((long)ci * co), vplane = plane_of((long)tb * ci), dplane = plane_of((long)tb * co);
  for (long i = 0; i + 4 <= 16 * splane; i += 4) st(s + i, wasm_f32x4_splat(0.0f));
  for (long t0 = 0; t0 < tiles; t0 += tb) {
    int count = tiles - t0 < tb ? (int)(tiles - t0) : tb;
    input_tiles(x, h, wd, ci, tilesH, tilesW, pt, pl, t0, count, tb, zeros, v);
    grad_tiles(dy, ho, wo, co, tilesH, tilesW, t0, count, tb, d);
    for (int e = 0; e < 16; e++)
      for (int c0 = 0; c0 < ci; c0 += 4)
        for (int o0 = 0; o0 < co; o0 += 8)
          outer4x8(v + e * vplane + c0, d + e * dplane + o0, ci, co, count, s + e * splane + (long)c0 * co + o0);
  }
  /* dW = G^T S G, G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1]. */
  v128_t half = wasm_f32x4_splat(0.5f);
  for (int c = 0; c < ci; c++) {
    for (int o = 0; o < co; o += 4) {
      v128_t q[4][4], r[3][4];
      for (int e = 0; e < 16; e++) q[e / 4][e % 4] = ld(s + e * splane + (long)c * co + o);
      for (int j = 0; j < 4; j++) {
        v128_t p12 = wasm_f32x4_mul(half, wasm_f32x4_add(q[1][j], q[2][j]));
        r[0][j] = wasm_f32x4_add(q[0][j], p12);
        r[1][j] = wasm_f32x4_mul(half, wasm_f32x4_sub(q[1][j], q[2][j]));
        r[2][j] = wasm_f32x4_add(p12, q[3][j]);
      }
      for (int i = 0; i < 3; i++) {
        v128_t p12 = wasm_f32x4_mul(half, wasm_f32x4_add(r[i][1], r[i][2]));
        float *out = dw + ((long)(i * 3) * ci + c) * co + o;
        long tap = (long)ci * co;
        st(out, wasm_f32x4_add(r[i][0], p12));
        st(out + tap, wasm_f32x4_mul(half, wasm_f32x4_sub(r[i][1], r[i][2])));
        st(out + 2 * tap, wasm_f32x4_add(p12, r[i][3]));
      }
    }
  }
}

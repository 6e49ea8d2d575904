/*
 * Row-major products by register tiles of 4 rows by 8 columns (8 accumulators, 2 vectors of the right
 * operand and a splat: five or six rows spill in V8), the right operand in [k][8] strips, one per 8
 * columns, so that a tile's pass reads it sequentially. Winograd's per-position products (winograd.c) and
 * the BatchMatMul kernel (sgemm below) share them.
 *
 * Same rules as batchnorm_act.c: no stack, no data; every buffer comes from TF.js's heap.
 */
#include "gemm.h"

#define EXPORT(name) __attribute__((export_name(#name)))
#define INLINE static inline __attribute__((always_inline))

static inline v128_t ld(const float *p) { return wasm_v128_load(p); }
static inline void st(float *p, v128_t v) { wasm_v128_store(p, v); }

/* m[t][o0..o0+8) = v[t][:] . u[:][0..8) for P consecutive tiles (v's rows ci floats apart, m's co; u is
 * the [ci][8] strip of o0). */
INLINE void product(int P, const float *v, const float *u, int ci, int co, float *m) {
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
    u += 8;
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

/* m[e] = v[e] u[e] for each of the `planes` positions: [count x ci] by [ci x co]. */
void products(int planes, const float *v, long vplane, const float *u, long uplane, int ci, int co, int count,
              float *m, long mplane) {
  for (int e = 0; e < planes; e++) {
    const float *ve = v + e * vplane;
    const float *ue = u + e * uplane;
    float *me = m + e * mplane;
    for (int o0 = 0; o0 < co; o0 += 8) {
      int k = 0;
      const float *strip = ue + (long)o0 * ci;
      for (; k + 4 <= count; k += 4) product4(ve + (long)k * ci, strip, ci, co, me + (long)k * co + o0);
      switch (count - k) {
      case 3:
        product3(ve + (long)k * ci, strip, ci, co, me + (long)k * co + o0);
        break;
      case 2:
        product2(ve + (long)k * ci, strip, ci, co, me + (long)k * co + o0);
        break;
      case 1:
        product1(ve + (long)k * ci, strip, ci, co, me + (long)k * co + o0);
        break;
      default:
        break;
      }
    }
  }
}

/*
 * b [k, n] (trans = 0) or b [n, k] used transposed (trans = 1) as ceil(n / 8) strips of [k][8] floats, the
 * columns past n zero.
 */
EXPORT(pack_strips)
void pack_strips(const float *b, int k, int n, int trans, float *out) {
  for (int o0 = 0; o0 < n; o0 += 8) {
    float *strip = out + (long)o0 * k;
    int cols = n - o0 < 8 ? n - o0 : 8;
    for (int r = 0; r < k; r++) {
      if (trans) {
        for (int j = 0; j < 8; j++) strip[r * 8 + j] = j < cols ? b[(long)(o0 + j) * k + r] : 0.0f;
      } else if (cols == 8) {
        st(strip + r * 8, ld(b + (long)r * n + o0));
        st(strip + r * 8 + 4, ld(b + (long)r * n + o0 + 4));
      } else {
        for (int j = 0; j < 8; j++) strip[r * 8 + j] = j < cols ? b[(long)r * n + o0 + j] : 0.0f;
      }
    }
  }
}

/* c [m, n8] = a [m, k] . b, b packed by pack_strips, n8 its columns rounded up to a multiple of 8. */
EXPORT(sgemm)
void sgemm(const float *a, const float *strips, int m, int k, int n8, float *c) {
  products(1, a, 0, strips, 0, k, n8, m, c, 0);
}

/* The first n of every n8 columns of rows [m] of src into dst [m, n] (dst may be src). */
EXPORT(drop_columns)
void drop_columns(const float *src, int m, int n8, int n, float *dst) {
  for (long r = 0; r < m; r++)
    for (int j = 0; j < n; j++) dst[r * n + j] = src[r * n8 + j];
}

/*
 * BatchNorm + activation (+ 2x2 max-pool) passes for the wasm backend, on tensors in TF.js's own wasm heap
 * (the module imports that memory). Built with conv_filter_grad.c by packages/core/wasm/build.sh into
 * src/backend/kernels/simd-module.ts (loaded by simd.ts); used by src/backend/kernels/BatchNormAct.ts.
 *
 * No stack, no data, no globals: every buffer (tensors, per-channel parameters, float64 accumulators) is
 * passed in by the caller, so nothing here can write outside what TF.js allocated. Channels c must be a
 * multiple of 4 (the caller checks). Floats are rounded after each operation as the tf-op composite does
 * (-ffp-contract=off: no fused multiply-add); sums accumulate in float64.
 *
 * act: 0 none, 1 ReLU, 2 LeakyReLU(slope).
 */
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

static inline v128_t ld(const float *p) { return wasm_v128_load(p); }
static inline void st(float *p, v128_t v) { wasm_v128_store(p, v); }

/* act(pre): relu = pre > 0 ? pre : 0; leaky = pre < 0 ? pre * slope : pre. */
static inline v128_t activate(v128_t pre, int act, v128_t slope) {
  if (act == 1) return wasm_f32x4_pmax(wasm_f32x4_splat(0.0f), pre);
  if (act == 2)
    return wasm_v128_bitselect(wasm_f32x4_mul(pre, slope), pre, wasm_f32x4_lt(pre, wasm_f32x4_splat(0.0f)));
  return pre;
}

/* The activation's derivative applied to g, read off the output a (as tf.step(a, low) * g). */
static inline v128_t dmask(v128_t g, v128_t a, int act, v128_t slope) {
  if (act == 0) return g;
  v128_t pos = wasm_f32x4_gt(a, wasm_f32x4_splat(0.0f));
  v128_t low = act == 2 ? wasm_f32x4_mul(g, slope) : wasm_f32x4_mul(g, wasm_f32x4_splat(0.0f));
  return wasm_v128_bitselect(g, low, pos);
}

static inline void acc_add(double *acc, v128_t v) {
  v128_t lo = wasm_f64x2_promote_low_f32x4(v);
  v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  wasm_v128_store(acc, wasm_f64x2_add(wasm_v128_load(acc), lo));
  wasm_v128_store(acc + 2, wasm_f64x2_add(wasm_v128_load(acc + 2), hi));
}

/* acc[0..4) += a + b, the two rows summed in float64 first (the row-pair passes below). */
static inline void acc_add_pair(double *acc, v128_t a, v128_t b) {
  v128_t lo = wasm_f64x2_add(wasm_f64x2_promote_low_f32x4(a), wasm_f64x2_promote_low_f32x4(b));
  v128_t ha = wasm_i32x4_shuffle(a, a, 2, 3, 0, 1), hb = wasm_i32x4_shuffle(b, b, 2, 3, 0, 1);
  v128_t hi = wasm_f64x2_add(wasm_f64x2_promote_low_f32x4(ha), wasm_f64x2_promote_low_f32x4(hb));
  wasm_v128_store(acc, wasm_f64x2_add(wasm_v128_load(acc), lo));
  wasm_v128_store(acc + 2, wasm_f64x2_add(wasm_v128_load(acc + 2), hi));
}

#define INLINE static inline __attribute__((always_inline))

/* x, or with sq (x - mu)^2. */
INLINE v128_t term(int sq, v128_t x, v128_t mu) {
  if (!sq) return x;
  v128_t d = wasm_f32x4_sub(x, mu);
  return wasm_f32x4_mul(d, d);
}

/*
 * acc[k] += sum_i term(x[i, k]) over m rows of c. Unblocked: row pairs, each pair added in float64 (as
 * Reduce.ts's loop sums, which it must equal). Blocked (the BatchNorm statistics): each block of 8 rows
 * first summed in float32 as a tree (relative error ~2e-7 of the block), so that a quarter as many values
 * are widened to float64 and accumulated, which were most of the pass's instructions.
 */
INLINE void col_sums(int sq, int blocked, const float *x, int m, int c, const float *mean, double *acc) {
  v128_t zero = wasm_f32x4_splat(0.0f);
  int r = 0;
  if (blocked)
    for (; r + 8 <= m; r += 8) {
      const float *a = x + (long)r * c;
      for (int k = 0; k < c; k += 4) {
        v128_t mu = sq ? ld(mean + k) : zero, t[8];
        for (int j = 0; j < 8; j++) t[j] = term(sq, ld(a + (long)j * c + k), mu);
        v128_t lo = wasm_f32x4_add(wasm_f32x4_add(t[0], t[1]), wasm_f32x4_add(t[2], t[3]));
        v128_t hi = wasm_f32x4_add(wasm_f32x4_add(t[4], t[5]), wasm_f32x4_add(t[6], t[7]));
        acc_add(acc + k, wasm_f32x4_add(lo, hi));
      }
    }
  for (; r + 1 < m; r += 2) {
    const float *a = x + (long)r * c;
    const float *b = a + c;
    for (int k = 0; k < c; k += 4) {
      v128_t mu = sq ? ld(mean + k) : zero;
      acc_add_pair(acc + k, term(sq, ld(a + k), mu), term(sq, ld(b + k), mu));
    }
  }
  if (r < m)
    for (int k = 0; k < c; k += 4) acc_add(acc + k, term(sq, ld(x + (long)r * c + k), sq ? ld(mean + k) : zero));
}

/* acc[k] += sum_i x[i, k]; blocked: see col_sums. */
EXPORT(bn_sum)
void bn_sum(const float *x, int m, int c, int blocked, double *acc) {
  if (blocked) col_sums(0, 1, x, m, c, 0, acc);
  else col_sums(0, 0, x, m, c, 0, acc);
}

/* acc[k] += sum_i (x[i, k] - mean[k])^2, blocked. */
EXPORT(bn_sqdev)
void bn_sqdev(const float *x, int m, int c, const float *mean, double *acc) {
  col_sums(1, 1, x, m, c, mean, acc);
}

/* xhat = (x - mean) * rstd for `rows` rows of c; with out, also out = act(xhat * gamma + beta). */
static inline void norm_rows(const float *x, long rows, int c, const float *mean, const float *rstd,
                             const float *gamma, const float *beta, int act, v128_t slope, float *xhat,
                             float *out) {
  for (long i = 0; i < rows; i++) {
    for (int k = 0; k < c; k += 4) {
      v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(ld(x + k), ld(mean + k)), ld(rstd + k));
      st(xhat + k, xh);
      if (out) {
        v128_t pre = wasm_f32x4_add(wasm_f32x4_mul(xh, ld(gamma + k)), ld(beta + k));
        st(out + k, activate(pre, act, slope));
      }
    }
    x += c;
    xhat += c;
    if (out) out += c;
  }
}

/* out = act(xhat * gamma + beta) for m rows of c: a layer's output recomputed from its cache. */
EXPORT(bn_affine_act)
void bn_affine_act(const float *xhat, int m, int c, const float *gamma, const float *beta, int act, float slope,
                   float *out) {
  v128_t sl = wasm_f32x4_splat(slope);
  for (long i = 0; i < m; i++) {
    for (int k = 0; k < c; k += 4)
      st(out + k, activate(wasm_f32x4_add(wasm_f32x4_mul(ld(xhat + k), ld(gamma + k)), ld(beta + k)), act, sl));
    xhat += c;
    out += c;
  }
}

EXPORT(bn_norm_act)
void bn_norm_act(const float *x, int m, int c, const float *mean, const float *rstd, const float *gamma,
                 const float *beta, int act, float slope, float *xhat, float *out) {
  norm_rows(x, m, c, mean, rstd, gamma, beta, act, wasm_f32x4_splat(slope), xhat, out);
}

/*
 * The pool passes take one BatchNorm input or two summed before the activation (ResNet-12's residual tail,
 * act(BN(conv3) + BN(shortcut))): `two` selects, and the second input's pointers are ignored without it.
 * pre = (xhat * gamma + beta) [+ (xhat2 * gamma2 + beta2)], rounded per operation as the composite does.
 */
/* The pre-activation of one position from its normalised value(s), per-channel parameters in registers. */
INLINE v128_t pre_of(int two, v128_t xh, v128_t g, v128_t be, v128_t xh2, v128_t g2, v128_t be2) {
  v128_t pre = wasm_f32x4_add(wasm_f32x4_mul(xh, g), be);
  return two ? wasm_f32x4_add(pre, wasm_f32x4_add(wasm_f32x4_mul(xh2, g2), be2)) : pre;
}

/*
 * xhat (and xhat2) for every position, and out = maxPool2x2(act(pre)) [n, h/2, w/2, c]. Positions no window
 * reads (an odd last row or column) get their xhat only.
 */
INLINE void norm_act_pool(int two, const float *x, const float *x2, int n, int h, int w, int c,
                          const float *mean, const float *rstd, const float *gamma, const float *beta,
                          const float *mean2, const float *rstd2, const float *gamma2, const float *beta2, int act,
                          float slope, float *xhat, float *xhat2, float *out) {
  v128_t sl = wasm_f32x4_splat(slope), zero = wasm_f32x4_splat(0.0f);
  int ho = h / 2, wo = w / 2;
  long row = (long)w * c;
  for (int b = 0; b < n; b++) {
    for (int py = 0; py < ho; py++) {
      long p0 = ((long)b * h + 2 * py) * row;
      for (int px = 0; px < wo; px++, p0 += 2 * c) {
        for (int k = 0; k < c; k += 4) {
          v128_t mu = ld(mean + k), rs = ld(rstd + k), g = ld(gamma + k), be = ld(beta + k);
          v128_t mu2 = zero, rs2 = zero, g2 = zero, be2 = zero;
          if (two) mu2 = ld(mean2 + k), rs2 = ld(rstd2 + k), g2 = ld(gamma2 + k), be2 = ld(beta2 + k);
          long q[4] = {p0 + k, p0 + c + k, p0 + row + k, p0 + row + c + k};
          v128_t best = zero;
          for (int j = 0; j < 4; j++) {
            v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(ld(x + q[j]), mu), rs), xh2 = zero;
            st(xhat + q[j], xh);
            if (two) {
              xh2 = wasm_f32x4_mul(wasm_f32x4_sub(ld(x2 + q[j]), mu2), rs2);
              st(xhat2 + q[j], xh2);
            }
            v128_t a = activate(pre_of(two, xh, g, be, xh2, g2, be2), act, sl);
            best = j == 0 ? a : wasm_v128_bitselect(a, best, wasm_f32x4_gt(a, best));
          }
          st(out, best);
          out += 4;
        }
      }
      if (w & 1) {
        long p = ((long)b * h + 2 * py) * row + (long)(w - 1) * c;
        norm_rows(x + p, 1, c, mean, rstd, gamma, beta, act, sl, xhat + p, 0);
        norm_rows(x + p + row, 1, c, mean, rstd, gamma, beta, act, sl, xhat + p + row, 0);
        if (two) {
          norm_rows(x2 + p, 1, c, mean2, rstd2, gamma2, beta2, act, sl, xhat2 + p, 0);
          norm_rows(x2 + p + row, 1, c, mean2, rstd2, gamma2, beta2, act, sl, xhat2 + p + row, 0);
        }
      }
    }
    if (h & 1) {
      long p = ((long)b * h + h - 1) * row;
      norm_rows(x + p, w, c, mean, rstd, gamma, beta, act, sl, xhat + p, 0);
      if (two) norm_rows(x2 + p, w, c, mean2, rstd2, gamma2, beta2, act, sl, xhat2 + p, 0);
    }
  }
}

EXPORT(bn_norm_act_pool)
void bn_norm_act_pool(const float *x, int n, int h, int w, int c, const float *mean, const float *rstd,
                      const float *gamma, const float *beta, int act, float slope, float *xhat, float *out) {
  norm_act_pool(0, x, 0, n, h, w, c, mean, rstd, gamma, beta, 0, 0, 0, 0, act, slope, xhat, 0, out);
}

/* The same for two inputs summed before the activation (p2: mean2, rstd2, gamma2, beta2, each c floats). */
EXPORT(bn2_norm_act_pool)
void bn2_norm_act_pool(const float *x, const float *x2, int n, int h, int w, int c, const float *mean,
                       const float *rstd, const float *gamma, const float *beta, const float *p2, int act,
                       float slope, float *xhat, float *xhat2, float *out) {
  norm_act_pool(1, x, x2, n, h, w, c, mean, rstd, gamma, beta, p2, p2 + c, p2 + 2 * c, p2 + 3 * c, act, slope,
                xhat, xhat2, out);
}

/* acc[0..c) += sum dpre, acc[c..2c) += sum dpre * xhat, dpre = dy * act'(out). */
EXPORT(bn_bwd_sums)
void bn_bwd_sums(const float *dy, const float *xhat, int m, int c, const float *gamma, const float *beta, int act,
                 float slope, double *acc) {
  v128_t sl = wasm_f32x4_splat(slope);
  for (long i = 0; i < m; i++) {
    for (int k = 0; k < c; k += 4) {
      v128_t xh = ld(xhat + k);
      v128_t a = activate(wasm_f32x4_add(wasm_f32x4_mul(xh, ld(gamma + k)), ld(beta + k)), act, sl);
      v128_t d = dmask(ld(dy + k), a, act, sl);
      acc_add(acc + k, d);
      acc_add(acc + c + k, wasm_f32x4_mul(d, xh));
    }
    dy += c;
    xhat += c;
  }
}

/* dx = (dpre * scale - xhat * kx) - off. */
EXPORT(bn_bwd_dx)
void bn_bwd_dx(const float *dy, const float *xhat, int m, int c, const float *gamma, const float *beta, int act,
               float slope, const float *scale, const float *kx, const float *off, float *dx) {
  v128_t sl = wasm_f32x4_splat(slope);
  for (long i = 0; i < m; i++) {
    for (int k = 0; k < c; k += 4) {
      v128_t xh = ld(xhat + k);
      v128_t a = activate(wasm_f32x4_add(wasm_f32x4_mul(xh, ld(gamma + k)), ld(beta + k)), act, sl);
      v128_t d = dmask(ld(dy + k), a, act, sl);
      v128_t u = wasm_f32x4_sub(wasm_f32x4_mul(d, ld(scale + k)), wasm_f32x4_mul(xh, ld(kx + k)));
      st(dx + k, wasm_f32x4_sub(u, ld(off + k)));
    }
    dy += c;
    xhat += c;
    dx += c;
  }
}

/*
 * Pool backward, pass 1: per pooled element the window's winner (first maximum, row-major, as MaxPoolGrad
 * routes) into which[], and the sums of bn_bwd_sums over the winners (every other position has dpre = 0):
 * acc[0..c) sum dpre, acc[c..2c) sum dpre * xhat, with two inputs acc[2c..3c) sum dpre * xhat2.
 */
INLINE void bwd_pool_sums(int two, const float *dyp, const float *xhat, const float *xhat2, int n, int h, int w,
                          int c, const float *gamma, const float *beta, const float *gamma2, const float *beta2,
                          int act, float slope, int *which, double *acc) {
  v128_t sl = wasm_f32x4_splat(slope), zero = wasm_f32x4_splat(0.0f);
  int ho = h / 2, wo = w / 2;
  long row = (long)w * c;
  for (int b = 0; b < n; b++) {
    for (int py = 0; py < ho; py++) {
      long p0 = ((long)b * h + 2 * py) * row;
      for (int px = 0; px < wo; px++, p0 += 2 * c) {
        for (int k = 0; k < c; k += 4) {
          v128_t g = ld(gamma + k), be = ld(beta + k), g2 = zero, be2 = zero;
          if (two) g2 = ld(gamma2 + k), be2 = ld(beta2 + k);
          long q[4] = {p0 + k, p0 + c + k, p0 + row + k, p0 + row + c + k};
          v128_t best = zero, bx = zero, bx2 = zero, idx = wasm_i32x4_splat(0);
          for (int j = 0; j < 4; j++) {
            v128_t xh = ld(xhat + q[j]), xh2 = two ? ld(xhat2 + q[j]) : zero;
            v128_t a = activate(pre_of(two, xh, g, be, xh2, g2, be2), act, sl);
            if (j == 0) {
              best = a;
              bx = xh;
              bx2 = xh2;
            } else {
              v128_t gt = wasm_f32x4_gt(a, best);
              best = wasm_v128_bitselect(a, best, gt);
              bx = wasm_v128_bitselect(xh, bx, gt);
              if (two) bx2 = wasm_v128_bitselect(xh2, bx2, gt);
              idx = wasm_v128_bitselect(wasm_i32x4_splat(j), idx, gt);
            }
          }
          wasm_v128_store(which, idx);
          v128_t d = dmask(ld(dyp), best, act, sl);
          acc_add(acc + k, d);
          acc_add(acc + c + k, wasm_f32x4_mul(d, bx));
          if (two) acc_add(acc + 2 * c + k, wasm_f32x4_mul(d, bx2));
          which += 4;
          dyp += 4;
        }
      }
    }
  }
}

EXPORT(bn_bwd_pool_sums)
void bn_bwd_pool_sums(const float *dyp, const float *xhat, int n, int h, int w, int c, const float *gamma,
                      const float *beta, int act, float slope, int *which, double *acc) {
  bwd_pool_sums(0, dyp, xhat, 0, n, h, w, c, gamma, beta, 0, 0, act, slope, which, acc);
}

EXPORT(bn2_bwd_pool_sums)
void bn2_bwd_pool_sums(const float *dyp, const float *xhat, const float *xhat2, int n, int h, int w, int c,
                       const float *gamma, const float *beta, const float *gamma2, const float *beta2, int act,
                       float slope, int *which, double *acc) {
  bwd_pool_sums(1, dyp, xhat, xhat2, n, h, w, c, gamma, beta, gamma2, beta2, act, slope, which, acc);
}

/* dx of one position that no window reads: dpre = 0. */
static inline void dx_zero_rows(const float *xhat, long rows, int c, const float *kx, const float *off, float *dx) {
  for (long i = 0; i < rows; i++) {
    for (int k = 0; k < c; k += 4)
      st(dx + k, wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_splat(0.0f), wasm_f32x4_mul(ld(xhat + k), ld(kx + k))),
                                ld(off + k)));
    xhat += c;
    dx += c;
  }
}

/*
 * Pool backward, pass 2: dx (and dx2) for every position, dpre = the pooled gradient at the winner, else 0.
 * prm: scale, kx, off (c floats each), with two inputs followed by scale2, kx2, off2.
 */
INLINE void bwd_pool_dx(int two, const float *dyp, const float *xhat, const float *xhat2, int n, int h, int w,
                        int c, const float *gamma, const float *beta, const float *gamma2, const float *beta2,
                        int act, float slope, const int *which, const float *prm, float *dx, float *dx2) {
  v128_t sl = wasm_f32x4_splat(slope), zero = wasm_f32x4_splat(0.0f);
  const float *scale = prm, *kx = prm + c, *off = prm + 2 * c;
  const float *scale2 = prm + 3 * c, *kx2 = prm + 4 * c, *off2 = prm + 5 * c;
  int ho = h / 2, wo = w / 2;
  long row = (long)w * c;
  for (int b = 0; b < n; b++) {
    for (int py = 0; py < ho; py++) {
      long p0 = ((long)b * h + 2 * py) * row;
      for (int px = 0; px < wo; px++, p0 += 2 * c) {
        for (int k = 0; k < c; k += 4) {
          v128_t g = ld(gamma + k), be = ld(beta + k), sc = ld(scale + k), kk = ld(kx + k), of = ld(off + k);
          v128_t g2 = zero, be2 = zero, sc2 = zero, kk2 = zero, of2 = zero;
          if (two) g2 = ld(gamma2 + k), be2 = ld(beta2 + k), sc2 = ld(scale2 + k), kk2 = ld(kx2 + k), of2 = ld(off2 + k);
          v128_t wi = wasm_v128_load(which), gp = ld(dyp);
          long q[4] = {p0 + k, p0 + c + k, p0 + row + k, p0 + row + c + k};
          for (int j = 0; j < 4; j++) {
            v128_t xh = ld(xhat + q[j]), xh2 = two ? ld(xhat2 + q[j]) : zero;
            v128_t a = activate(pre_of(two, xh, g, be, xh2, g2, be2), act, sl);
            v128_t d = dmask(gp, a, act, sl);
            d = wasm_v128_and(d, wasm_i32x4_eq(wi, wasm_i32x4_splat(j)));
            v128_t u = wasm_f32x4_sub(wasm_f32x4_mul(d, sc), wasm_f32x4_mul(xh, kk));
            st(dx + q[j], wasm_f32x4_sub(u, of));
            if (two) {
              v128_t u2 = wasm_f32x4_sub(wasm_f32x4_mul(d, sc2), wasm_f32x4_mul(xh2, kk2));
              st(dx2 + q[j], wasm_f32x4_sub(u2, of2));
            }
          }
          which += 4;
          dyp += 4;
        }
      }
      if (w & 1) {
        long p = ((long)b * h + 2 * py) * row + (long)(w - 1) * c;
        dx_zero_rows(xhat + p, 1, c, kx, off, dx + p);
        dx_zero_rows(xhat + p + row, 1, c, kx, off, dx + p + row);
        if (two) {
          dx_zero_rows(xhat2 + p, 1, c, kx2, off2, dx2 + p);
          dx_zero_rows(xhat2 + p + row, 1, c, kx2, off2, dx2 + p + row);
        }
      }
    }
    if (h & 1) {
      long p = ((long)b * h + h - 1) * row;
      dx_zero_rows(xhat + p, w, c, kx, off, dx + p);
      if (two) dx_zero_rows(xhat2 + p, w, c, kx2, off2, dx2 + p);
    }
  }
}

EXPORT(bn_bwd_pool_dx)
void bn_bwd_pool_dx(const float *dyp, const float *xhat, int n, int h, int w, int c, const float *gamma,
                    const float *beta, int act, float slope, const int *which, const float *prm, float *dx) {
  bwd_pool_dx(0, dyp, xhat, 0, n, h, w, c, gamma, beta, 0, 0, act, slope, which, prm, dx, 0);
}

EXPORT(bn2_bwd_pool_dx)
void bn2_bwd_pool_dx(const float *dyp, const float *xhat, const float *xhat2, int n, int h, int w, int c,
                     const float *gamma, const float *beta, const float *gamma2, const float *beta2, int act,
                     float slope, const int *which, const float *prm, float *dx, float *dx2) {
  bwd_pool_dx(1, dyp, xhat, xhat2, n, h, w, c, gamma, beta, gamma2, beta2, act, slope, which, prm, dx, dx2);
}

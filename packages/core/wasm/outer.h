/*
 * The register-tiled outer product both weight gradients accumulate with (conv_filter_grad.c directly,
 * winograd.c per transformed position): acc[t][0..8) += sum over `count` steps of xs[t] * ds[0..8), for t <
 * T <= 4, stepping xs by ci and ds by co floats; acc rows are co floats apart. Eight accumulators stay in
 * registers for the whole run and are added into acc once at the end.
 */
#ifndef RCN_OUTER_H
#define RCN_OUTER_H
#include "madd.h"

static inline __attribute__((always_inline)) void outer_tile(int T, const float *xs, int ci, const float *ds,
                                                            int co, int count, float *acc) {
  v128_t a00 = wasm_f32x4_splat(0.0f), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00,
         a31 = a00;
  for (int k = 0; k < count; k++) {
    v128_t d0 = wasm_v128_load(ds), d1 = wasm_v128_load(ds + 4);
    v128_t s = wasm_v128_load32_splat(xs);
    a00 = MADD(a00, s, d0);
    a01 = MADD(a01, s, d1);
    if (T > 1) {
      s = wasm_v128_load32_splat(xs + 1);
      a10 = MADD(a10, s, d0);
      a11 = MADD(a11, s, d1);
    }
    if (T > 2) {
      s = wasm_v128_load32_splat(xs + 2);
      a20 = MADD(a20, s, d0);
      a21 = MADD(a21, s, d1);
    }
    if (T > 3) {
      s = wasm_v128_load32_splat(xs + 3);
      a30 = MADD(a30, s, d0);
      a31 = MADD(a31, s, d1);
    }
    xs += ci;
    ds += co;
  }
#define FLUSH(t, lo, hi)                                                                                      \
  do {                                                                                                        \
    float *p = acc + (long)(t) * co;                                                                                \
    wasm_v128_store(p, wasm_f32x4_add(wasm_v128_load(p), lo));                                                \
    wasm_v128_store(p + 4, wasm_f32x4_add(wasm_v128_load(p + 4), hi));                                        \
  } while (0)
  FLUSH(0, a00, a01);
  if (T > 1) FLUSH(1, a10, a11);
  if (T > 2) FLUSH(2, a20, a21);
  if (T > 3) FLUSH(3, a30, a31);
#undef FLUSH
}

#endif

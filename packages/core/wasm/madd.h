/*
 * acc + a * b for the kernels' inner products. Built twice (build.sh): with -DRCN_RELAXED it is relaxed
 * SIMD's f32x4.relaxed_madd, which V8 lowers to one FMA instruction where the CPU has one (twice the
 * arithmetic per cycle of a multiply and an add); without it, the baseline SIMD multiply then add. The
 * loader picks the relaxed build where the engine validates it (simd.ts).
 */
#ifndef RCN_MADD_H
#define RCN_MADD_H
#include <wasm_simd128.h>
#ifdef RCN_RELAXED
#define MADD(acc, a, b) __builtin_wasm_relaxed_madd_f32x4((a), (b), (acc))
#else
#define MADD(acc, a, b) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
#endif
#endif

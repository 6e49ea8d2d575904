/* The products of gemm.c, for winograd.c. */
#ifndef RCN_GEMM_H
#define RCN_GEMM_H
#include "madd.h"

/*
 * m[e] = v[e] u[e] for each of the `planes` positions e (planes vplane, uplane, mplane floats apart): a
 * [count x ci] by [ci x co] product, u[e] as co / 8 strips of [ci][8]; co % 8 == 0.
 */
void products(int planes, const float *v, long vplane, const float *u, long uplane, int ci, int co, int count,
              float *m, long mplane);
#endif

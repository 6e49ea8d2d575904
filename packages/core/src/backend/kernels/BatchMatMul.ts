/**
 * BatchMatMul on wasm. Unbatched products (all of the RCN head's: cosine similarities and their gradients,
 * the region-weight net's 1x1 convs) run our SIMD module's GEMM (wasm/gemm.c, fused multiply-adds in the
 * relaxed build), the right operand packed into 8-column strips as it is read (zero-padded to a whole
 * strip), so a transposed right operand costs nothing extra. Measured on the README's machine, one core,
 * the 5-way 15-query head's eight products at 32 px: 1.5-3.5x faster than the stock path (e.g. the
 * region-weight net's [1875, 64] x [64, 64]^T 1.6 -> 0.45 ms, the cosine similarities' [125, 64] x
 * [1875, 64]^T 2.2 -> 1.5 ms), within 5e-7 of it.
 *
 * Other products go to the stock kernel, which sends any transpose (what every matMul gradient asks for)
 * to a naive loop at ~3 GFLOP/s, while a plain product runs in XNNPACK at ~20-40: transposing the operand
 * explicitly first costs one memory pass and restores the fast path.
 */
import {
  BatchMatMul,
  util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { captureStock, dispose, transpose } from './ops.js';
import { ptr, simdExports, simdReady } from './simd.js';
import { computeOptions } from '../compute-options.js';

function swapLast(b: BackendWasm, x: TensorInfo): TensorInfo {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return transpose(b, x, perm);
}

/** a . b (either transposed) by the SIMD GEMM, or null where it does not apply. */
function simdMatMul(
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo | null {
  if (!computeOptions().matMul.simd || !simdReady(backend) || a.dtype !== 'float32' || b.dtype !== 'float32')
    return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (util.sizeFromShape(a.shape.slice(0, -2)) !== 1 || util.sizeFromShape(b.shape.slice(0, -2)) !== 1)
    return null;
  const [m, k] = transposeA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (m === 0 || k === 0 || n === 0) return null;
  // Columns rounded up to whole 8-wide strips (zero-padded), dropped again after the product.
  const n8 = 8 * Math.ceil(n / 8);
  const mod = simdExports(backend, BatchMatMul);
  const left = transposeA ? swapLast(backend, a) : a;
  const strips = backend.makeOutput([k * n8], 'float32');
  mod.pack_strips(ptr(backend, b), k, n, transposeB ? 1 : 0, ptr(backend, strips));
  const out = backend.makeOutput([...(ra >= rb ? a.shape : b.shape).slice(0, -2), m, n], 'float32');
  const wide = n8 === n ? out : backend.makeOutput([m, n8], 'float32');
  mod.sgemm(ptr(backend, left), ptr(backend, strips), m, k, n8, ptr(backend, wide));
  if (wide !== out) mod.drop_columns(ptr(backend, wide), m, n8, n, ptr(backend, out));
  dispose(backend, strips, ...(left === a ? [] : [left]), ...(wide === out ? [] : [wide]));
  return out;
}

export function batchMatMulConfig(): KernelConfig {
  const stock = captureStock(BatchMatMul);
  const kernelFunc = (args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: BackendWasm;
    attrs: { transposeA: boolean; transposeB: boolean };
  }) => {
    const { inputs, backend, attrs } = args;
    const simd = simdMatMul(backend, inputs.a, inputs.b, attrs.transposeA, attrs.transposeB);
    if (simd) return simd;
    if (!attrs.transposeA && !attrs.transposeB) return stock(args as unknown as Parameters<KernelFunc>[0]);
    const a = attrs.transposeA ? swapLast(backend, inputs.a) : inputs.a;
    const b = attrs.transposeB ? swapLast(backend, inputs.b) : inputs.b;
    const out = stock({
      inputs: { a, b },
      backend,
      attrs: { transposeA: false, transposeB: false },
    }) as TensorInfo;
    if (a !== inputs.a) dispose(backend, a);
    if (b !== inputs.b) dispose(backend, b);
    return out;
  };
  return {
    kernelName: BatchMatMul,
    backendName: 'wasm',
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}

/**
 * BatchMatMul on wasm with transposed operands. The stock kernel sends any transpose (what every matMul
 * gradient asks for) to a naive loop at ~3 GFLOP/s, while a plain product runs in XNNPACK at ~20-40.
 * Transposing the operand explicitly first costs one memory pass and restores the fast path.
 */
import { BatchMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { captureStock, dispose, transpose } from './ops.js';

function swapLast(b: BackendWasm, x: TensorInfo): TensorInfo {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return transpose(b, x, perm);
}

export function batchMatMulConfig(): KernelConfig {
  const stock = captureStock(BatchMatMul);
  const kernelFunc = (args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: BackendWasm;
    attrs: { transposeA: boolean; transposeB: boolean };
  }) => {
    const { inputs, backend, attrs } = args;
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

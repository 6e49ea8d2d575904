/**
 * Tile on wasm by block copies: each axis, from the innermost, repeats whole contiguous blocks with
 * TypedArray.set. The stock kernel computes an index per element and is ~10x slower.
 */
import { Tile, util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { captureStock } from './ops.js';

type Numeric = Float32Array | Int32Array | Uint8Array;

export function tileArray(src: Numeric, shape: number[], reps: number[]): Numeric {
  let cur = src;
  const curShape = shape.slice();
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const r = reps[axis];
    if (r === 1) continue;
    const outer = util.sizeFromShape(curShape.slice(0, axis));
    const block = util.sizeFromShape(curShape.slice(axis));
    const next = new (cur.constructor as new (n: number) => Numeric)(outer * block * r);
    for (let o = 0; o < outer; o++) {
      const piece = cur.subarray(o * block, (o + 1) * block);
      for (let k = 0; k < r; k++) next.set(piece, (o * r + k) * block);
    }
    cur = next;
    curShape[axis] *= r;
  }
  return cur;
}

export function tileConfig(): KernelConfig {
  const stock = captureStock(Tile);
  const kernelFunc = (args: {
    inputs: { x: TensorInfo };
    backend: BackendWasm;
    attrs: { reps: number[] };
  }) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') {
      return stock(args as unknown as Parameters<KernelFunc>[0]);
    }
    const outShape = x.shape.map((d, i) => d * attrs.reps[i]);
    const out = backend.makeOutput(outShape, x.dtype);
    // Views are taken after the allocation: growing the heap detaches older views.
    const tiled = tileArray(backend.typedArrayFromHeap(x) as Numeric, x.shape, attrs.reps);
    (backend.typedArrayFromHeap(out) as Numeric).set(tiled);
    return out;
  };
  return { kernelName: Tile, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}

/**
 * Named tensor values outside TensorFlow.js: what model weights, gradients and BatchNorm statistics are
 * when they cross a thread boundary or go to disk.
 */

/** A tensor's values outside TensorFlow.js: C-order float32 data and its shape. */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}

export type WeightMap = Map<string, TensorData>;

/** Element-wise mean of several weight maps with the same names and shapes (float64 accumulation). */
export function averageWeightMaps(maps: WeightMap[]): WeightMap {
  if (maps.length === 1) return maps[0];
  const out: WeightMap = new Map();
  for (const [name, first] of maps[0]) {
    const acc = new Float64Array(first.data.length);
    for (const m of maps) {
      const t = m.get(name);
      if (!t || t.data.length !== acc.length)
        throw new Error(`cannot average '${name}': missing or mismatched in a replica`);
      for (let i = 0; i < acc.length; i++) acc[i] += t.data[i];
    }
    const data = new Float32Array(acc.length);
    for (let i = 0; i < acc.length; i++) data[i] = acc[i] / maps.length;
    out.set(name, { shape: first.shape, data });
  }
  return out;
}

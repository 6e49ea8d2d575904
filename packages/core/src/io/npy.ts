/**
 * Reader and writer for NumPy `.npy` arrays and `.npz` archives (zip of `.npy`, stored or DEFLATE).
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';

export type NpyDtype = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** C-order data. int64 is converted to a Float64Array when all values are exact, else BigInt64Array. */
  data: Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array;
}

const DESCR: Record<string, NpyDtype> = {
  '<f4': 'float32',
  '<f8': 'float64',
  '<i8': 'int64',
  '<i4': 'int32',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '|b1': 'bool',
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses one `.npy` buffer; `source` names the file in error messages. */
export function parseNpy(buf: Uint8Array, source = '<buffer>'): NpyArray {
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) {
    throw new Error(`${source}: not a .npy file (bad magic string)`);
  }
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let offset: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    offset = 12;
  } else {
    throw new Error(`${source}: unsupported .npy format version ${major}`);
  }
  const header = new TextDecoder('latin1').decode(buf.subarray(offset, offset + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new Error(`${source}: malformed .npy header: ${header.trim()}`);
  }
  const dtype = DESCR[descr];
  if (!dtype)
    throw new Error(`${source}: unsupported dtype '${descr}' (supported: ${Object.keys(DESCR).join(', ')})`);
  if (fortran === 'True')
    throw new Error(`${source}: Fortran-order arrays are not supported; save with C order`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number.parseInt(s, 10));
  const count = shape.reduce((a, b) => a * b, 1);
  const start = offset + headerLen;
  const itemSize =
    dtype === 'float64' || dtype === 'int64' ? 8 : dtype === 'float32' || dtype === 'int32' ? 4 : 1;
  if (buf.length - start < count * itemSize) {
    throw new Error(
      `${source}: truncated .npy data: expected ${count * itemSize} bytes, found ${buf.length - start}`,
    );
  }
  // Copy into a fresh, aligned buffer: the payload offset is rarely a multiple of 8. (`subarray` then a
  // copy: a Node Buffer's `slice` is a view, whose `.buffer` would still hold the whole file.)
  const bytes = new Uint8Array(buf.subarray(start, start + count * itemSize));
  switch (dtype) {
    case 'float32':
      return { dtype, shape, data: new Float32Array(bytes.buffer) };
    case 'float64':
      return { dtype, shape, data: new Float64Array(bytes.buffer) };
    case 'int32':
      return { dtype, shape, data: new Int32Array(bytes.buffer) };
    case 'uint8':
    case 'bool':
      return { dtype, shape, data: bytes };
    case 'int64': {
      const big = new BigInt64Array(bytes.buffer);
      const asNumber = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const v = big[i];
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          return { dtype, shape, data: big };
        }
        asNumber[i] = Number(v);
      }
      return { dtype, shape, data: asNumber };
    }
  }
}

export async function readNpy(path: string): Promise<NpyArray> {
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read .npy file (${(e as Error).message})`);
  }
  return parseNpy(buf, path);
}

/** Reads a `.npz` archive; `names` restricts decompression to those arrays (without the `.npy` suffix). */
export async function readNpz(path: string, names?: string[]): Promise<Map<string, NpyArray>> {
  let buf: Uint8Array;
  try {
    buf = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read .npz file (${(e as Error).message})`);
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(buf, {
      filter: (f) => !names || names.includes(f.name.replace(/\.npy$/, '')),
    });
  } catch (e) {
    throw new Error(`${path}: not a valid .npz (zip) archive (${(e as Error).message})`);
  }
  const out = new Map<string, NpyArray>();
  for (const [name, data] of Object.entries(files)) {
    const key = name.replace(/\.npy$/, '');
    out.set(key, parseNpy(data, `${path}:${name}`));
  }
  for (const n of names ?? []) {
    if (!out.has(n))
      throw new Error(`${path}: array '${n}' not found in archive (has: ${[...out.keys()].join(', ')})`);
  }
  return out;
}

/** Serialises a float32 / int32 / uint8 / bool array as `.npy` (version 1.0, C order). */
export function encodeNpy(arr: {
  dtype: 'float32' | 'int32' | 'uint8' | 'bool';
  shape: number[];
  data: ArrayLike<number>;
}): Uint8Array {
  const descr = { float32: '<f4', int32: '<i4', uint8: '|u1', bool: '|b1' }[arr.dtype];
  const shape = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const payload =
    arr.dtype === 'float32'
      ? new Uint8Array(Float32Array.from(arr.data).buffer)
      : arr.dtype === 'int32'
        ? new Uint8Array(Int32Array.from(arr.data).buffer)
        : Uint8Array.from(arr.data);
  const out = new Uint8Array(10 + header.length + payload.length);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(payload, 10 + header.length);
  return out;
}

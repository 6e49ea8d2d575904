/**
 * Makes wasm memory failures loud. The wasm heap is capped at 4 GiB; when it is exhausted
 *  - the backend's own allocations get a null pointer from malloc, and tensors would silently alias
 *    address 0;
 *  - XNNPACK reports "XNN status ... is not successful" on stderr and the kernel returns garbage.
 * Both are turned into a thrown WasmMemoryError here, so no run continues with wrong numbers.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export class WasmMemoryError extends Error {
  constructor(message: string) {
    super(
      `${message}. The wasm backend has a 4 GiB heap; use fewer images per episode (way x (shot + query)), ` +
        'smaller images, more workers with one episode each, or a native backend (RCN_BACKEND=tensorflow).',
    );
    this.name = 'WasmMemoryError';
  }
}

const XNN_FAILURE = /XNN status for (\S+) is not successful\. Got status (\d+)/;
const XNN_STATUS: Record<string, string> = {
  '6': 'out of memory',
  '2': 'invalid parameter',
  '5': 'unsupported parameter',
};

let consoleHooked = false;

/**
 * Emscripten binds `console.warn` when the module is created, so this must run before the wasm backend
 * initialises (it is idempotent).
 */
export function hookXnnFailures(): void {
  if (consoleHooked) return;
  consoleHooked = true;
  const original = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    const m = XNN_FAILURE.exec(String(args[0]));
    if (m) {
      throw new WasmMemoryError(`XNNPACK failed in ${m[1]} (status ${m[2]}: ${XNN_STATUS[m[2]] ?? 'error'})`);
    }
    original(...args);
  };
}

interface MallocHost {
  _malloc: (bytes: number) => number;
  HEAPU8: Uint8Array;
  asm?: { malloc?: (bytes: number) => number };
}

const guarded = new WeakSet<object>();

/** Wraps the backend's malloc so that a failed allocation throws instead of returning 0. */
export function guardWasmMalloc(backend: BackendWasm): void {
  const wasm = backend.wasm as unknown as MallocHost;
  if (guarded.has(wasm)) return;
  guarded.add(wasm);
  // Emscripten's `_malloc` is a stub that replaces itself with the raw export on first call, which would
  // drop a wrapper around it: wrap the raw export.
  const malloc = wasm.asm?.malloc ?? wasm._malloc.bind(wasm);
  wasm._malloc = (bytes: number) => {
    const ptr = malloc(bytes) >>> 0;
    if ((ptr === 0 && bytes > 0) || ptr + bytes > wasm.HEAPU8.length) {
      throw new WasmMemoryError(
        `wasm allocation of ${(bytes / 2 ** 20).toFixed(1)} MiB failed with ${(wasm.HEAPU8.length / 2 ** 30).toFixed(2)} GiB of heap in use`,
      );
    }
    return ptr;
  };
}

/** Current size of the wasm heap in bytes: it only grows, so after a step it is that step's peak. */
export function wasmHeapBytes(backend: BackendWasm): number {
  return (backend.wasm as unknown as MallocHost).HEAPU8.length;
}

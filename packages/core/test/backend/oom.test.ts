/**
 * A wasm instance has a 4 GiB heap. Exhausting it must throw, never hand back a tensor at address 0 or
 * let XNNPACK continue with garbage. Runs in worker threads so this process's own instance stays usable.
 */
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/backend/index.js';

const taskModule = new URL('./oom-tasks.ts', import.meta.url);

describe('wasm out of memory', () => {
  it('throws WasmMemoryError for an allocation the heap cannot hold', async () => {
    const pool = new WorkerPool({ size: 1, backend: 'wasm', taskModule });
    try {
      const r = await pool.run<{ threw: boolean; name?: string; message?: string }>('hugeTensor', null);
      expect(r.threw).toBe(true);
      expect(r.name).toBe('WasmMemoryError');
      expect(r.message).toMatch(/4 GiB heap/);
    } finally {
      await pool.close();
    }
  });

  it('a full heap makes the next kernel fail loudly instead of computing garbage', async () => {
    const pool = new WorkerPool({ size: 1, backend: 'wasm', taskModule });
    try {
      const r = await pool.run<{
        fillError: { name: string } | null;
        threw: boolean;
        name?: string;
        wrong?: number;
      }>('convAfterFill', null);
      // Filling stops with a loud error ...
      expect(r.fillError?.name).toBe('WasmMemoryError');
      // ... and the convolution either fails loudly too or, if it fit in what was left, is right everywhere.
      if (r.threw) expect(r.name).toBe('WasmMemoryError');
      else expect(r.wrong).toBe(0);
    } finally {
      await pool.close();
    }
  });
});

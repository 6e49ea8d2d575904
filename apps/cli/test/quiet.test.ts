/**
 * Quiet by default (issue 24): `auto` asks whether a WebGPU adapter exists without Dawn's driver messages
 * reaching the user (no Vulkan loader, "artificially reduced" limits on lavapipe, ...); RCN_DEBUG=1 shows
 * them. Through the built CLI with the backend left to `auto`, as a user runs it.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = resolve(fileURLToPath(new URL('../dist/main.js', import.meta.url)));

function backend(env: Record<string, string>) {
  const { RCN_BACKEND: _b, RCN_DEBUG: _d, ...rest } = process.env;
  return spawnSync(process.execPath, [main, 'backend', '--json'], {
    encoding: 'utf8',
    env: { ...rest, ...env },
  });
}

interface Info {
  name: string;
  skipped: { name: string; reason: string }[];
}

describe('quiet by default', () => {
  it('auto says nothing on stderr, yet reports whether WebGPU was usable', () => {
    const r = backend({});
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const info = JSON.parse(r.stdout) as Info;
    // Either WebGPU runs (a real GPU), or the probe said why not.
    if (info.name !== 'webgpu' && info.name !== 'tensorflow-gpu')
      expect(info.skipped.find((s) => s.name === 'webgpu')?.reason).toMatch(/\S/);
  });

  it("RCN_DEBUG=1 shows what the WebGPU probe's driver printed", () => {
    const r = backend({ RCN_DEBUG: '1' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^\[RCN_DEBUG\] webgpu probe/m);
  });
});

/**
 * Whether a WebGPU adapter exists, asked in a child process. Dawn prints its driver's messages (no Vulkan
 * loader; "maxDynamic... artificially reduced" limits on lavapipe) on the C library's stderr, where no
 * JavaScript can filter them, so `auto`, which only needs to know whether a real GPU is there, would print
 * them on every command of a machine where it then picks wasm. The child loads Dawn, describes the
 * high-performance adapter on stdout and exits; what the driver printed is kept, and shown on stderr only
 * with RCN_DEBUG set (a debugging switch, like RCN_RELAXED_SIMD, outside the configuration).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { describeAdapter, type WebGpuAdapterInfo } from './webgpu-adapter.js';

export interface WebGpuProbe {
  adapter: WebGpuAdapterInfo | null;
  /** Why there is none (the package missing, no adapter, the child failing). */
  reason?: string;
  /** What Dawn and the driver printed. */
  log: string;
}

/** The child prints one line after this marker: the adapter (or the error) as JSON. */
const MARK = 'RCN_WEBGPU_PROBE ';

function script(entry: string): string {
  // Dawn keeps a process alive while its instance exists: the child exits itself once it has answered.
  return `
const say = (v) => { process.stdout.write(${JSON.stringify(MARK)} + JSON.stringify(v) + '\\n'); process.exit(0); };
import(${JSON.stringify(entry)}).then(async (m) => {
  const a = await m.create([]).requestAdapter({ powerPreference: 'high-performance' });
  if (!a) return say({ error: 'none' });
  const i = a.info ?? {};
  const l = a.limits;
  say({ adapter: {
    info: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
      isFallbackAdapter: i.isFallbackAdapter },
    isFallbackAdapter: a.isFallbackAdapter,
    limits: { maxStorageBufferBindingSize: l.maxStorageBufferBindingSize, maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup } } });
}, (e) => say({ error: 'import', message: String(e && e.message || e).split('\\n')[0] }))
  .catch((e) => say({ error: 'probe', message: String(e && e.message || e).split('\\n')[0] }));
`;
}

/** Asks a child process for the WebGPU adapter; never throws. */
export async function probeWebGpu(timeoutMs = 60_000): Promise<WebGpuProbe> {
  let entry: string;
  try {
    entry = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch (e) {
    return {
      adapter: null,
      reason: `the webgpu package is not installed (${(e as Error).message})`,
      log: '',
    };
  }
  const { stdout, stderr, failure } = await new Promise<{ stdout: string; stderr: string; failure?: string }>(
    (resolve) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script(entry)],
        { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 },
        (err, out, errOut) => resolve({ stdout: out, stderr: errOut, failure: err?.message }),
      );
    },
  );
  if (process.env.RCN_DEBUG && process.env.RCN_DEBUG !== '0')
    process.stderr.write(
      `[RCN_DEBUG] webgpu probe (Dawn in a child process) printed:\n${stderr || '(nothing)\n'}`,
    );
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (!line)
    return { adapter: null, reason: `the WebGPU probe failed (${failure ?? 'no answer'})`, log: stderr };
  const r = JSON.parse(line.slice(MARK.length)) as {
    adapter?: Parameters<typeof describeAdapter>[0];
    error?: string;
    message?: string;
  };
  if (r.adapter) return { adapter: describeAdapter(r.adapter), log: stderr };
  if (r.error === 'none')
    return {
      adapter: null,
      reason:
        'Dawn found no WebGPU adapter: no Vulkan driver, or one too old (lavapipe needs Mesa >= 25; ' +
        'check `vulkaninfo --summary`; RCN_DEBUG=1 shows what the driver printed)',
      log: stderr,
    };
  return {
    adapter: null,
    reason: `importing webgpu (Dawn for Node) failed: ${r.message ?? r.error}`,
    log: stderr,
  };
}

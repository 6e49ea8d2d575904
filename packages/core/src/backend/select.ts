/**
 * Choosing and initialising the TensorFlow.js backend.
 *
 * The native packages are optional dependencies whose install downloads libtensorflow; where that failed
 * the package folder exists but its binding does not, so every native import is wrapped and reported.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import {
  prepareSimdKernels,
  registerWasmTrainingKernels,
  relaxedSimdValidates,
  simdVariant,
} from './kernels/index.js';
import { registerCpuConvFilterGrad } from './kernels/Conv2DBackpropFilterCpu.js';
import { guardWasmMalloc, hookXnnFailures } from './wasm-guard.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { allVariables, readableSync } from './sync-read.js';
import { explainNoGpu, probeTensorflowGpu } from './tf-gpu-probe.js';
import { loadWebGpu } from './webgpu.js';
import { formatAdapter, type WebGpuAdapterInfo } from './webgpu-adapter.js';
import { probeWebGpu } from './webgpu-probe.js';

export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type ConcreteBackend = Exclude<BackendName, 'auto'>;

export interface BackendInfo {
  /** What was asked for (`auto` or a concrete name). */
  requested: BackendName;
  /** What runs. */
  name: ConcreteBackend;
  /** TensorFlow.js's own backend id (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** Version of the package that provides the backend. */
  version: string;
  /** tfjs-core version. */
  coreVersion: string;
  /** Human-readable device description. */
  devices: string[];
  /** Backends `auto` tried and why each was skipped. */
  skipped: { name: ConcreteBackend; reason: string }[];
  /** webgpu only: the adapter, whether it is a CPU fallback, and its limits. */
  adapter?: WebGpuAdapterInfo;
}

export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: ConcreteBackend,
    reason: string,
  ) {
    super(`backend '${backend}' cannot be loaded: ${reason}\n${installHint(backend)}`);
    this.name = 'BackendUnavailableError';
  }
}

function installHint(backend: ConcreteBackend): string {
  switch (backend) {
    case 'tensorflow-gpu':
      return (
        'Install it where libtensorflow can be downloaded and CUDA is present: ' +
        '`pnpm --filter @rcn/core add @tensorflow/tfjs-node-gpu@4.22.0` (its install script fetches libtensorflow-gpu).'
      );
    case 'tensorflow':
      return (
        'Install it where libtensorflow can be downloaded: ' +
        '`pnpm --filter @rcn/core add @tensorflow/tfjs-node@4.22.0` (its install script fetches libtensorflow).'
      );
    case 'webgpu':
      return (
        'It needs the optional packages webgpu and @tensorflow/tfjs-backend-webgpu (`pnpm install`) and a Vulkan ' +
        'driver: on NVIDIA the driver with its Vulkan ICD, elsewhere Mesa >= 25 (`vulkaninfo --summary` lists the GPU).'
      );
    case 'wasm':
      return 'Reinstall dependencies: `pnpm install` (the package @tensorflow/tfjs-backend-wasm ships the .wasm binaries).';
    case 'cpu':
      return 'Reinstall dependencies: `pnpm install`.';
  }
}

export function parseBackendName(value: string, field = 'backend'): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new Error(`${field}: unknown backend '${value}'; expected one of ${BACKEND_NAMES.join(', ')}`);
}

const require = createRequire(import.meta.url);

function packageVersion(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0] ?? msg;
}

let tfGpus: string[] = [];

async function loadNative(name: 'tensorflow' | 'tensorflow-gpu'): Promise<string> {
  const pkg = name === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
  if (name === 'tensorflow-gpu') {
    // Loading it here would succeed even without a GPU; ask libtensorflow's own log first.
    try {
      require.resolve(pkg);
    } catch (e) {
      throw new BackendUnavailableError(name, `${pkg} is not installed (${errorText(e)})`);
    }
    const report = await probeTensorflowGpu();
    if (report.importError)
      throw new BackendUnavailableError(name, `importing ${pkg} failed (${report.importError})`);
    if (report.gpus.length === 0) throw new BackendUnavailableError(name, explainNoGpu(report));
    tfGpus = report.gpus;
  }
  // Both native packages register kernels under the same backend name; when `auto` tries the second after
  // the first failed half-way, tfjs-core warns once per kernel. Those warnings carry no information.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('is already registered')) warn(...args);
  };
  try {
    // Importing registers the 'tensorflow' backend with tfjs-core as a side effect.
    await import(pkg);
  } catch (e) {
    throw new BackendUnavailableError(name, `importing ${pkg} failed (${errorText(e)})`);
  } finally {
    console.warn = warn;
  }
  if (!(await tf.setBackend('tensorflow'))) {
    throw new BackendUnavailableError(name, `${pkg} loaded but its backend did not initialise`);
  }
  return packageVersion(pkg);
}

/**
 * Relaxed SIMD gives our conv kernels one fused multiply-add instead of a multiply and an add. V8 ships it
 * from 11.4 (Node 22); Node 20's V8 has it, complete, behind a flag that must be set before the module is
 * compiled. RCN_RELAXED_SIMD=0 keeps the baseline build (for A/B measurements, or an engine that misbehaves).
 */
async function relaxedSimd(): Promise<boolean> {
  if (process.env.RCN_RELAXED_SIMD === '0') return false;
  if (relaxedSimdValidates()) return true;
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return relaxedSimdValidates();
}

let wasmLoaded = false;
async function loadWasm(): Promise<string> {
  if (!wasmLoaded) {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
    } catch (e) {
      throw new BackendUnavailableError('wasm', errorText(e));
    }
    wasmLoaded = true;
  }
  registerWasmTrainingKernels();
  hookXnnFailures();
  if (!(await tf.setBackend('wasm'))) {
    throw new BackendUnavailableError('wasm', 'the wasm module did not initialise');
  }
  guardWasmMalloc(tf.backend() as BackendWasm);
  // Our own SIMD module (kernels/simd.ts); where it cannot load, those kernels take their other paths.
  await prepareSimdKernels(tf.backend() as BackendWasm, { relaxed: await relaxedSimd() });
  return packageVersion('@tensorflow/tfjs-backend-wasm');
}

async function loadCpu(): Promise<string> {
  await import('@tensorflow/tfjs-backend-cpu');
  registerCpuConvFilterGrad();
  if (!(await tf.setBackend('cpu')))
    throw new BackendUnavailableError('cpu', 'the cpu backend did not initialise');
  return packageVersion('@tensorflow/tfjs-backend-cpu');
}

let adapter: WebGpuAdapterInfo | undefined;

async function loadWebGpuBackend(allowCpu: boolean): Promise<string> {
  if (!allowCpu) {
    // `auto`: Dawn is loaded here only on a real GPU adapter, found by a child process that keeps the
    // driver's messages out of this one's output (webgpu-probe.ts).
    const probe = await probeWebGpu();
    if (!probe.adapter) throw new BackendUnavailableError('webgpu', probe.reason ?? 'no adapter');
    if (probe.adapter.cpuFallback)
      throw new BackendUnavailableError(
        'webgpu',
        `the only WebGPU adapter is a CPU fallback (${probe.adapter.description}); name the backend to use it (--backend webgpu)`,
      );
  }
  try {
    adapter = await loadWebGpu(allowCpu);
  } catch (e) {
    throw new BackendUnavailableError('webgpu', errorText(e));
  }
  return `${packageVersion('@tensorflow/tfjs-backend-webgpu')}, Dawn webgpu ${packageVersion('webgpu')}`;
}

async function load(name: ConcreteBackend, explicit: boolean): Promise<string> {
  switch (name) {
    case 'webgpu':
      return loadWebGpuBackend(explicit);
    case 'tensorflow-gpu':
      return loadNative('tensorflow-gpu');
    case 'tensorflow':
      return loadNative('tensorflow');
    case 'wasm':
      return loadWasm();
    case 'cpu':
      return loadCpu();
  }
}

function describeDevices(name: ConcreteBackend): string[] {
  switch (name) {
    case 'tensorflow-gpu':
      return tfGpus.map((g) => `${g} via libtensorflow (CUDA)`);
    case 'webgpu':
      return adapter ? formatAdapter(adapter) : ['WebGPU'];
    case 'tensorflow':
      return ['CPU via libtensorflow'];
    case 'wasm': {
      const variant = simdVariant(tf.backend());
      const ours =
        variant === 'relaxed'
          ? ' + our kernels (relaxed SIMD: fused multiply-add)'
          : variant === 'baseline'
            ? ' + our kernels (baseline SIMD)'
            : '';
      return [`CPU via WebAssembly SIMD + XNNPACK${ours}, one thread per instance`];
    }
    case 'cpu':
      return ['CPU via plain JavaScript'];
  }
}

let current: BackendInfo | undefined;

/**
 * tfjs-core alone registers no gradients, and its `register_all_gradients` entry cannot be loaded by Node's
 * ESM resolver (extensionless imports); the union package's Node bundle registers them all, and the chained
 * ops, into tfjs-core's global registries. It is loaded with the first backend, not on import: importing it
 * takes longer than the rest of core, and a process that never computes (the API's main thread, `runs`,
 * `datasets`) need not pay for it. Everything that computes initialises a backend first.
 */
let registries: Promise<unknown> | null = null;
const loadRegistries = () => (registries ??= import('@tensorflow/tfjs'));

/**
 * Selects and initialises a backend. `requested` defaults to `auto` (core reads no environment: the CLI and
 * the API resolve `--backend` / `RCN_BACKEND` in their documented order and pass the name), which tries
 * tensorflow-gpu (only when libtensorflow registered a GPU), then webgpu (only on a real GPU adapter; a CPU
 * one such as lavapipe is used only when named), then tensorflow, then wasm.
 */
export async function initBackend(requested?: BackendName): Promise<BackendInfo> {
  const want = requested ?? 'auto';
  await loadRegistries();
  // Leaving webgpu, tfjs moves each tensor to the next backend with a synchronous read, which webgpu cannot
  // do under Node for values still on the GPU: bring the variables (weights, optimiser state) back first.
  if (tf.getBackend() === 'webgpu') await readableSync(allVariables());
  if (current && current.requested === want) {
    await tf.setBackend(current.tfBackend);
    return current;
  }
  const order: ConcreteBackend[] =
    want === 'auto' ? ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm'] : [want];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    try {
      const version = await load(name, want !== 'auto');
      await tf.ready();
      current = {
        requested: want,
        name,
        tfBackend: tf.getBackend(),
        version,
        coreVersion: tf.version_core,
        devices: describeDevices(name),
        skipped,
        ...(name === 'webgpu' && adapter ? { adapter } : {}),
      };
      return current;
    } catch (e) {
      if (want !== 'auto') throw e;
      skipped.push({ name, reason: errorText(e) });
    }
  }
  throw new Error(
    `no TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
  );
}

/**
 * What `--workers N` means depends on the backend: wasm runs one instance per thread, so N workers are N
 * model replicas on N cores and a training step averages N episodes. A GPU backend drives one device from
 * one thread; N threads would each open their own device on the same GPU and contend for it, so on webgpu a
 * step is one episode in one process and more workers are refused.
 */
export function checkWorkers(info: BackendInfo, workers: number, field = '--workers'): void {
  if (workers > 1 && info.name === 'webgpu') {
    throw new Error(
      `${field} ${workers}: the webgpu backend drives the GPU from one thread (a step is one episode); ` +
        'use 1 worker (--workers 1; for the API RCN_API_INFERENCE_WORKERS=1), or the wasm backend for CPU workers',
    );
  }
}

export function formatBackend(info: BackendInfo): string {
  return `${info.name} (${info.tfBackend} ${info.version}, tfjs-core ${info.coreVersion})`;
}

/**
 * Whether `@tensorflow/tfjs-node-gpu` really registered a GPU. Its libtensorflow 2.9.1 is built for CUDA 11.2 /
 * cuDNN 8.1 and dlopens them at start; where they are missing (any CUDA 12-only machine) it logs the failures
 * on the C library's stderr, registers no GPU device, and runs every op on the CPU without telling the
 * JavaScript side. Its log is the only place that says which library failed, so the probe loads the package
 * in a child process with full logging and reads that log.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

export interface TfGpuReport {
  /** GPU devices libtensorflow created, e.g. `GPU:0 NVIDIA H200 (compute capability 9.0, 139000 MB)`. */
  gpus: string[];
  /** Shared libraries it tried to dlopen and could not (`libcudart.so.11.0`, `libcudnn.so.8`, ...). */
  missingLibraries: string[];
  /** Other lines that explain an absent GPU (cuInit failures, driver messages). */
  problems: string[];
  /** Set when the package itself could not be loaded (no binding, no libtensorflow): the probe's message. */
  importError?: string;
}

/** The probe prints this before its message when requiring the package throws. */
const IMPORT_FAILED = 'RCN_PROBE_IMPORT_FAILED: ';

const MISSING_LIB = /Could not load dynamic library '([^']+)'/g;
// TF >= 2.5: "Created device /job:localhost/replica:0/task:0/device:GPU:0 with 78000 MB memory:  -> device: 0,
// name: NVIDIA H100 80GB HBM3, pci bus id: 0000:00:05.0, compute capability: 9.0"; older: "Created TensorFlow
// device (/job:.../device:GPU:0 with 14803 MB memory) -> physical GPU (device: 0, name: Tesla T4, ...)".
const CREATED_GPU =
  /Created (?:TensorFlow )?device \(?\/job:[^/]+\/replica:\d+\/task:\d+\/device:GPU:(\d+) with (\d+) MB memory\)?[^\n]*?name: ([^,\n]+)(?:,[^\n]*?compute capability: ([\d.]+))?/g;
const PROBLEM =
  /(failed call to cuInit[^\n]*|Cannot dlopen some GPU libraries[^\n]*|kernel driver does not appear to be running[^\n]*|no CUDA-capable device[^\n]*)/g;

/** Reads libtensorflow's start-up log (TF_CPP_MIN_LOG_LEVEL=0). */
export function parseTensorflowLog(log: string): TfGpuReport {
  const gpus = [...log.matchAll(CREATED_GPU)].map(
    (m) => `GPU:${m[1]} ${m[3].trim()} (${m[4] ? `compute capability ${m[4]}, ` : ''}${m[2]} MB)`,
  );
  const missingLibraries = [...new Set([...log.matchAll(MISSING_LIB)].map((m) => m[1]))];
  const problems = [...new Set([...log.matchAll(PROBLEM)].map((m) => m[1].trim()))];
  const failed = log.split('\n').find((l) => l.startsWith(IMPORT_FAILED));
  return {
    gpus,
    missingLibraries,
    problems,
    ...(failed ? { importError: failed.slice(IMPORT_FAILED.length) } : {}),
  };
}

/** Why no GPU was registered, in one line. */
export function explainNoGpu(r: TfGpuReport): string {
  const parts: string[] = [];
  if (r.missingLibraries.length) parts.push(`could not load ${r.missingLibraries.join(', ')}`);
  parts.push(...r.problems.filter((p) => !p.startsWith('Cannot dlopen')));
  const why = parts.length ? parts.join('; ') : 'libtensorflow logged no reason';
  return (
    `libtensorflow loaded but registered no GPU device (${why}); it would train on the CPU. ` +
    'tfjs-node-gpu 4.22 needs CUDA 11.2 and cuDNN 8.1 libraries on LD_LIBRARY_PATH'
  );
}

/** Loads tfjs-node-gpu in a child process, runs one op, and parses what libtensorflow logged. */
export async function probeTensorflowGpu(timeoutMs = 120_000): Promise<TfGpuReport> {
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
  const script =
    `let tf; try { tf = require(${JSON.stringify(entry)}); } catch (e) {` +
    ` console.error(${JSON.stringify(IMPORT_FAILED)} + String(e.message).split('\\n')[0]); process.exit(3); }` +
    'tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).dataSync();';
  const log = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', script],
      { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '0' }, timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 },
      (err, stdout, stderr) => {
        if (err && !stderr) reject(new Error(`probing tfjs-node-gpu failed: ${err.message}`));
        else resolve(`${stdout}\n${stderr}`);
      },
    );
  });
  return parseTensorflowLog(log);
}

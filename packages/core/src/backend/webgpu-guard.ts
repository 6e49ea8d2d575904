/**
 * Makes WebGPU failures loud. Dawn reports a validation error (for example a tensor bound as a storage
 * buffer larger than the adapter's `maxStorageBufferBindingSize`: 128 MiB on lavapipe) on stderr and as an
 * uncaptured-error event, skips the dispatch, and the kernel's output stays all zeros: training would go on
 * with wrong numbers. Here
 *  - every program's input and output sizes are checked against the limit before anything is encoded, and
 *    an oversize tensor throws a `WebGpuLimitError` that names the kernel, the shape and the limit;
 *  - any device error that still happens (validation, out of memory, internal, device lost) is recorded
 *    and thrown as a `WebGpuDeviceError` from the op that caused it (Dawn delivers validation errors
 *    synchronously, during the call) or from the next read, so no result computed after it is returned.
 */
import * as tf from '@tensorflow/tfjs-core';

const MiB = 2 ** 20;

export class WebGpuLimitError extends Error {
  constructor(
    readonly op: string,
    readonly limitName: string,
    readonly limit: number,
    need: string,
    advice: string,
  ) {
    super(`WebGPU: ${op} needs ${need}, over the device's ${limitName}. ${advice}`);
    this.name = 'WebGpuLimitError';
  }
}

function sizeError(op: string, shape: number[], bytes: number, limit: number): WebGpuLimitError {
  return new WebGpuLimitError(
    op,
    'maxStorageBufferBindingSize',
    limit,
    `a tensor of shape [${shape.join(', ')}] (${(bytes / MiB).toFixed(1)} MiB; limit ${(limit / MiB).toFixed(1)} MiB)`,
    'Use fewer images per episode (way x (shot + query)) or smaller images, or a GPU whose limit is larger ' +
      '(`pnpm cli backend` prints it).',
  );
}

export class WebGpuDeviceError extends Error {
  constructor(
    readonly op: string,
    readonly kind: string,
    detail: string,
  ) {
    super(`WebGPU ${kind} error in ${op}: ${detail}`);
    this.name = 'WebGpuDeviceError';
  }
}

/** The parts of tfjs-backend-webgpu's backend the guard hooks (its class is not in the public types). */
interface TensorInfoLike {
  shape: number[];
  dtype: string;
}
interface ProgramLike {
  outputShape: number[];
  constructor: { name: string };
}
interface DeviceLike {
  limits: { maxStorageBufferBindingSize: number; maxStorageBuffersPerShaderStage: number };
  lost: Promise<{ reason: string; message: string }>;
  addEventListener(type: 'uncapturederror', listener: (ev: { error: { message: string } }) => void): void;
}
interface GuardedBackend {
  device: DeviceLike;
  runWebGPUProgram(
    program: ProgramLike,
    inputs: TensorInfoLike[],
    outputDtype: string,
    uniforms?: unknown,
    output?: TensorInfoLike,
  ): TensorInfoLike;
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
  tensorMap: { get(dataId: object): { values: unknown; dtype: string } | undefined };
}

function bytesPerElement(dtype: string): number {
  // bool and int32 are stored as 32-bit words; complex64 as two float32 tensors.
  return dtype === 'complex64' ? 8 : 4;
}

const kernelStack: string[] = [];
let engineHooked = false;

/** Records which kernel (Conv2D, MaxPoolGrad, ...) runs, so errors can name the op rather than a shader. */
function hookEngine(): void {
  if (engineHooked) return;
  engineHooked = true;
  const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = (name: string, ...rest: unknown[]) => {
    kernelStack.push(name);
    try {
      return runKernel(name, ...rest);
    } finally {
      kernelStack.pop();
    }
  };
}

function opName(program: ProgramLike): string {
  const kernel = kernelStack[kernelStack.length - 1];
  const shader = program.constructor.name;
  return kernel ? `${kernel} (${shader})` : shader;
}

const guarded = new WeakSet<object>();

/** Installs the limit check and the error capture on a tfjs-backend-webgpu backend (idempotent). */
export function guardWebGpuBackend(backend: object): void {
  if (guarded.has(backend)) return;
  guarded.add(backend);
  hookEngine();
  const b = backend as GuardedBackend;
  const device = b.device;
  const limit = device.limits.maxStorageBufferBindingSize;
  const maxBuffers = device.limits.maxStorageBuffersPerShaderStage;
  let current = 'a WebGPU command';
  let failure: WebGpuDeviceError | null = null;

  const record = (kind: string, message: string) => {
    // The first error is the cause; what follows ("invalid due to a previous error") is its echo.
    failure ??= new WebGpuDeviceError(current, kind, message.split('\n')[0] ?? message);
  };
  device.addEventListener('uncapturederror', (ev) => {
    const err = ev.error;
    // GPUValidationError / GPUOutOfMemoryError / GPUInternalError
    const kind = err.constructor.name.replace(/^GPU|Error$/g, '').toLowerCase() || 'device';
    record(kind, err.message);
  });
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') record('device lost', info.message || 'the device was lost');
  });

  const check = () => {
    if (failure) throw failure;
  };

  const run = b.runWebGPUProgram.bind(b);
  b.runWebGPUProgram = (program, inputs, outputDtype, uniforms, output) => {
    check();
    const op = opName(program);
    // Every input and the output is one storage buffer of the shader (uniforms are not).
    if (inputs.length + 1 > maxBuffers) {
      throw new WebGpuLimitError(
        op,
        'maxStorageBuffersPerShaderStage',
        maxBuffers,
        `${inputs.length + 1} storage buffers (limit ${maxBuffers})`,
        'Combine fewer tensors in one op (for example chained adds instead of one addN).',
      );
    }
    for (const t of [...inputs, output ?? { shape: program.outputShape, dtype: outputDtype }]) {
      const bytes = t.shape.reduce((a, d) => a * d, 1) * bytesPerElement(t.dtype);
      if (bytes > limit) throw sizeError(op, t.shape, bytes, limit);
    }
    current = op;
    const out = run(program, inputs, outputDtype, uniforms, output);
    check();
    return out;
  };
  const read = b.read.bind(b);
  b.read = async (dataId) => {
    check();
    const v = await read(dataId);
    check();
    return v;
  };
  const readSync = b.readSync.bind(b);
  b.readSync = (dataId) => {
    check();
    const d = b.tensorMap.get(dataId);
    if (d && d.values == null && d.dtype !== 'string') {
      // tfjs-backend-webgpu would reach for an OffscreenCanvas, which Node lacks (a ReferenceError).
      throw new Error(
        'WebGPU: a synchronous read (dataSync / arraySync) of a tensor still on the GPU is impossible under Node; ' +
          'read it with `await tensor.data()` first (or `readableSync(tensors)` from @rcn/core)',
      );
    }
    const v = readSync(dataId);
    check();
    return v;
  };
}

/**
 * Reading libtensorflow's start-up log: which GPUs it created, or which CUDA / cuDNN libraries it failed to
 * dlopen. The logs below follow TensorFlow 2.9's formats (dso_loader.cc, gpu_device.cc, cuda_driver.cc), the
 * libtensorflow that tfjs-node-gpu 4.22 downloads; tfjs-node-gpu is not installed here (its download fails
 * offline), so the live probe runs only where it is.
 */
import { describe, expect, it } from 'vitest';
import { explainNoGpu, parseTensorflowLog } from '../../src/backend/tf-gpu-probe.js';

const CUDA12_ONLY = `2026-11-30 05:01:12.331425: I tensorflow/core/platform/cpu_feature_guard.cc:193] This TensorFlow binary is optimized with oneAPI Deep Neural Network Library (oneDNN) to use the following CPU instructions in performance-critical operations:  AVX2 AVX512F FMA
2026-11-30 05:01:12.402113: W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudart.so.11.0'; dlerror: libcudart.so.11.0: cannot open shared object file: No such file or directory; LD_LIBRARY_PATH: /usr/local/cuda-12.4/lib64
2026-11-30 05:01:12.402398: W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcublas.so.11'; dlerror: libcublas.so.11: cannot open shared object file: No such file or directory; LD_LIBRARY_PATH: /usr/local/cuda-12.4/lib64
2026-11-30 05:01:12.402571: W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file: No such file or directory; LD_LIBRARY_PATH: /usr/local/cuda-12.4/lib64
2026-11-30 05:01:12.402611: W tensorflow/core/common_runtime/gpu/gpu_device.cc:1850] Cannot dlopen some GPU libraries. Please make sure the missing libraries mentioned above are installed properly if you would like to use GPU. Follow the guide at https://www.tensorflow.org/install/gpu for how to download and setup the required libraries for your platform.
Skipping registering GPU devices...
`;

const WORKING = `2026-11-30 05:03:40.118002: I tensorflow/stream_executor/cuda/cuda_gpu_executor.cc:975] successful NUMA node read from SysFS had negative value (-1), but there must be at least one NUMA node, so returning NUMA node zero
2026-11-30 05:03:41.220731: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1532] Created device /job:localhost/replica:0/task:0/device:GPU:0 with 139264 MB memory:  -> device: 0, name: NVIDIA H200, pci bus id: 0000:18:00.0, compute capability: 9.0
2026-11-30 05:03:41.220998: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1532] Created device /job:localhost/replica:0/task:0/device:GPU:1 with 139264 MB memory:  -> device: 1, name: NVIDIA H200, pci bus id: 0000:2a:00.0, compute capability: 9.0
`;

const NO_DRIVER = `2026-11-30 05:05:00.000001: W tensorflow/stream_executor/platform/default/dso_loader.cc:64] Could not load dynamic library 'libcuda.so.1'; dlerror: libcuda.so.1: cannot open shared object file: No such file or directory
2026-11-30 05:05:00.000002: W tensorflow/stream_executor/cuda/cuda_driver.cc:269] failed call to cuInit: UNKNOWN ERROR (303)
2026-11-30 05:05:00.000003: I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:156] kernel driver does not appear to be running on this host (ci-runner): /proc/driver/nvidia/version does not exist
`;

describe('tfjs-node-gpu log parser', () => {
  it('names every CUDA / cuDNN library that failed to load, and registers no GPU', () => {
    const r = parseTensorflowLog(CUDA12_ONLY);
    expect(r.gpus).toEqual([]);
    expect(r.missingLibraries).toEqual(['libcudart.so.11.0', 'libcublas.so.11', 'libcudnn.so.8']);
    const why = explainNoGpu(r);
    expect(why).toContain('could not load libcudart.so.11.0, libcublas.so.11, libcudnn.so.8');
    expect(why).toContain('would train on the CPU');
  });

  it('lists the GPU devices libtensorflow created', () => {
    const r = parseTensorflowLog(WORKING);
    expect(r.gpus).toEqual([
      'GPU:0 NVIDIA H200 (compute capability 9.0, 139264 MB)',
      'GPU:1 NVIDIA H200 (compute capability 9.0, 139264 MB)',
    ]);
    expect(r.missingLibraries).toEqual([]);
  });

  it('reads the older "Created TensorFlow device" form', () => {
    const r = parseTensorflowLog(
      'I tensorflow/core/common_runtime/gpu/gpu_device.cc:1418] Created TensorFlow device (/job:localhost/replica:0/task:0/device:GPU:0 with 14803 MB memory) -> physical GPU (device: 0, name: Tesla T4, pci bus id: 0000:00:04.0, compute capability: 7.5)',
    );
    expect(r.gpus).toEqual(['GPU:0 Tesla T4 (compute capability 7.5, 14803 MB)']);
  });

  it('reports a missing driver', () => {
    const r = parseTensorflowLog(NO_DRIVER);
    expect(r.gpus).toEqual([]);
    expect(r.missingLibraries).toEqual(['libcuda.so.1']);
    expect(explainNoGpu(r)).toMatch(/libcuda\.so\.1.*failed call to cuInit.*kernel driver does not appear/);
  });

  it('tells a package that did not load from one that loaded without a GPU', () => {
    const r = parseTensorflowLog(
      'RCN_PROBE_IMPORT_FAILED: The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/tfjs_binding.node.\n',
    );
    expect(r.importError).toMatch(
      /^The Node\.js native addon module \(tfjs_binding\.node\) can not be found/,
    );
    expect(parseTensorflowLog(WORKING).importError).toBeUndefined();
  });

  it('says so when libtensorflow logged no reason', () => {
    expect(explainNoGpu(parseTensorflowLog(''))).toContain('logged no reason');
  });
});

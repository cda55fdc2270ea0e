/**
 * Looks, without loading anything, for what @tensorflow/tfjs-node-gpu 4.22 needs to really use
 * a GPU: an NVIDIA driver, the CUDA 11.x runtime (libcudart.so.11.0, CUDA 11.2 is the tested
 * one) and cuDNN 8 (libcudnn.so.8, 8.1). libtensorflow opens these lazily and, when one is
 * missing, logs a line on stderr and carries on on the CPU; this probe lets us say which one.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface CudaProbe {
  platform: NodeJS.Platform;
  /** first line of the NVIDIA driver's version file, or null */
  driver: string | null;
  /** where the CUDA 11 runtime was found, or null */
  cudart: string | null;
  /** where cuDNN 8 was found, or null */
  cudnn: string | null;
}

const LINUX_DIRS = [
  '/usr/local/cuda/lib64',
  '/usr/local/cuda-11.2/lib64',
  '/usr/local/cuda-11/lib64',
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/lib/wsl/lib',
];

function readFirstLine(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').split('\n')[0]?.trim() || null;
  } catch {
    return null;
  }
}

function findIn(dirs: readonly string[], name: string): string | null {
  for (const dir of dirs) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

/** Whether the dynamic loader's cache lists `name` (Linux /etc/ld.so.cache holds plain names). */
function inLdCache(name: string, cacheFile = '/etc/ld.so.cache'): boolean {
  try {
    return fs.readFileSync(cacheFile).includes(name);
  } catch {
    return false;
  }
}

export function probeCuda(env: Record<string, string | undefined> = process.env, platform: NodeJS.Platform = process.platform): CudaProbe {
  if (platform === 'win32') {
    const dirs = (env['PATH'] ?? env['Path'] ?? '').split(';');
    const cudaPath = env['CUDA_PATH'];
    if (cudaPath) dirs.unshift(path.join(cudaPath, 'bin'));
    return {
      platform,
      driver: findIn([env['SystemRoot'] ? path.join(env['SystemRoot'], 'System32') : 'C:\\Windows\\System32'], 'nvcuda.dll'),
      cudart: findIn(dirs, 'cudart64_110.dll'),
      cudnn: findIn(dirs, 'cudnn64_8.dll'),
    };
  }
  if (platform !== 'linux') return { platform, driver: null, cudart: null, cudnn: null };
  const dirs = [...(env['LD_LIBRARY_PATH'] ?? '').split(':'), ...LINUX_DIRS];
  const lib = (name: string) => findIn(dirs, name) ?? (inLdCache(name) ? `${name} (ld.so.cache)` : null);
  return {
    platform,
    driver: readFirstLine('/proc/driver/nvidia/version'),
    cudart: lib('libcudart.so.11.0'),
    cudnn: lib('libcudnn.so.8'),
  };
}

/** Why TensorFlow would not find a usable GPU, from a probe; null when nothing is missing. */
export function describeMissingCuda(probe: CudaProbe): string | null {
  if (probe.platform !== 'linux' && probe.platform !== 'win32') {
    return `tfjs-node-gpu has no GPU build for ${probe.platform}`;
  }
  const missing: string[] = [];
  if (!probe.driver) missing.push('no NVIDIA driver is loaded');
  const runtime = probe.platform === 'win32' ? 'cudart64_110.dll' : 'libcudart.so.11.0';
  const dnn = probe.platform === 'win32' ? 'cudnn64_8.dll' : 'libcudnn.so.8';
  if (!probe.cudart) missing.push(`${runtime} (CUDA 11.2 runtime) is not on the library path`);
  if (!probe.cudnn) missing.push(`${dnn} (cuDNN 8.1) is not on the library path`);
  return missing.length ? missing.join('; ') : null;
}

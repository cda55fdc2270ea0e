/**
 * Picks the best TensorFlow.js backend present and says why the better ones were not used.
 *
 * Chain: @tensorflow/tfjs-node-gpu (CUDA) -> @tensorflow/tfjs-node (native CPU) -> wasm with
 * our training kernels -> the pure-JS cpu backend. The two native packages are
 * optionalDependencies whose install downloads libtensorflow; they are loaded dynamically
 * (createRequire + a computed specifier, so bundlers leave them alone) and may be absent.
 *
 * tfjs-node-gpu 4.22 needs CUDA 11.2 + cuDNN 8.1; without them libtensorflow silently runs on
 * the CPU. We read the backend's own `isUsingGpuDevice` (TensorFlow listed a GPU device), time
 * a matmul, and when no GPU is used report the backend as native CPU with what is missing.
 *
 * `force` (or the MASKWRIGHT_BACKEND environment variable) picks one backend and nothing else;
 * if it cannot start, selectBackend throws a BackendUnavailableError carrying the report.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { describeMissingCuda, probeCuda, type CudaProbe } from './cuda-probe';
import { registerWasmTrainingKernels, wasmTrainingKernelNames } from './wasm-kernels/register';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendKind = 'gpu-cuda' | 'native-cpu' | 'wasm-cpu' | 'js-cpu';

export const BACKEND_CHAIN: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  reason: string;
}

export interface BackendReport {
  /** the chain entry in use */
  name: BackendName;
  /** tfjs's name for it (tf.getBackend()): 'tensorflow', 'wasm' or 'cpu' */
  tfBackend: string;
  kind: BackendKind;
  /** one line for the UI: what runs and why not something better */
  summary: string;
  /** every chain entry considered, best first, with why it was or was not used */
  tried: BackendAttempt[];
  /** worker threads the backend computes with, where known (wasm in Node: 1) */
  threads?: number;
  /** wasm: whether the SIMD build runs */
  simd?: boolean;
  /** wasm: the kernels we registered on top of the stock backend */
  trainingKernels?: string[];
  /** native backends: measured float32 matmul throughput */
  matmulGflops?: number;
  /** where the choice was forced from, if it was */
  forcedBy?: 'option' | 'env';
  /** anything else worth showing (an ignored MASKWRIGHT_BACKEND value, ...) */
  notes: string[];
}

export interface SelectBackendOptions {
  /** use exactly this backend; throw if it cannot start */
  force?: BackendName;
  /** environment to read MASKWRIGHT_BACKEND from (default process.env) */
  env?: Record<string, string | undefined>;
  /** loads an optional package by name (default: Node's require); tests inject failures */
  loadModule?: (specifier: string) => unknown;
  /** probes for CUDA libraries (default probeCuda); tests inject results */
  probeCuda?: () => CudaProbe;
  /** side of the square matmul timed on native backends (default 512) */
  matmulProbeSize?: number;
}

export class BackendUnavailableError extends Error {
  constructor(
    message: string,
    readonly report: Pick<BackendReport, 'tried' | 'notes'>,
  ) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

const ENV_ALIASES: Record<string, BackendName> = {
  'tensorflow-gpu': 'tensorflow-gpu',
  'tfjs-node-gpu': 'tensorflow-gpu',
  gpu: 'tensorflow-gpu',
  cuda: 'tensorflow-gpu',
  tensorflow: 'tensorflow',
  'tfjs-node': 'tensorflow',
  node: 'tensorflow',
  native: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
  js: 'cpu',
};

/** Reads MASKWRIGHT_BACKEND; '' and 'auto' mean no preference. */
export function parseBackendEnv(value: string | undefined): { force?: BackendName; note?: string } {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'auto') return {};
  const force = ENV_ALIASES[v];
  if (force) return { force };
  return { note: `MASKWRIGHT_BACKEND='${value}' is not one of ${BACKEND_CHAIN.join(', ')} (or auto); ignored` };
}

const PACKAGE: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  // computed so that bundlers do not try to resolve optional native packages
  'tensorflow-gpu': ['@tensorflow', 'tfjs-node-gpu'].join('/'),
  tensorflow: ['@tensorflow', 'tfjs-node'].join('/'),
};

function defaultLoader(): (specifier: string) => unknown {
  const require = createRequire(import.meta.url);
  return (specifier) => require(specifier);
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim();
}

/** Why an optional package could not be loaded, in words a person understands. */
function loadFailure(specifier: string, e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  const msg = firstLine(e);
  if (code === 'MODULE_NOT_FOUND' && msg.includes(`'${specifier}'`)) {
    return `${specifier} is not installed (an optionalDependency: its install downloads libtensorflow, which failed or was skipped)`;
  }
  return `${specifier} is installed but failed to load: ${msg}`;
}

interface NodeBackendLike {
  isGPUPackage?: boolean;
  isUsingGpuDevice?: boolean;
}

/** Median throughput of an n x n float32 matmul on the active backend, in GFLOP/s. */
export function measureMatmulGflops(n = 512, reps = 3): number {
  const times: number[] = [];
  tf.tidy(() => {
    const a = tf.randomUniform([n, n]);
    const b = tf.randomUniform([n, n]);
    tf.matMul(a, b).dataSync(); // warm-up (kernel setup, GPU context)
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      tf.matMul(a, b).dataSync();
      times.push(performance.now() - t0);
    }
  });
  times.sort((x, y) => x - y);
  const ms = Math.max(times[Math.floor(times.length / 2)]!, 1e-3);
  return (2 * n ** 3) / (ms * 1e6);
}

type Outcome =
  | { ok: true; reason: string; report: Partial<BackendReport> & { name: BackendName; kind: BackendKind } }
  | { ok: false; reason: string; /** a working fallback the failed attempt already gave us */ fallback?: Outcome };

async function tryNative(which: 'tensorflow-gpu' | 'tensorflow', load: (s: string) => unknown, probe: () => CudaProbe, matmulSize: number): Promise<Outcome> {
  const specifier = PACKAGE[which];
  const registered = tf.engine().registryFactory['tensorflow'] != null;
  if (!registered) {
    try {
      load(specifier);
    } catch (e) {
      return { ok: false, reason: loadFailure(specifier, e) };
    }
  }
  if (tf.engine().registryFactory['tensorflow'] == null) {
    return { ok: false, reason: `${specifier} loaded but registered no 'tensorflow' backend (a second copy of @tensorflow/tfjs? externalize @tensorflow/* in the bundle)` };
  }
  let ok = false;
  try {
    ok = await tf.setBackend('tensorflow');
  } catch (e) {
    return { ok: false, reason: `${specifier}: the 'tensorflow' backend failed to start: ${firstLine(e)}` };
  }
  if (!ok) return { ok: false, reason: `${specifier}: the 'tensorflow' backend failed to start (see the log)` };
  const be = tf.backend() as unknown as NodeBackendLike;
  const isGpuPackage = be.isGPUPackage ?? which === 'tensorflow-gpu';
  // both packages register 'tensorflow' and cannot coexist: whichever loaded first stays
  if (which === 'tensorflow' && isGpuPackage) {
    return { ok: false, reason: `${PACKAGE['tensorflow-gpu']} already provides the 'tensorflow' backend` };
  }
  if (which === 'tensorflow-gpu' && !isGpuPackage) {
    return { ok: false, reason: `${PACKAGE['tensorflow']} (CPU only) already provides the 'tensorflow' backend` };
  }
  let gflops: number | undefined;
  try {
    gflops = Number(measureMatmulGflops(matmulSize).toPrecision(3));
  } catch (e) {
    return { ok: false, reason: `${specifier}: a test matmul failed: ${firstLine(e)}` };
  }
  const speed = ` (matmul ${gflops} GFLOP/s)`;
  if (which === 'tensorflow') {
    return { ok: true, reason: `libtensorflow on the CPU${speed}`, report: { name: 'tensorflow', kind: 'native-cpu', matmulGflops: gflops } };
  }
  const cuda = probe();
  const missing = describeMissingCuda(cuda);
  // isUsingGpuDevice: TensorFlow listed a GPU device when the binding started
  const usesGpu = be.isUsingGpuDevice ?? missing == null;
  if (usesGpu) {
    return {
      ok: true,
      reason: `TensorFlow uses the GPU${speed}${gflops < 100 ? ', slow for a GPU: look for CUDA errors in the log' : ''}${cuda.driver ? `; driver: ${cuda.driver}` : ''}`,
      report: { name: 'tensorflow-gpu', kind: 'gpu-cuda', matmulGflops: gflops },
    };
  }
  const why = missing ?? 'the CUDA 11 libraries are present but TensorFlow registered no GPU device (driver too old for CUDA 11.2, or an unsupported GPU)';
  const reason = `${specifier} 4.22 loaded but TensorFlow sees no GPU (it needs CUDA 11.2 + cuDNN 8.1): ${why}; it silently runs on the CPU instead${speed}`;
  return {
    ok: false,
    reason,
    fallback: {
      ok: true,
      reason: `libtensorflow from ${specifier}, on the CPU${speed}`,
      report: { name: 'tensorflow', kind: 'native-cpu', matmulGflops: gflops },
    },
  };
}

/** The folder holding tfjs-backend-wasm's .wasm binaries. */
export function wasmBinaryDir(resolve: (s: string) => string = createRequire(import.meta.url).resolve): string {
  const main = resolve('@tensorflow/tfjs-backend-wasm'); // <pkg>/dist/tf-backend-wasm.node.js
  const dist = path.dirname(main);
  for (const dir of [dist, path.join(dist, '..', 'wasm-out')]) {
    if (fs.existsSync(path.join(dir, 'tfjs-backend-wasm.wasm'))) return dir + path.sep;
  }
  return dist + path.sep;
}

/** A tiny conv training step: proves the backend (and our kernels on wasm) can train. */
function smokeTrain(): void {
  tf.tidy(() => {
    const x = tf.ones([1, 5, 5, 2]) as tf.Tensor4D;
    const w = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum())([x, w]);
    dx!.dataSync();
    dw!.dataSync();
  });
}

async function tryWasm(): Promise<Outcome> {
  registerWasmTrainingKernels();
  if (tf.engine().registry['wasm'] == null) {
    try {
      setWasmPaths(wasmBinaryDir());
    } catch (e) {
      return { ok: false, reason: `could not locate the wasm binaries: ${firstLine(e)}` };
    }
  }
  let ok = false;
  try {
    ok = await tf.setBackend('wasm');
  } catch (e) {
    return { ok: false, reason: `the wasm backend failed to start: ${firstLine(e)}` };
  }
  if (!ok) return { ok: false, reason: 'the wasm backend failed to start (see the log)' };
  try {
    smokeTrain();
  } catch (e) {
    return { ok: false, reason: `the wasm backend started but a conv training step failed: ${firstLine(e)}` };
  }
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  let threads: number | undefined;
  try {
    threads = getThreadsCount();
  } catch {
    threads = undefined;
  }
  const threadNote = threads === 1 && tf.env().getBool('IS_NODE') ? ' (tfjs-backend-wasm runs one thread in Node)' : '';
  return {
    ok: true,
    reason: `XNNPACK${simd ? ' + SIMD' : ''}, ${threads ?? '?'} thread${threads === 1 ? '' : 's'}${threadNote}; training kernels: ${wasmTrainingKernelNames.join(', ')}`,
    report: { name: 'wasm', kind: 'wasm-cpu', simd, trainingKernels: [...wasmTrainingKernelNames], ...(threads != null ? { threads } : {}) },
  };
}

async function tryCpu(): Promise<Outcome> {
  const ok = await tf.setBackend('cpu');
  if (!ok) return { ok: false, reason: 'the cpu backend failed to start' };
  return { ok: true, reason: 'pure JavaScript, one thread: very slow for training', report: { name: 'cpu', kind: 'js-cpu', threads: 1 } };
}

function summarize(report: Omit<BackendReport, 'summary'>): string {
  const what: Record<BackendKind, string> = {
    'gpu-cuda': 'TensorFlow on the GPU (CUDA)',
    'native-cpu': 'TensorFlow on the CPU (libtensorflow)',
    'wasm-cpu': `WebAssembly on the CPU (XNNPACK${report.simd ? ', SIMD' : ''}${report.threads ? `, ${report.threads} thread${report.threads === 1 ? '' : 's'}` : ''}) with Maskwright training kernels`,
    'js-cpu': 'plain JavaScript on the CPU (slow)',
  };
  const better = report.tried.filter((t) => !t.ok && BACKEND_CHAIN.indexOf(t.name) < BACKEND_CHAIN.indexOf(report.name));
  const why = better.length ? ` — not ${better.map((t) => `${t.name}: ${t.reason}`).join('; not ')}` : '';
  return `${what[report.kind]}${report.forcedBy ? ` (forced by ${report.forcedBy === 'env' ? 'MASKWRIGHT_BACKEND' : 'option'})` : ''}${why}`;
}

/**
 * Selects and activates the best available backend (see the module comment). Resolves with
 * a report of what runs and why each better backend was not used.
 */
export async function selectBackend(opts: SelectBackendOptions = {}): Promise<BackendReport> {
  const env = opts.env ?? process.env;
  const notes: string[] = [];
  let force = opts.force;
  let forcedBy: 'option' | 'env' | undefined = force ? 'option' : undefined;
  if (!force) {
    const parsed = parseBackendEnv(env['MASKWRIGHT_BACKEND']);
    if (parsed.note) notes.push(parsed.note);
    if (parsed.force) {
      force = parsed.force;
      forcedBy = 'env';
    }
  }
  if (force && !BACKEND_CHAIN.includes(force)) throw new Error(`unknown backend '${force}'; use one of ${BACKEND_CHAIN.join(', ')}`);
  const load = opts.loadModule ?? defaultLoader();
  const probe = opts.probeCuda ?? (() => probeCuda(env));
  const tried: BackendAttempt[] = [];

  for (const name of BACKEND_CHAIN) {
    if (force && name !== force) {
      if (BACKEND_CHAIN.indexOf(name) < BACKEND_CHAIN.indexOf(force)) {
        tried.push({ name, ok: false, reason: `skipped: ${forcedBy === 'env' ? `MASKWRIGHT_BACKEND=${env['MASKWRIGHT_BACKEND']}` : `force: '${force}'`}` });
      }
      continue;
    }
    // the 'tensorflow' entry was already settled by tfjs-node-gpu's CPU fallback
    if (name === 'tensorflow' && tried.some((t) => t.name === 'tensorflow')) continue;
    const outcome =
      name === 'tensorflow-gpu' || name === 'tensorflow' ? await tryNative(name, load, probe, opts.matmulProbeSize ?? 512) : name === 'wasm' ? await tryWasm() : await tryCpu();
    tried.push({ name, ok: outcome.ok, reason: outcome.reason });
    let chosen: Outcome | undefined = outcome.ok ? outcome : undefined;
    if (!outcome.ok && outcome.fallback?.ok && !force) {
      // tfjs-node-gpu without a GPU is libtensorflow on the CPU: as good as tfjs-node, and
      // tfjs-node cannot be loaded next to it anyway
      tried.push({ name: 'tensorflow', ok: true, reason: outcome.fallback.reason });
      chosen = outcome.fallback;
    }
    if (chosen?.ok) {
      const base: Omit<BackendReport, 'summary'> = {
        tfBackend: tf.getBackend(),
        tried,
        notes,
        ...chosen.report,
        ...(forcedBy ? { forcedBy } : {}),
      };
      return { ...base, summary: summarize(base) };
    }
  }
  const last = tried[tried.length - 1];
  throw new BackendUnavailableError(
    force ? `backend '${force}' is unavailable: ${last?.reason ?? 'unknown reason'}` : 'no TensorFlow.js backend could start',
    { tried, notes },
  );
}
